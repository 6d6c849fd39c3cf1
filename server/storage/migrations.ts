// Migrations (migrations/*.ts, knex timestamp names): applied at start and by `qujat migrate`, the same
// files on SQLite and PostgreSQL; the compiled build carries them as .mjs.
import { type Knex } from "knex";
import { readdirSync } from "node:fs";
import path from "node:path";

import { projectRoot } from "../config/index.js";
import { Db, isPostgres } from "./db.js";
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

/** The cluster-wide lock migrations run under (an arbitrary constant: "qujat-migrations"). */
const MIGRATION_LOCK = 0x71756a6d;

/**
 * Applies pending migrations. On PostgreSQL under a blocking advisory lock held on its own
 * connection for the whole run: several nodes starting at once on an empty database queue there,
 * and each after the first finds nothing left to do (knex's own lock table would have to exist
 * first, and creating it races). The lock is a session lock, taken outside any pooler.
 */
export async function migrateLatest(db: Db): Promise<string[]> {
  if (!isPostgres(db)) {
    const [, applied] = (await db.migrate.latest(migrationConfig())) as [number, string[]];
    return applied;
  }
  const client: any = await (db.client as any).acquireConnection();
  try {
    await client.query("select pg_advisory_lock($1)", [MIGRATION_LOCK]);
    try {
      const [, applied] = (await db.migrate.latest(migrationConfig())) as [number, string[]];
      return applied;
    } finally {
      await client.query("select pg_advisory_unlock($1)", [MIGRATION_LOCK]);
    }
  } finally {
    await (db.client as any).releaseConnection(client);
  }
}

/**
 * For nodes that do not migrate themselves (cluster.migrations "wait"): waits until `qujat migrate`
 * has applied every migration this build carries, then returns; past `seconds` it throws, so a node
 * never serves a schema it was not built for.
 */
export async function migrationsAwaited(db: Db, seconds: number, onWait: (pending: string[]) => void) {
  const until = Date.now() + seconds * 1000;
  let told = false;
  for (;;) {
    const pending = await pendingMigrations(db).catch(() => ["(the database has no migrations table yet)"]);
    if (!pending.length) return;
    if (!told) onWait(pending);
    told = true;
    if (Date.now() >= until)
      throw new Error(
        `${pending.length} migration(s) pending after ${seconds} s (${pending.join(", ")}): run \`npx qujat migrate\` first`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}

export async function pendingMigrations(db: Db): Promise<string[]> {
  const [, pending] = (await db.migrate.list(migrationConfig())) as [unknown[], Array<{ file: string } | string>];
  return pending.map((p) => (typeof p === "string" ? p : p.file));
}
