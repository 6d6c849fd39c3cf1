// SQLite only: a batch of statements as one script on the writing connection, bindings written as
// literals, guards that fail the script (and roll it back) when a statement changed no row. Its
// results must stay identical to running the same statements through knex in a transaction — the
// callers keep that path as their way back (registrationWriter), and the registration tests run
// both. Anything without an exact literal (NUL in a string, an unsafe integer) takes that way back.

import { Db, isPostgres } from "../db.js";
import { Statement } from "../statements.js";
import { SqliteConnection, allOn } from "./preparedStatements.js";
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
