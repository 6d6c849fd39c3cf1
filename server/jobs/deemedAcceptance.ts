// SPEC R2.6: daily, acts and reconciliation acts past their deadline become accepted by silence.
import type { Config } from "../config/index.js";
import { deemedAcceptor } from "../domain/documents/exchange.js";
import { systemActor } from "../domain/identity/roles.js";
import type { JobDefinition } from "./registry.js";

export function deemedAcceptanceJob(config: Config): JobDefinition {
  return {
    name: "documents.deemedAcceptance",
    schedule: config.jobs.deemedAcceptanceSchedule,
    async run({ db, clock }) {
      const { accepted } = await deemedAcceptor({
        db,
        clock,
        config,
        actor: systemActor,
        meta: { ip: null, requestId: null },
      });
      return { accepted: accepted.length };
    },
  };
}
