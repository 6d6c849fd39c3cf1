// Group commit for audit entries that do not belong to a command's transaction: refusals, and
// later reads and downloads (R5.8). Callers wait until their entry is committed; entries that
// arrive while a batch is being written go into the next batch, so under load one transaction
// carries many entries and the chain still grows strictly in order.
import type { Clock } from "../../clock.js";
import type { Db } from "../../storage/db.js";
import type { AuditRow } from "./chain.js";
import { auditBatchAppender, type AuditBatchItem, type AuditEvent, type AuditMeta } from "./commands.js";

interface Pending extends AuditBatchItem {
  resolve: (rows: AuditRow[]) => void;
  reject: (err: unknown) => void;
}

export class AuditJournal {
  private queue: Pending[] = [];
  private writing: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly maxBatch = 2_000,
  ) {}

  /** Resolves with the committed rows, or rejects if they could not be written (then none of them is kept). */
  record(meta: AuditMeta, events: AuditEvent[]): Promise<AuditRow[]> {
    return new Promise((resolve, reject) => {
      this.queue.push({ meta, events, resolve, reject });
      this.writing ??= this.drain();
    });
  }

  /** Waits for everything recorded so far to be committed. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async write(batch: Pending[]): Promise<void> {
    const rows = await this.db.transaction((tx) => auditBatchAppender(tx, this.clock, batch));
    batch.forEach((p, i) => p.resolve(rows[i]));
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.write(batch);
        } catch {
          // One caller's bad entry must not cost the others theirs: write them one by one.
          for (const p of batch) await this.write([p]).catch(p.reject);
        }
      }
    } finally {
      this.writing = null;
    }
  }
}
