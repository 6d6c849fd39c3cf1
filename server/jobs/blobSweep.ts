// Deletes blobs no document (nor disposition certificate) refers to, and abandoned staging files.
// They are what a crash or a failed registration leaves behind (the blob is committed before the
// row that refers to it), so only files older than the grace period are touched: an upload in
// progress is never swept.
import type { Config } from "../config/index.js";
import type { BlobStore } from "../storage/blobs.js";
import type { JobDefinition } from "./registry.js";

export function blobSweepJob(config: Config, blobs: BlobStore): JobDefinition {
  return {
    name: "blobs.sweep",
    schedule: config.jobs.blobSweepSchedule,
    async run({ db, clock }) {
      const olderThan = new Date(clock.now().getTime() - config.jobs.blobSweepGraceMinutes * 60_000);
      // Referenced: a document's file, or a disposition certificate's body.
      return blobs.sweep(async (hashes) => {
        const files: Array<{ sha256: string }> = await db("document_files")
          .whereIn("sha256", hashes)
          .distinct("sha256");
        const certificates: Array<{ sha256: string }> = await db("disposition_batches")
          .whereIn("certificate_sha256", hashes)
          .select("certificate_sha256 as sha256");
        return new Set([...files, ...certificates].map((r) => r.sha256));
      }, olderThan);
    },
  };
}
