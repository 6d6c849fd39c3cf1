// Exchange rates as data (SPEC R4.1; 002 §5.1): the billing operator records, per currency and
// day, how many tenge one unit costs and where that rate comes from (e.g. the National Bank of
// Kazakhstan's official rate). A foreign-currency plan's invoice to a Kazakh payer is issued in
// tenge at the latest rate recorded on or before the invoice's day.
import { z } from "zod";
import { StateConflictError } from "../../errors.js";
import type { Tx } from "../../storage/db.js";
import { audit, nowIso, type CommandContext } from "../context.js";
import { authorize } from "../identity/policy.js";
import { isIsoCurrency } from "../shared/currencies.js";
import { divRound } from "../shared/money.js";

export interface ExchangeRateRow {
  currency: string;
  day: string;
  kzt_per_unit: string;
  source: string;
  recorded_by: string | null;
  recorded_at: string;
}

export const ExchangeRateInput = z.strictObject({
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .refine((c) => isIsoCurrency(c) && c !== "KZT", "an ISO 4217 code other than KZT"),
  day: z.iso.date(),
  rate: z.string().regex(/^\d{1,12}(\.\d{1,4})?$/, "tenge per unit, at most 4 decimals, e.g. 512.3400"),
  source: z.string().trim().min(3).max(200),
});

/** Records (or corrects) one day's rate of a currency. */
export async function exchangeRateRecorder(ctx: CommandContext, p: z.infer<typeof ExchangeRateInput>) {
  authorize(ctx.actor, "billing.manage", { type: "appliance" });
  if (Number(p.rate) <= 0) throw new StateConflictError("invalid_rate", "A rate is more than zero");
  const row: ExchangeRateRow = {
    currency: p.currency,
    day: p.day,
    kzt_per_unit: p.rate,
    source: p.source,
    recorded_by: ctx.actor.userId ?? null,
    recorded_at: nowIso(ctx),
  };
  const before = await ctx.tx("exchange_rates").where({ currency: p.currency, day: p.day }).first();
  if (before) await ctx.tx("exchange_rates").where({ currency: p.currency, day: p.day }).update(row);
  else await ctx.tx("exchange_rates").insert(row);
  await audit(ctx, {
    action: "billing.exchange_rate",
    target: null,
    details: { ...p, replaced: before ? { rate: before.kzt_per_unit, source: before.source } : null },
  });
  return row;
}

export function exchangeRatesListed(db: Tx, currency?: string): Promise<ExchangeRateRow[]> {
  const q = db("exchange_rates").orderBy("day", "desc").limit(500);
  if (currency) q.where({ currency });
  return q;
}

/** The latest rate of `currency` recorded on or before `day`, or null. */
export async function rateOn(tx: Tx, currency: string, day: string): Promise<ExchangeRateRow | null> {
  return (
    ((await tx("exchange_rates").where({ currency }).where("day", "<=", day).orderBy("day", "desc").first()) as
      ExchangeRateRow | undefined) ?? null
  );
}

/** A minor-unit amount in the currency, in tiyn at `rate` (tenge per unit), rounded once. */
export function toTenge(minor: bigint, rate: string): bigint {
  const [int, frac = ""] = rate.split(".");
  const scaled = BigInt(int + frac.padEnd(4, "0").slice(0, 4)); // rate × 10^4
  return divRound(minor * scaled, 10_000n);
}

export const presentExchangeRate = (r: ExchangeRateRow) => ({
  currency: r.currency,
  day: r.day,
  rate: r.kzt_per_unit,
  source: r.source,
  recordedAt: r.recorded_at,
});
