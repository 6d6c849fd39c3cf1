// The billing calendar (SPEC R4.4): the appliance's holidays and bank holidays, data
// (`billing_calendar`) the billing operator keeps; working days skip the first, banking days both.
// The day arithmetic itself is shared (../shared/days.ts).
import { z } from "zod";
import type { Tx } from "../../storage/db.js";
import { audit, type CommandContext } from "../context.js";
import { authorize } from "../identity/policy.js";

export interface BillingCalendar {
  holidays: ReadonlySet<string>;
  bankHolidays: ReadonlySet<string>;
}

export async function billingCalendar(tx: Tx, from: string): Promise<BillingCalendar> {
  const rows: Array<{ day: string; kind: string }> = await tx("billing_calendar")
    .where("day", ">=", from)
    .select("day", "kind");
  return {
    holidays: new Set(rows.filter((r) => r.kind === "holiday").map((r) => r.day)),
    bankHolidays: new Set(rows.map((r) => r.day)),
  };
}

export const BillingCalendarInput = z.strictObject({
  days: z
    .array(
      z.strictObject({
        day: z.iso.date(),
        kind: z.enum(["holiday", "bank_holiday"]),
        name: z.string().trim().max(200).optional(),
      }),
    )
    .max(5000),
});

/** Replaces the billing calendar (the billing operator); a day named twice counts once, the last wins. */
export async function billingCalendarSetter(
  ctx: CommandContext,
  p: z.infer<typeof BillingCalendarInput>,
): Promise<number> {
  authorize(ctx.actor, "billing.manage", { type: "appliance" });
  const days = [...new Map(p.days.map((d) => [d.day, d])).values()];
  await ctx.tx("billing_calendar").delete();
  for (let i = 0; i < days.length; i += 300)
    await ctx
      .tx("billing_calendar")
      .insert(days.slice(i, i + 300).map((d) => ({ day: d.day, kind: d.kind, name: d.name ?? null })));
  await audit(ctx, { action: "billing.calendar_set", details: { days: days.length } });
  return days.length;
}

/** Every day of the billing calendar, in order. */
export function billingCalendarDays(db: Tx): Promise<Array<{ day: string; kind: string; name: string | null }>> {
  return db("billing_calendar").orderBy("day").select("day", "kind", "name");
}
