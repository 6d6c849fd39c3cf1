// Group commit: many callers' writes in one transaction. Each caller waits until its own item is
// committed; items that arrive while a batch is being written go into the next batch, so under load
// one transaction (one BEGIN/COMMIT, one audit-head update, multi-row inserts) carries many items
// and at rest an item is written at once. If a batch fails, its items are retried one by one, so
// one caller's bad item costs only that caller. A writer may also offer a faster way it takes when
// it can (`direct`, see registrationScript), with the transaction as the way back.
import type { Knex } from "knex";
import type { Db } from "./db.js";

interface Pending<I, R> {
  item: I;
  resolve: (r: R) => void;
  reject: (err: unknown) => void;
}

export class GroupCommit<I, R> {
  private queue: Pending<I, R>[] = [];
  private writing: Promise<void> | null = null;
  /** batches written, by the way they were */
  readonly written = { direct: 0, transaction: 0 };

  constructor(
    private readonly db: Db,
    /** writes the items in the transaction; returns one result per item, in order */
    private readonly write: (tx: Knex.Transaction, items: I[]) => Promise<R[]>,
    private readonly maxBatch: number,
    /** writes the items its own way and returns their results, or null having written nothing: then `write` does */
    private readonly direct?: (items: I[]) => Promise<R[] | null>,
    /** told of each transaction once it committed (measures) */
    private readonly committed?: (tx: Knex.Transaction) => void,
  ) {}

  submit(item: I): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.writing ??= this.drain();
    });
  }

  /** Waits for everything submitted so far to be committed. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async commit(batch: Pending<I, R>[]): Promise<void> {
    const items = batch.map((p) => p.item);
    let results = this.direct ? await this.direct(items) : null;
    if (results) this.written.direct++;
    else {
      let used: Knex.Transaction | null = null;
      results = await this.db.transaction((tx) => {
        used = tx;
        return this.write(tx, items);
      });
      this.written.transaction++;
      if (used) this.committed?.(used);
    }
    batch.forEach((p, i) => p.resolve(results[i]));
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          await this.commit(batch);
        } catch (err) {
          if (batch.length === 1) batch[0].reject(err);
          else for (const p of batch) await this.commit([p]).catch(p.reject);
        }
      }
    } finally {
      this.writing = null;
    }
  }
}
