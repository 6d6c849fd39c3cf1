// Migrations (migrations/*.ts, knex timestamp names): applied at start and by `qujat migrate`, the same
// files on SQLite and PostgreSQL; the compiled build carries them as .mjs.
import { type Knex } from "knex";
import { readdirSync } from "node:fs";
import path from "node:path";

import { projectRoot } from "../config/index.js";
import { Db } from "./db.js";
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
