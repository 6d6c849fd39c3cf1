// Day arithmetic the capabilities share (SPEC R2.6, R4.4, R6): calendar dates "YYYY-MM-DD";
// working days skip weekends and the holidays a caller passes. Pure: the calendars themselves are
// data each capability keeps (billing_calendar, an organization's holidays).
import { DAY } from "../../clock.js";

export const dayOf = (d: Date) => d.toISOString().slice(0, 10);
const at = (day: string) => new Date(day + "T00:00:00.000Z");

export function addDays(day: string, n: number): string {
  return dayOf(new Date(at(day).getTime() + n * DAY));
}

/** The same day n months later (clamped to the month's end: Jan 31 + 1 month = Feb 28/29). */
export function addMonths(day: string, n: number): string {
  const d = at(day);
  const y = d.getUTCFullYear(),
    m = d.getUTCMonth() + n,
    dd = d.getUTCDate();
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return dayOf(new Date(Date.UTC(y, m, Math.min(dd, last))));
}

export const daysBetween = (from: string, to: string) => Math.round((at(to).getTime() - at(from).getTime()) / DAY);

/** SPEC R4.6: the first 1st of a month that is at least `noticeDays` after `today`. */
export function firstOfMonthAfterNotice(today: string, noticeDays: number): string {
  const earliest = addDays(today, noticeDays);
  const d = at(earliest);
  if (d.getUTCDate() === 1) return earliest;
  return dayOf(new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1)));
}

/** The n-th day after `day` that is a weekday and not in `skip`. */
export function addBusinessDays(day: string, n: number, skip: ReadonlySet<string>): string {
  let d = day;
  for (let counted = 0; counted < n;) {
    d = addDays(d, 1);
    const weekday = at(d).getUTCDay();
    if (weekday !== 0 && weekday !== 6 && !skip.has(d)) counted++;
  }
  return d;
}
