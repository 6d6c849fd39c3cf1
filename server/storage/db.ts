// Database factory: embedded SQLite by default, PostgreSQL when database.url is set.
// The same migrations run on both; dialect differences are guarded with `isPostgres`.
import knexFactory, { type Knex } from "knex";
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config/index.js";

import { SqliteConnection, reuseStatements } from "./sqlite/preparedStatements.js";
export type Db = Knex;

export type Tx = Knex | Knex.Transaction;

export const isPostgres = (db: Tx) => db.client.config.client === "pg";

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

/** Whether the database answers (readiness). */
export const databasePing = (db: Db) => db.raw("select 1");

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

/**
 * A database handle on PostgreSQL itself (database.directUrl), for what needs its own session —
 * the migrations' advisory lock, the cluster listener — when database.url goes through a
 * transaction pooler. The same handle when there is none (and on SQLite).
 */
export function createDirectDb(
  config: Pick<Config, "database" | "dataDir">,
  db: Db,
): { db: Db; close(): Promise<void> } {
  if (!config.database.url || config.database.directUrl === config.database.url) return { db, close: async () => {} };
  const direct = knexFactory({ client: "pg", connection: config.database.directUrl, pool: { min: 0, max: 2 } });
  return { db: direct, close: () => direct.destroy() };
}
