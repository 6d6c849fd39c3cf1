// Dates of billing (SPEC R4.4): UTC calendar dates "YYYY-MM-DD"; working days skip weekends and the
// appliance's holidays; banking days also skip bank holidays. The calendar is data
// (`billing_calendar`) the billing operator keeps.
import { z } from "zod";
import { DAY } from "../../clock.js";
import type { Tx } from "../../storage/db.js";
import { audit, type CommandContext } from "../context.js";
import { authorize } from "../identity/policy.js";

export const dayOf = (d: Date) => d.toISOString().slice(0, 10);
const at = (day: string) => new Date(day + "T00:00:00.000Z");

export function addDays(day: string, n: number): string {
  return dayOf(new Date(at(day).getTime() + n * DAY));
}

/** The same day n months later (clamped to the month's end: Jan 31 + 1 month = Feb 28/29). */
export function addMonths(day: string, n: number): string {
  const d = at(day);
  const y = d.getUTCFullYear(), m = d.getUTCMonth() + n, dd = d.getUTCDate();
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

export interface BillingCalendar { holidays: ReadonlySet<string>; bankHolidays: ReadonlySet<string> }

export async function billingCalendar(tx: Tx, from: string): Promise<BillingCalendar> {
  const rows: Array<{ day: string; kind: string }> = await tx("billing_calendar").where("day", ">=", from).select("day", "kind");
  return {
    holidays: new Set(rows.filter((r) => r.kind === "holiday").map((r) => r.day)),
    bankHolidays: new Set(rows.map((r) => r.day)),
  };
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

export const BillingCalendarInput = z.strictObject({
  days: z.array(z.strictObject({ day: z.iso.date(), kind: z.enum(["holiday", "bank_holiday"]), name: z.string().trim().max(200).optional() })).max(5000),
});

/** Replaces the billing calendar (the billing operator); a day named twice counts once, the last wins. */
export async function billingCalendarSetter(ctx: CommandContext, p: z.infer<typeof BillingCalendarInput>): Promise<number> {
  authorize(ctx.actor, "billing.manage", { type: "appliance" });
  const days = [...new Map(p.days.map((d) => [d.day, d])).values()];
  await ctx.tx("billing_calendar").delete();
  for (let i = 0; i < days.length; i += 300) await ctx.tx("billing_calendar").insert(days.slice(i, i + 300).map((d) => ({ day: d.day, kind: d.kind, name: d.name ?? null })));
  await audit(ctx, { action: "billing.calendar_set", details: { days: days.length } });
  return days.length;
}
