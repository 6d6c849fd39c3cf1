// The period a recipient has to sign or refuse an act before it is deemed accepted (SPEC R2.6):
// 7 calendar days [000 §4.8-4.9] by default (config documents.acceptance); an organization may choose
// working days (5 [004 §3.6]) that skip weekends and its holiday calendar. The period runs from the
// recipient's receipt ("с момента его получения", "з моменту отримання"), in the recipient's time zone.
import { z } from "zod";
import { notFound } from "../../errors.js";
import { dayOf } from "../shared/days.js";
import { periodEnd } from "../shared/zones.js";
import type { Config } from "../../config/index.js";
import type { Tx } from "../../storage/db.js";
import { audit, type CommandContext } from "../context.js";
import { organizationFor } from "../identity/organizations.js";
import { organizationFactsOf, organizationFactsWriter } from "../identity/records.js";

export const AcceptancePolicy = z.strictObject({
  mode: z.enum(["calendar", "working"]),
  days: z.number().int().min(1).max(90).optional(),
});
export type AcceptancePolicy = z.infer<typeof AcceptancePolicy>;

/**
 * The deadline of a document the recipient organization received at `from` (SPEC R2.6): counted
 * from the receipt, under the recipient's policy, its holidays and in its time zone.
 */
export async function respondBy(tx: Tx, config: Config, organizationId: string, from: Date): Promise<Date> {
  const { mode, days } = await acceptancePolicyOf(tx, config, organizationId, false);
  const zone = (await organizationFactsOf(tx, organizationId))?.time_zone ?? config.server.timeZone;
  // Holidays matter to both modes: a calendar period ending on one moves to the next working day.
  const rows: Array<{ day: string }> = await tx("organization_holidays")
    .where({ organization_id: organizationId })
    .where("day", ">=", dayOf(from))
    .select("day");
  return periodEnd(from, mode, days, new Set(rows.map((r) => r.day)), zone);
}

// ---------- settings (organization administrators) ----------

export async function acceptancePolicyOf(tx: Tx, config: Config, organizationId: string, withHolidays = true) {
  const org = await organizationFactsOf(tx, organizationId);
  if (!org) throw notFound();
  const mode = org.acceptance_mode as "calendar" | "working";
  const days =
    org.acceptance_days === null
      ? config.documents.acceptance[mode === "calendar" ? "calendarDays" : "workingDays"]
      : Number(org.acceptance_days);
  const holidays: Array<{ day: string; name: string | null }> = withHolidays
    ? await tx("organization_holidays").where({ organization_id: organizationId }).orderBy("day").select("day", "name")
    : [];
  return { mode, days, holidays };
}

export async function acceptancePolicySetter(ctx: CommandContext, p: { organizationId: string } & AcceptancePolicy) {
  await organizationFor(ctx, p.organizationId, "organization.update");
  await organizationFactsWriter(
    ctx.tx,
    p.organizationId,
    { acceptance_mode: p.mode, acceptance_days: p.days ?? null },
    ctx.clock.now().toISOString(),
  );
  await audit(ctx, {
    action: "organization.acceptance_policy",
    target: { type: "organization", id: p.organizationId },
    organizationId: p.organizationId,
    details: { mode: p.mode, days: p.days ?? null },
  });
  return acceptancePolicyOf(ctx.tx, ctx.config, p.organizationId);
}

export const Holidays = z.strictObject({
  holidays: z.array(z.strictObject({ day: z.iso.date(), name: z.string().trim().max(200).optional() })).max(1000),
});

/** Replaces the organization's holiday calendar. */
export async function holidaysSetter(ctx: CommandContext, p: { organizationId: string } & z.infer<typeof Holidays>) {
  await organizationFor(ctx, p.organizationId, "organization.update");
  const days = [...new Map(p.holidays.map((h) => [h.day, h])).values()];
  await ctx.tx("organization_holidays").where({ organization_id: p.organizationId }).delete();
  if (days.length)
    await ctx
      .tx("organization_holidays")
      .insert(days.map((h) => ({ organization_id: p.organizationId, day: h.day, name: h.name ?? null })));
  await audit(ctx, {
    action: "organization.holidays",
    target: { type: "organization", id: p.organizationId },
    organizationId: p.organizationId,
    details: { count: days.length },
  });
  return acceptancePolicyOf(ctx.tx, ctx.config, p.organizationId);
}
