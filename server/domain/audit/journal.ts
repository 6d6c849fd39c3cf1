// Group commit for audit entries that do not belong to a command's transaction: refusals, reads and
// downloads (R5.8). Callers wait until their entry is committed; the chain still grows strictly in
// order because batches are written one after another.
import type { Clock } from "../../clock.js";
import type { Db } from "../../storage/db.js";
import { GroupCommit } from "../../storage/groupCommit.js";
import type { AuditRow } from "./chain.js";
import { auditBatchAppender, type AuditBatchItem, type AuditEvent, type AuditMeta } from "./commands.js";

export class AuditJournal {
  private readonly group: GroupCommit<AuditBatchItem, AuditRow[]>;

  constructor(db: Db, clock: Clock, maxBatch = 2_000) {
    this.group = new GroupCommit(db, (tx, items) => auditBatchAppender(tx, clock, items), maxBatch);
  }

  /** Resolves with the committed rows, or rejects if they could not be written (then none of them is kept). */
  record(meta: AuditMeta, events: AuditEvent[]): Promise<AuditRow[]> {
    return this.group.submit({ meta, events });
  }

  /** Waits for everything recorded so far to be committed. */
  flush(): Promise<void> {
    return this.group.flush();
  }
}
