// Every hour (audit.anchorSchedule): the audit chain's head anchored outside the database — a line
// in audit.anchorFile and a notice to every compliance officer — timestamped by the configured TSA
// (or the appliance's own, with an HSM) when there is one (SPEC R5.7). Runs with or without an HSM.
import type { Config } from "../config/index.js";
import { auditAnchorWriter } from "../domain/audit/anchors.js";
import { activeHolders } from "../domain/identity/queries.js";
import { notificationWriter } from "../mail/outbox.js";
import type { TsaClient } from "../pki/tsa.js";
import type { JobDefinition } from "./registry.js";

export function auditAnchorJob(config: Config, tsa: () => TsaClient | null): JobDefinition {
  return {
    name: "audit.anchor",
    schedule: config.audit.anchorSchedule,
    async run({ db, clock }) {
      const client = tsa();
      const { anchor, line } = await auditAnchorWriter(db, clock, {
        appliance: config.server.publicUrl || config.server.host,
        anchorFile: config.audit.anchorFile,
        timestamp: client ? async (data) => (await client.timestamp(data)).token : null,
      });
      const officers = await activeHolders(db, "compliance_officer");
      await db.transaction((tx) =>
        notificationWriter(
          tx,
          clock,
          officers.map((userId) => ({
            topic: "audit.anchor",
            to: { userId },
            ref: `audit-anchor:${anchor.seq}`,
            payload: { seq: anchor.seq, hash: anchor.hash, at: anchor.at, timestamped: line.timestamp ? "yes" : "no" },
          })),
        ),
      );
      return { seq: anchor.seq, hash: anchor.hash, timestamped: Boolean(line.timestamp), notified: officers.length };
    },
  };
}
