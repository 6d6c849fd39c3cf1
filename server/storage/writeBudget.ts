// Long jobs write in short transactions sized to a time budget, and let requests in between: a
// write lock held for long makes every API write wait (SQLite has one writer; PostgreSQL rows lock).

/**
 * Sizes a job's batches so each write transaction takes about `budgetMs`, from how long the last
 * ones took. The cost of a row is read as the median over the last few batches, but at least half
 * of what the last batch's rows cost: a stall elsewhere (the disk, the CPU, a collection) that
 * made one batch slow halves the next one at most instead of shrinking it to a row, and a step
 * whose rows really cost more is followed at once to about twice the budget, and within a few
 * batches (as the median moves) to the budget.
 * - The next size is the budget over that cost, grown gently (×1.5 at most) and kept in 1…`max`.
 * - A transaction has a fixed cost besides its rows (its round trips), which the per-row reading
 *   counts in full at small sizes; so while batches finish under the budget the size grows by at
 *   least one row, or a single row taking 60 % of the budget would keep every batch at one row.
 */
export class BatchSizer {
  private perRow: number[] = [];
  limit: number;

  constructor(
    private budgetMs: number,
    private max: number,
    first = 4,
    private window = 5,
  ) {
    this.limit = Math.max(1, Math.min(max, first));
  }

  /** Records a batch of `size` rows that took `ms`; returns the size of the next one. */
  record(size: number, ms: number): number {
    this.perRow.push(Math.max(ms, 0.01) / Math.max(size, 1));
    if (this.perRow.length > this.window) this.perRow.shift();
    const sorted = [...this.perRow].sort((a, b) => a - b);
    const cost = Math.max(sorted[Math.floor(sorted.length / 2)], this.perRow[this.perRow.length - 1] / 2);
    let next = Math.min(Math.floor(this.budgetMs / cost), Math.ceil(this.limit * 1.5));
    if (ms <= this.budgetMs && next <= size) next = size + 1;
    this.limit = Math.max(1, Math.min(this.max, next));
    return this.limit;
  }
}

/** Lets the requests that arrived meanwhile run before the next batch. */
export const yieldToRequests = () => new Promise((r) => setImmediate(r));
