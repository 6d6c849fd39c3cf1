// SQLite only: every statement knex runs goes through the connection's prepared statements, by SQL
// text (at most MAX_PREPARED per connection, finalized before the pool closes it) — one trip through
// the pool and the event loop instead of two, each distinct statement parsed once. The results are
// knex's own: only how the statement reaches SQLite changes.
import { type Knex } from "knex";

import { Tx, isPostgres } from "../db.js";

interface SqliteStatement {
  all(params: readonly unknown[], cb: (err: Error | null, rows: unknown[]) => void): void;
  run(params: readonly unknown[], cb: (this: { changes: number; lastID: number }, err: Error | null) => void): void;
  finalize(cb?: () => void): void;
}

type Callback = (this: unknown, err: Error | null, rows?: unknown[]) => void;

export interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  run(sql: string, params: readonly unknown[], cb: Callback): void;
  all(sql: string, params: readonly unknown[], cb: Callback): void;
  exec(sql: string, cb: (err: Error | null) => void): void;
  close(cb: (err: Error | null) => void): void;
}

/** Per SQLite connection, its prepared statements by SQL text. */
const preparedStatements = new WeakMap<object, Map<string, SqliteStatement>>();

export const MAX_PREPARED = 500;

/**
 * The statement for `sql` on `conn`, prepared the first time and kept. node-sqlite3 otherwise
 * prepares every statement anew — a round trip through the thread pool and the event loop of its
 * own before the one that runs it — and finalizes it after.
 */
function preparedOn(conn: SqliteConnection, sql: string): SqliteStatement {
  let cache = preparedStatements.get(conn);
  if (!cache) {
    const statements = (cache = new Map());
    preparedStatements.set(conn, statements);
    // node-sqlite3 closes with sqlite3_close, which refuses while statements are unfinalized: the
    // pool's close of this connection finalizes ours first.
    const close = conn.close.bind(conn);
    conn.close = (cb) => {
      const all = [...statements.values()];
      statements.clear();
      void Promise.all(all.map((st) => new Promise<void>((r) => st.finalize(() => r())))).then(() => close(cb));
    };
  }
  let stmt = cache.get(sql);
  if (!stmt) {
    if (cache.size >= MAX_PREPARED) {
      for (const st of cache.values()) st.finalize(); // after what is queued on it
      cache.clear();
    }
    stmt = conn.prepare(sql);
    cache.set(sql, stmt);
  }
  return stmt;
}

/** A failed statement is prepared afresh next time (its failure may have been in preparing it). */
function forgetOn(conn: SqliteConnection, sql: string) {
  const cache = preparedStatements.get(conn);
  cache?.get(sql)?.finalize();
  cache?.delete(sql);
}

/**
 * Every statement knex runs on this connection (it calls `run` and `all` with SQL text) goes
 * through the connection's prepared statements: one round trip instead of two, and SQLite parses
 * each distinct statement once. The callback's `this` is the statement, which carries `lastID` and
 * `changes` as node-sqlite3's own `Database#run` gives them.
 */
export function reuseStatements(conn: SqliteConnection) {
  for (const method of ["run", "all"] as const) {
    conn[method] = (sql, params, cb) => {
      (preparedOn(conn, sql)[method] as (p: readonly unknown[], cb: Callback) => void)(
        params ?? [],
        function (this: unknown, err, rows) {
          if (err) forgetOn(conn, sql);
          cb.call(this, err, rows);
        },
      );
    };
  }
}

/** A SQLite transaction's own connection, whose `run` and `all` use its prepared statements (see reuseStatements); otherwise null. */
export async function sqliteConnection(tx: Tx): Promise<SqliteConnection | null> {
  if (isPostgres(tx) || !(tx as Knex.Transaction).isTransaction) return null;
  return (await tx.client.acquireConnection()) as SqliteConnection;
}

/** The rows of `sql` on a SQLite connection (through its prepared statements, see reuseStatements). */
export function allOn<T>(conn: SqliteConnection, sql: string, bindings: readonly unknown[]): Promise<T[]> {
  return new Promise((resolve, reject) =>
    conn.all(sql, bindings, (err, rows) => (err ? reject(err) : resolve(rows as T[]))),
  );
}
