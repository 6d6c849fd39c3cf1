// Database factory: embedded SQLite by default, PostgreSQL when database.url is set.
// The same migrations run on both; dialect differences are guarded with `isPostgres`.
import knexFactory, { type Knex } from "knex";
import { mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config/index.js";
import { projectRoot } from "../config/index.js";

export type Db = Knex;
export type Tx = Knex | Knex.Transaction;

export const isPostgres = (db: Tx) => db.client.config.client === "pg";

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

interface SqliteStatement {
  all(params: readonly unknown[], cb: (err: Error | null, rows: unknown[]) => void): void;
  run(params: readonly unknown[], cb: (this: { changes: number; lastID: number }, err: Error | null) => void): void;
  finalize(cb?: () => void): void;
}
type Callback = (this: unknown, err: Error | null, rows?: unknown[]) => void;
interface SqliteConnection {
  prepare(sql: string): SqliteStatement;
  run(sql: string, params: readonly unknown[], cb: Callback): void;
  all(sql: string, params: readonly unknown[], cb: Callback): void;
  exec(sql: string, cb: (err: Error | null) => void): void;
  close(cb: (err: Error | null) => void): void;
}

/** Per SQLite connection, its prepared statements by SQL text. */
const preparedStatements = new WeakMap<object, Map<string, SqliteStatement>>();
const MAX_PREPARED = 500;

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
function reuseStatements(conn: SqliteConnection) {
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
async function sqliteConnection(tx: Tx): Promise<SqliteConnection | null> {
  if (isPostgres(tx) || !(tx as Knex.Transaction).isTransaction) return null;
  return (await tx.client.acquireConnection()) as SqliteConnection;
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

/** The rows of `sql` on a SQLite connection (through its prepared statements, see reuseStatements). */
function allOn<T>(conn: SqliteConnection, sql: string, bindings: readonly unknown[]): Promise<T[]> {
  return new Promise((resolve, reject) =>
    conn.all(sql, bindings, (err, rows) => (err ? reject(err) : resolve(rows as T[]))),
  );
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

/**
 * `v` as a SQLite literal that stores what binding `v` stores (node-sqlite3 binds booleans as 1/0),
 * or undefined where there is no such literal: a string with NUL (SQL text ends there), a number
 * that is not a safe integer (its decimal text need not parse back to the same double), anything else.
 */
function sqliteLiteral(v: unknown): string | undefined {
  if (v === null || v === undefined) return "NULL";
  if (typeof v === "boolean") return v ? "1" : "0";
  if (typeof v === "number") return Number.isSafeInteger(v) && !Object.is(v, -0) ? String(v) : undefined;
  if (typeof v === "string") return v.includes("\0") ? undefined : `'${v.replaceAll("'", "''")}'`;
  return undefined;
}

/** The guard table of sqliteScript: a row in it is a failed guard, refused by its CHECK. */
const GUARD_TABLE = `create temp table if not exists "qujat_guard" ("failed" text constraint "guard_failed" check ("failed" is null))`;

/** A statement that fails the script when `condition` (SQL, with `?` bindings) holds. */
export function guard(condition: string, bindings: readonly unknown[] = []): Statement {
  return { sql: `insert into temp."qujat_guard" ("failed") select 'guard' where ${condition}`, bindings };
}

/**
 * SQLite: statements as one script — bindings written as literals, each `orElse` statement followed
 * by a guard that fails the script when it changed no row — or null when a binding has no literal
 * (see sqliteLiteral). In SQLite a string literal is quoted with ' and a ' inside is doubled; there
 * are no other escapes. The statements' SQL must use `?` only as placeholders, outside quotes.
 */
export function sqliteScript(list: readonly Statement[]): string | null {
  const out: string[] = [];
  for (const s of list) {
    const parts = s.sql.split("?");
    if (parts.length - 1 !== s.bindings.length)
      throw new Error(`${s.bindings.length} bindings for ${parts.length - 1} placeholders: ${s.sql}`);
    let text = parts[0];
    for (let i = 0; i < s.bindings.length; i++) {
      const literal = sqliteLiteral(s.bindings[i]);
      if (literal === undefined) return null;
      text += literal + parts[i + 1];
    }
    out.push(text);
    if (s.orElse) out.push(guard("changes() = 0").sql);
  }
  return out.join(";\n");
}

/** What sqliteWriter lends: the writing connection, outside knex's transaction machinery. */
export interface SqliteWriter {
  /** rows of one statement, through the connection's prepared statements */
  rows<T = Record<string, unknown>>(sql: string, bindings?: readonly unknown[]): Promise<T[]>;
  /**
   * Runs `script` (see sqliteScript) as one transaction, in one trip through the thread pool: BEGIN
   * IMMEDIATE, foreign keys checked at the commit, the script, COMMIT. When any of it fails, the
   * transaction is rolled back and the error thrown.
   */
  transaction(script: string): Promise<void>;
}

/**
 * SQLite: lends the writing connection (the pool holds one) to `work`, which no other statement of
 * this process runs on meanwhile. For the hottest write, a batch of registrations: knex's
 * transaction costs a trip for BEGIN, one per dependent step and one for COMMIT, each waiting its
 * turn on a busy event loop; a script is one. Null on PostgreSQL.
 */
export async function sqliteWriter<T>(db: Db, work: (w: SqliteWriter) => Promise<T>): Promise<T | null> {
  if (isPostgres(db)) return null;
  const conn = (await db.client.acquireConnection()) as SqliteConnection;
  const exec = (sql: string) =>
    new Promise<void>((resolve, reject) => conn.exec(sql, (err) => (err ? reject(err) : resolve())));
  try {
    return await work({
      rows: (sql, bindings = []) => allOn(conn, sql, bindings),
      async transaction(script) {
        try {
          await exec(`${GUARD_TABLE};\nBEGIN IMMEDIATE;\nPRAGMA defer_foreign_keys = ON;\n${script};\nCOMMIT`);
        } catch (err) {
          // Where the script stopped, the transaction is still open — unless SQLite rolled it back
          // itself (a full disk, an I/O error) or it never began (busy): then there is nothing to undo.
          await exec("ROLLBACK").catch((e: Error) => {
            if (!/no transaction is active/.test(e.message)) throw e;
          });
          throw err;
        }
      },
    });
  } finally {
    await db.client.releaseConnection(conn);
  }
}

/**
 * A unique-constraint violation: PostgreSQL's SQLSTATE 23505, or SQLite's SQLITE_CONSTRAINT whose
 * kind node-sqlite3 reports only in the message (it exposes no extended result code).
 */
export function isUniqueViolation(e: unknown): boolean {
  const { code, message } = (e ?? {}) as { code?: string; message?: string };
  return (
    code === "23505" ||
    (code === "SQLITE_CONSTRAINT" && /SQLITE_CONSTRAINT: UNIQUE constraint failed/.test(message ?? ""))
  );
}

export function createDb(config: Pick<Config, "database" | "dataDir">): Db {
  if (config.database.url) {
    return knexFactory({
      client: "pg",
      connection: config.database.url,
      pool: { min: 0, max: config.database.poolMax },
    });
  }
  mkdirSync(config.dataDir, { recursive: true });
  // WAL for concurrent readers, FK enforcement, and a wait instead of SQLITE_BUSY.
  return sqlite(
    config,
    1,
    1,
    "PRAGMA journal_mode = WAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL;",
  );
}

/** A knex over the SQLite file of `config`, each new connection set up with `pragmas`. */
function sqlite(config: Pick<Config, "dataDir">, min: number, max: number, pragmas: string): Db {
  return knexFactory({
    client: "sqlite3",
    connection: { filename: path.join(config.dataDir, "qujat.sqlite") },
    useNullAsDefault: true,
    pool: {
      min,
      max,
      afterCreate(conn: SqliteConnection, done: (err: Error | null, conn: unknown) => void) {
        reuseStatements(conn);
        conn.exec(pragmas, (err) => done(err, conn));
      },
    },
  });
}

/**
 * Where reads that need no transaction go. PostgreSQL: the same pool. SQLite: a pool of read-only
 * connections to the same file — WAL lets them read while the one writing connection writes, so a
 * request's checks do not wait behind another request's transaction. Each statement sees what was
 * committed before it started.
 */
export function createReader(config: Pick<Config, "database" | "dataDir">, db: Db): Db {
  if (config.database.url || config.database.sqliteReaders === 0) return db;
  return sqlite(config, 0, config.database.sqliteReaders, "PRAGMA query_only = ON; PRAGMA busy_timeout = 5000;");
}

const MIGRATIONS_DIR = path.join(projectRoot, "migrations");

/** Loads migrations/*.ts by import so the same TypeScript files run under tsx on both dialects. */
class TsMigrationSource implements Knex.MigrationSource<string> {
  async getMigrations(): Promise<string[]> {
    return readdirSync(MIGRATIONS_DIR)
      .filter((f) => /^\d{14}_.+\.ts$/.test(f))
      .sort();
  }
  getMigrationName(name: string): string {
    return name;
  }
  async getMigration(name: string): Promise<Knex.Migration> {
    // A relative template import: tsx resolves it at run time, and the server build (esbuild)
    // bundles every file it can match, so the compiled appliance carries its migrations.
    const base = name.replace(/\.ts$/, "");
    return import(`../../migrations/${base}.ts`);
  }
}

const migrationConfig = () => ({ migrationSource: new TsMigrationSource(), tableName: "knex_migrations" });

export async function migrateLatest(db: Db): Promise<string[]> {
  const [, applied] = (await db.migrate.latest(migrationConfig())) as [number, string[]];
  return applied;
}

export async function pendingMigrations(db: Db): Promise<string[]> {
  const [, pending] = (await db.migrate.list(migrationConfig())) as [unknown[], Array<{ file: string } | string>];
  return pending.map((p) => (typeof p === "string" ? p : p.file));
}

/** Whether the database answers (readiness). */
export const databasePing = (db: Db) => db.raw("select 1");
