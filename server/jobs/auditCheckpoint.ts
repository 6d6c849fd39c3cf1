// Every hour (hsm.auditCheckpointSchedule): the audit chain's head signed by the HSM system key.
// Runs only with an HSM configured; a failed signature is the job's error (visible in /jobs).
import type { Config } from "../config/index.js";
import { auditCheckpointWriter } from "../domain/audit/checkpoints.js";
import type { Signer } from "../pki/signer.js";
import type { JobDefinition } from "./registry.js";

export function auditCheckpointJob(config: Config, signer: Signer): JobDefinition {
  return {
    name: "audit.checkpoint",
    schedule: config.hsm.auditCheckpointSchedule,
    async run({ db, clock }) {
      if (!config.hsm.module) return { skipped: "no HSM configured" };
      const c = await auditCheckpointWriter(db, clock, signer, config.server.publicUrl || config.server.host);
      return { checkpoint: c.id, seq: Number(c.seq), hash: c.head_hash };
    },
  };
}
