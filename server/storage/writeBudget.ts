// Long jobs write in short transactions sized to a time budget, and let requests in between: a
// write lock held for long makes every API write wait (SQLite has one writer; PostgreSQL rows lock).

/**
 * The size of the next batch so its write transaction takes about `budgetMs`, from the last one
 * (`size` rows in `ms`): grown gently (×1.5 at most), since a batch's cost varies, and shrunk at
 * once; between 1 and `max`.
 */
export const nextBatchSize = (limit: number, size: number, ms: number, budgetMs: number, max: number) =>
  Math.max(1, Math.min(max, Math.floor((size * budgetMs) / Math.max(ms, 1)), Math.ceil(limit * 1.5)));

/** Lets the requests that arrived meanwhile run before the next batch. */
export const yieldToRequests = () => new Promise((r) => setImmediate(r));
