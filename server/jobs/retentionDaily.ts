// Every day (retention.dailySchedule): retain-until dates brought up to date; approved or
// interrupted dispositions carried on to their certificate; compliance officers told when documents
// are due and no batch is open (nothing is destroyed without their preview and approval); inactive
// accounts warned, then pseudonymized (R5.3).
import type { Config } from "../config/index.js";
import { activeHolders } from "../domain/identity/queries.js";
import { systemActor } from "../domain/identity/roles.js";
import {
  dispositionCounts,
  dispositionExecutor,
  openBatch,
  unfinishedBatches,
  type DispositionDeps,
} from "../domain/retention/disposition.js";
import { retentionEpoch } from "../domain/retention/facts.js";
import { inactiveAccountsStep } from "../domain/retention/privacy.js";
import { notificationWriter } from "../mail/outbox.js";
import type { JobDefinition } from "./registry.js";

export function retentionDailyJob(
  config: Config,
  deps: DispositionDeps,
  assign: () => Promise<unknown>,
): JobDefinition {
  return {
    name: "retention.daily",
    schedule: config.retention.dailySchedule,
    async run({ db, clock }) {
      const state = await retentionEpoch(db);
      if (state.assignedEpoch < state.epoch) await assign();
      const meta = { ip: null, requestId: null };
      const resumed: Array<{ id: string; state: string; destroyed: number }> = [];
      for (const id of await unfinishedBatches(db)) {
        const b = await dispositionExecutor(deps, systemActor, meta, id);
        resumed.push({ id, state: b.state, destroyed: b.progress.destroyed });
      }
      const today = clock.now().toISOString().slice(0, 10);
      const due = await dispositionCounts(db, today);
      let notified = 0;
      if (due.destroy.documents > 0 && !(await openBatch(db))) {
        const officers = await activeHolders(db, "compliance_officer");
        await notificationWriter(
          db,
          clock,
          officers.map((userId) => ({
            topic: "retention.disposition_due",
            to: { userId },
            payload: {
              asOf: today,
              documents: due.destroy.documents,
              held: due.held.documents,
              review: due.review.documents,
            },
          })),
        );
        notified = officers.length;
      }
      const accounts = await inactiveAccountsStep(db, clock, config);
      return {
        resumed,
        due: { documents: due.destroy.documents, held: due.held.documents, review: due.review.documents },
        notified,
        accounts,
      };
    },
  };
}
