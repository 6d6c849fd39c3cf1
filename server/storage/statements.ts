// Our own SQL for both dialects, where knex's builder costs more than the statement: rows and runs
// through the SQLite connection's prepared statements (sqlite/preparedStatements.ts) or knex.raw on
// PostgreSQL; independent statements of one transaction run together (one round trip on SQLite);
// multi-row inserts sliced to the dialect's bind limits.
import { type Knex } from "knex";

import { Tx, isPostgres } from "./db.js";
import { MAX_PREPARED, allOn, sqliteConnection } from "./sqlite/preparedStatements.js";

/**
 * Runs `run` over `items` a slice of `size` at a time, one after another (SQLite binds at most
 * 32,766 values per statement), and returns the rows the runs return, concatenated.
 */
export async function inSlices<T, R = unknown>(
  items: readonly T[],
  size: number,
  run: (slice: T[]) => Promise<readonly R[] | void | number>,
): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) {
    const rows = await run(items.slice(i, i + size));
    if (Array.isArray(rows)) out.push(...rows);
  }
  return out;
}

/** Runs `run` over `items` with at most `lanes` of them in flight; each lane takes the next item as it finishes one. */
export async function inLanes<T>(items: readonly T[], lanes: number, run: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(lanes, items.length) }, async () => {
      while (next < items.length) await run(items[next++]);
    }),
  );
}

/**
 * Runs statements of one transaction that do not depend on each other's results. On SQLite they
 * are all handed to the connection at once, so the transaction waits for one round trip through
 * the thread pool and the event loop instead of one per statement (under load each answer waits
 * its turn on a busy event loop). PostgreSQL's client takes one query at a time, so there they run
 * one after another, up to the first failure. Every statement is settled before the first failure
 * is thrown: the caller's rollback must not overtake a statement still running on the connection.
 */
export async function statements(tx: Tx, queries: ReadonlyArray<() => PromiseLike<unknown>>): Promise<unknown[]> {
  if (isPostgres(tx)) {
    const out: unknown[] = [];
    for (const q of queries) out.push(await q());
    return out;
  }
  const settled = await Promise.allSettled(queries.map((q) => q()));
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value);
}

/**
 * Our own SQL in a transaction, for the hottest statements (registration, the audit chain). On
 * SQLite each SQL text is prepared once per connection and kept: a repeated statement skips knex's
 * query builder and SQLite's parser, about 0.2 ms of event-loop time each. PostgreSQL and SQLite
 * outside a transaction go through knex.raw. Write `?` placeholders and double-quoted identifiers,
 * which both dialects read.
 */
export async function sqlRows<T = Record<string, unknown>>(
  tx: Tx,
  sql: string,
  bindings: readonly unknown[] = [],
): Promise<T[]> {
  const conn = await sqliteConnection(tx);
  if (!conn) {
    const r = await tx.raw(sql, bindings as Knex.RawBinding[]);
    return (isPostgres(tx) ? r.rows : r) as T[];
  }
  return allOn<T>(conn, sql, bindings);
}

/** Like sqlRows, for a statement without rows; returns how many rows it changed. */
export async function sqlRun(tx: Tx, sql: string, bindings: readonly unknown[] = []): Promise<number> {
  const conn = await sqliteConnection(tx);
  if (!conn) {
    const r = await tx.raw(sql, bindings as Knex.RawBinding[]);
    return isPostgres(tx) ? r.rowCount : -1;
  }
  return new Promise((resolve, reject) =>
    conn.run(sql, bindings, function (err) {
      return err ? reject(err) : resolve((this as { changes: number }).changes);
    }),
  );
}

/**
 * SQLite: the transaction's foreign keys are checked at its commit, so rows that refer to each
 * other can go out together (see statements), in one round trip. PostgreSQL runs such statements
 * one after another in the order given: nothing to do there.
 */
export function deferForeignKeys(tx: Tx): Promise<unknown> {
  return isPostgres(tx) ? Promise.resolve() : sqlRun(tx, "PRAGMA defer_foreign_keys = ON");
}

/** A statement with its bindings: run in a transaction (runStatements) or written into a SQLite script (sqliteScript). */
export interface Statement {
  sql: string;
  bindings: readonly unknown[];
  /** The statement must change a row: when it changes none, the transaction fails with the error this gives. */
  orElse?: (tx: Tx) => Promise<Error>;
}

/** Runs statements that do not depend on each other (see `statements`), holds each to its `orElse` and returns how many rows each changed. */
export async function runStatements(tx: Tx, list: readonly Statement[]): Promise<number[]> {
  const changed = (await statements(
    tx,
    list.map((s) => () => sqlRun(tx, s.sql, s.bindings)),
  )) as number[];
  for (const [i, s] of list.entries()) if (s.orElse && changed[i] === 0) throw await s.orElse(tx);
  return changed;
}

const insertSql = new Map<string, string>();

/**
 * Multi-row INSERTs of `rows`, a slice of `per` rows each (SQLite binds at most 32,766 values per
 * statement). Every row must have the same columns (the first row's, in its order); undefined is
 * written as NULL.
 */
export function insertStatements(table: string, rows: ReadonlyArray<object>, per: number): Statement[] {
  return Array.from({ length: Math.ceil(rows.length / per) }, (_, k) =>
    insertStatement(table, rows.slice(k * per, (k + 1) * per) as Array<Record<string, unknown>>),
  );
}

function insertStatement(table: string, rows: ReadonlyArray<Record<string, unknown>>): Statement {
  const columns = Object.keys(rows[0]);
  const bindings: unknown[] = [];
  for (const r of rows) {
    if (Object.keys(r).length !== columns.length) throw new Error(`insert into ${table}: rows with different columns`);
    for (const c of columns) {
      if (!(c in r)) throw new Error(`insert into ${table}: a row without ${c}`);
      bindings.push(r[c] ?? null);
    }
  }
  const key = `${table}|${rows.length}|${columns.join(",")}`;
  let sql = insertSql.get(key);
  if (!sql) {
    const tuple = `(${columns.map(() => "?").join(", ")})`;
    sql = `insert into "${table}" (${columns.map((c) => `"${c}"`).join(", ")}) values ${Array.from({ length: rows.length }, () => tuple).join(", ")}`;
    if (insertSql.size >= MAX_PREPARED) insertSql.clear();
    insertSql.set(key, sql);
  }
  return { sql, bindings };
}
