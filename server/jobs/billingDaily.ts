// SPEC R4.2, R4.4-R4.7: the daily billing run (see domain/billing/daily.ts), then publishing the
// day's invoices as documents (R4.9).
import type { Config } from "../config/index.js";
import { BillingDay } from "../domain/billing/daily.js";
import type { JobDefinition } from "./registry.js";

export function billingDailyJob(
  config: Config,
  publish: () => Promise<{ published: number; failed: number }>,
): JobDefinition {
  return {
    name: "billing.daily",
    schedule: config.billing.dailySchedule,
    async run({ db, clock }) {
      const result = await new BillingDay(db, clock, config).run();
      const t0 = performance.now();
      const published = await publish();
      return { ...result, ...published, stepMs: { ...result.stepMs, publish: Math.round(performance.now() - t0) } };
    },
  };
}
