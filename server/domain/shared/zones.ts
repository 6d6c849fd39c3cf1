// Local days (SPEC R2.6, R4.4): a "day" binds a party in its own time zone — Almaty (UTC+5), Kyiv
// (UTC+2/+3 with daylight saving) — not in UTC. Zone arithmetic is Luxon's (IANA data), never a
// hand-kept offset. Days stay "YYYY-MM-DD" strings; instants are Dates.
import { DateTime, IANAZone } from "luxon";
import { addBusinessDays, addDays } from "./days.js";

export const DEFAULT_TIME_ZONE = "Asia/Almaty";

export const isTimeZone = (zone: string) => IANAZone.isValidZone(zone);

// The appliance's own zone (server.timeZone), set once at start: the day billing, the gate and the
// jobs work on. Its offset is looked up once per hour of time (zones change offset on the hour),
// so the registration path pays a division, not a time-zone computation.
let applianceZone = DEFAULT_TIME_ZONE;
const offsets = new Map<number, number>();

export function setApplianceZone(zone: string): void {
  if (zone !== applianceZone) offsets.clear();
  applianceZone = zone;
}

export const applianceTimeZone = () => applianceZone;

/** The day an instant falls on in the appliance's zone. */
export function applianceDay(instant: Date): string {
  const ms = instant.getTime();
  const hour = Math.floor(ms / 3_600_000);
  let offset = offsets.get(hour);
  if (offset === undefined) {
    offset = DateTime.fromMillis(hour * 3_600_000, { zone: applianceZone }).offset;
    if (offsets.size > 10_000) offsets.clear();
    offsets.set(hour, offset);
  }
  return new Date(ms + offset * 60_000).toISOString().slice(0, 10);
}

/** The calendar day an instant falls on in `zone`. */
export function localDay(instant: Date, zone: string): string {
  return DateTime.fromJSDate(instant, { zone }).toISODate()!;
}

/** The instant a local day begins in `zone` (its 00:00, whatever the offset that day). */
export function startOfLocalDay(day: string, zone: string): Date {
  return DateTime.fromISO(day, { zone }).startOf("day").toJSDate();
}

/** Whether a day is a weekday (Monday–Friday) that is not in `holidays`. */
export function isWorkingDay(day: string, holidays: ReadonlySet<string>): boolean {
  const weekday = new Date(day + "T00:00:00.000Z").getUTCDay();
  return weekday !== 0 && weekday !== 6 && !holidays.has(day);
}

/**
 * The moment a period of `days` that starts with an event at `from` ends, in the zone of the party
 * it binds (SPEC R2.6). As the civil codes count periods (KZ Civil Code arts. 171–173, UA Civil
 * Code arts. 253–254): the count starts the day after the event's local day; a period of calendar
 * days ends at 24:00 of its last day, moved to the next working day when that one is a weekend or a
 * holiday; a period of working days ends at 24:00 of its n-th working day.
 */
export function periodEnd(
  from: Date,
  mode: "calendar" | "working",
  days: number,
  holidays: ReadonlySet<string>,
  zone: string,
): Date {
  const start = localDay(from, zone);
  let last: string;
  if (mode === "working") last = addBusinessDays(start, days, holidays);
  else {
    last = addDays(start, days);
    while (!isWorkingDay(last, holidays)) last = addDays(last, 1);
  }
  return startOfLocalDay(addDays(last, 1), zone);
}

/** "YYYY-MM-DD HH:mm (zone)": an instant as the people of `zone` read it (maintenance windows, 004 §2.4.3). */
export function localMinute(instant: Date, zone: string): string {
  return `${DateTime.fromJSDate(instant, { zone }).toFormat("yyyy-MM-dd HH:mm")} (${zone})`;
}
