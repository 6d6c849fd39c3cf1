// Backup and restore (SPEC R5.1; seeds 000 §8.2.6, §9.19, 004 §5.2: documents are kept 5–10
// years). A backup is a directory: the database as one consistent snapshot taken while the
// appliance serves, every content blob, the audit MAC key and anchor file, and a manifest naming
// every file with its size and SHA-256 — written last, so a directory without one is not a backup.
//  - SQLite: `VACUUM INTO` a new file (one read transaction: writers go on meanwhile, in WAL mode).
//  - PostgreSQL: a REPEATABLE READ transaction exports its snapshot; pg_dump dumps exactly that
//    snapshot, and the blobs the snapshot refers to are listed in the same transaction.
// The blobs are copied after the snapshot: a blob is durable before any row names it and never
// changes, so every blob the snapshot names is on disk — unless a disposition destroyed it since,
// which the manifest lists. With blobs in S3 object storage, the blobs the snapshot names are read
// through the store into the same layout, and a restore puts them into the configured bucket.
// Restore goes only into an empty data directory and database, after the backup verified whole.
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { chmod, copyFile, mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { Readable, Transform } from "node:stream";
import { promisify } from "node:util";
import knexFactory from "knex";
import type { Config } from "../config/index.js";
import { BlobUnreadableError, openBlobStore } from "./blobs.js";
import { isPostgres, type Db } from "./db.js";

const run = promisify(execFile);
const SHA256_HEX = /^[0-9a-f]{64}$/;

export interface BackupFile {
  path: string;
  size: number;
  sha256: string;
}

export interface BackupManifest {
  format: "qujat.backup/1";
  createdAt: string;
  database: "sqlite" | "postgresql";
  /** the database file inside the backup */
  databaseFile: string;
  /** migrations applied in the snapshot (a restore into a newer appliance migrates on) */
  migrations: string[];
  blobs: number;
  /** blobs the snapshot names that were gone when copied (destroyed by a disposition since) */
  missingBlobs: string[];
  files: BackupFile[];
}

export class BackupError extends Error {}

/** Streams `from` to `to` (flushed), returning its size and SHA-256. */
async function copyHashed(from: string | Readable, to: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash("sha256");
  let size = 0;
  await mkdir(path.dirname(to), { recursive: true });
  await pipeline(
    typeof from === "string" ? createReadStream(from) : from,
    new Transform({
      transform(chunk: Buffer, _e, done) {
        hash.update(chunk);
        size += chunk.length;
        done(null, chunk);
      },
    }),
    createWriteStream(to, { flags: "wx" }),
  );
  await flush(to);
  return { size, sha256: hash.digest("hex") };
}

async function flush(file: string) {
  const f = await open(file, "r");
  try {
    await f.datasync();
  } finally {
    await f.close();
  }
}

async function hashFile(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash("sha256");
  let size = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { size, sha256: hash.digest("hex") };
}

/** Every blob file under a blob root: [relative path, sha256 name]. */
async function blobFiles(root: string): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (const a of await readdir(root).catch(() => [] as string[])) {
    if (!/^[0-9a-f]{2}$/.test(a)) continue;
    for (const b of await readdir(path.join(root, a)).catch(() => [] as string[])) {
      if (!/^[0-9a-f]{2}$/.test(b)) continue;
      for (const n of await readdir(path.join(root, a, b))) if (SHA256_HEX.test(n)) out.push([path.join(a, b, n), n]);
    }
  }
  return out;
}

const referencedSql = `select sha256 from document_files union select certificate_sha256 from disposition_batches where certificate_sha256 is not null`;

/** Makes a backup of the running appliance into `dir` (absent or empty). */
export async function backupCreator(
  config: Config,
  db: Db,
  dir: string,
  log: (line: string) => void = () => {},
): Promise<BackupManifest> {
  if (existsSync(dir) && (await readdir(dir)).length > 0) throw new BackupError(`${dir} is not empty`);
  await mkdir(dir, { recursive: true });
  const files: BackupFile[] = [];
  const pg = isPostgres(db);
  const databaseFile = pg ? "database.pgdump" : "qujat.sqlite";
  const target = path.join(dir, databaseFile);
  let referenced: string[];
  let migrations: string[];
  if (pg) {
    // One snapshot for pg_dump and for the list of blobs it refers to.
    const tx = await db.transaction({ isolationLevel: "repeatable read" });
    try {
      const snapshot = (await tx.raw("select pg_export_snapshot() as s")).rows[0].s as string;
      referenced = (await tx.raw(referencedSql)).rows.map((r: { sha256: string }) => r.sha256);
      migrations = (await tx("knex_migrations").orderBy("id").pluck("name")) as string[];
      await run(
        "pg_dump",
        ["--format=custom", `--snapshot=${snapshot}`, `--file=${target}`, config.database.directUrl],
        {
          maxBuffer: 16 * 1024 * 1024,
        },
      ).catch((err: Error & { stderr?: string }) => {
        throw new BackupError(`pg_dump failed: ${err.stderr || err.message}`);
      });
    } finally {
      await tx.rollback();
    }
  } else {
    await db.raw("VACUUM INTO ?", [target]);
    await flush(target);
    const snap = knexFactory({ client: "sqlite3", connection: { filename: target }, useNullAsDefault: true });
    try {
      referenced = (await snap.raw(referencedSql)).map((r: { sha256: string }) => r.sha256);
      migrations = (await snap("knex_migrations").orderBy("id").pluck("name")) as string[];
    } finally {
      await snap.destroy();
    }
  }
  files.push({ path: databaseFile, ...(await hashFile(target)) });
  log(`database snapshot: ${databaseFile} (${migrations.length} migrations)`);

  const blobRoot = path.join(config.dataDir, "blobs");
  let blobs = 0;
  const copied = new Set<string>();
  // Object storage: the blobs the snapshot names, read through the store (each checked against
  // its hash as it is copied), into the same layout as a local store's.
  if (config.blobs.store === "s3") {
    const store = await openBlobStore(config);
    try {
      for (const name of [...new Set(referenced)].sort()) {
        const rel = path.join(name.slice(0, 2), name.slice(2, 4), name);
        const got = await copyHashed(store.read(name), path.join(dir, "blobs", rel)).catch((err: unknown) => {
          if (err instanceof BlobUnreadableError && err.reason === "missing") return null; // destroyed meanwhile
          throw err;
        });
        if (!got) continue;
        if (got.sha256 !== name)
          throw new BackupError(
            `blob ${name} is damaged in the store (its bytes hash to ${got.sha256}); restore it first`,
          );
        files.push({ path: path.join("blobs", rel), ...got });
        copied.add(name);
        blobs++;
      }
    } finally {
      await store.close();
    }
  }
  for (const [rel, name] of config.blobs.store === "s3" ? [] : await blobFiles(blobRoot)) {
    const got = await copyHashed(path.join(blobRoot, rel), path.join(dir, "blobs", rel)).catch(
      (err: NodeJS.ErrnoException) => {
        if (err.code === "ENOENT") return null; // removed meanwhile (swept or destroyed)
        throw err;
      },
    );
    if (!got) continue;
    if (got.sha256 !== name)
      throw new BackupError(`blob ${name} is damaged on disk (its bytes hash to ${got.sha256}); restore it first`);
    files.push({ path: path.join("blobs", rel), ...got });
    copied.add(name);
    blobs++;
  }
  const missingBlobs = [...new Set(referenced)].filter((h) => !copied.has(h));
  log(`blobs: ${blobs} copied${missingBlobs.length ? `, ${missingBlobs.length} named by the snapshot but gone` : ""}`);

  // The audit MAC key and the anchors: without the key the restored log cannot prove its MACs.
  for (const [file, name] of [
    [config.audit.keyFile, "audit.key"],
    [config.audit.anchorFile, "audit-anchors.jsonl"],
  ] as const) {
    if (!existsSync(file)) continue;
    files.push({ path: name, ...(await copyHashed(file, path.join(dir, name))) });
  }

  const manifest: BackupManifest = {
    format: "qujat.backup/1",
    createdAt: new Date().toISOString(),
    database: pg ? "postgresql" : "sqlite",
    databaseFile,
    migrations,
    blobs,
    missingBlobs,
    files,
  };
  // Written last and renamed into place: a backup cut short has no manifest.
  await writeFile(path.join(dir, "manifest.json.tmp"), JSON.stringify(manifest, null, 2) + "\n");
  await flush(path.join(dir, "manifest.json.tmp"));
  await rename(path.join(dir, "manifest.json.tmp"), path.join(dir, "manifest.json"));
  return manifest;
}

/** Re-reads every file of a backup against its manifest; the problems found (none: intact). */
export async function backupVerifier(dir: string): Promise<{ manifest: BackupManifest; problems: string[] }> {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(await readFile(path.join(dir, "manifest.json"), "utf8"));
  } catch (err) {
    throw new BackupError(`${dir} has no readable manifest.json: not a (complete) backup (${(err as Error).message})`);
  }
  if (manifest.format !== "qujat.backup/1") throw new BackupError(`${dir}: unknown backup format ${manifest.format}`);
  const problems: string[] = [];
  for (const f of manifest.files) {
    const full = path.join(dir, f.path);
    if (path.relative(dir, full).startsWith("..")) {
      problems.push(`${f.path}: outside the backup`);
      continue;
    }
    const got = await hashFile(full).catch(() => null);
    if (!got) problems.push(`${f.path}: missing`);
    else if (got.size !== f.size || got.sha256 !== f.sha256) problems.push(`${f.path}: changed since the backup`);
    else if (f.path.startsWith("blobs" + path.sep) && path.basename(f.path) !== got.sha256)
      problems.push(`${f.path}: its bytes are not the blob it names`);
  }
  if (!manifest.files.some((f) => f.path === manifest.databaseFile)) problems.push("the database file is not listed");
  return { manifest, problems };
}

/** Restores a verified backup into an empty data directory and database. */
export async function backupRestorer(
  config: Config,
  db: Db,
  dir: string,
  log: (line: string) => void = () => {},
): Promise<BackupManifest> {
  const { manifest, problems } = await backupVerifier(dir);
  if (problems.length) throw new BackupError(`the backup is damaged:\n  ${problems.join("\n  ")}`);
  const pg = isPostgres(db);
  if (pg !== (manifest.database === "postgresql"))
    throw new BackupError(
      `this backup is of a ${manifest.database} appliance; set QUJAT_DATABASE_URL ${pg ? "empty (SQLite)" : "to a PostgreSQL database"}`,
    );
  const blobRoot = path.join(config.dataDir, "blobs");
  if (config.blobs.store === "fs" && (await blobFiles(blobRoot)).length > 0)
    throw new BackupError(`${blobRoot} already holds blobs: restore into an empty data directory`);
  for (const f of [config.audit.keyFile, config.audit.anchorFile])
    if (existsSync(f)) throw new BackupError(`${f} exists: restore into an empty data directory`);
  if (pg) {
    const tables = (await db.raw(`select count(*) as n from information_schema.tables where table_schema = 'public'`))
      .rows[0].n;
    if (Number(tables) > 0) throw new BackupError("the database is not empty: restore into a new, empty database");
    await run(
      "pg_restore",
      [
        "--no-owner",
        "--no-privileges",
        "--exit-on-error",
        `--dbname=${config.database.directUrl}`,
        path.join(dir, manifest.databaseFile),
      ],
      { maxBuffer: 16 * 1024 * 1024 },
    ).catch((err: Error & { stderr?: string }) => {
      throw new BackupError(`pg_restore failed: ${err.stderr || err.message}`);
    });
  } else {
    const file = path.join(config.dataDir, "qujat.sqlite");
    const size = (await stat(file).catch(() => null))?.size ?? 0;
    const tables = size > 0 ? await db.raw(`select count(*) as n from sqlite_master where type = 'table'`) : [{ n: 0 }];
    if (Number(tables[0].n) > 0) throw new BackupError(`${file} is not empty: restore into an empty data directory`);
    await db.destroy(); // the file is replaced underneath
    await mkdir(config.dataDir, { recursive: true });
    for (const extra of ["-wal", "-shm"]) await rm(file + extra, { force: true });
    await copyFile(path.join(dir, manifest.databaseFile), file);
    await flush(file);
  }
  log(`database restored (${manifest.migrations.length} migrations)`);
  let n = 0;
  const store = config.blobs.store === "s3" ? await openBlobStore(config) : null;
  try {
    for (const f of manifest.files.filter((f) => f.path.startsWith("blobs" + path.sep))) {
      if (store) {
        // Into the object store under its content address (kept as it is when already there).
        const staged = await store.stage(createReadStream(path.join(dir, f.path)));
        if (staged.sha256 !== f.sha256) {
          await staged.discard();
          throw new BackupError(`${f.path} changed while it was restored`);
        }
        await staged.commit();
        await staged.discard();
      } else await copyHashed(path.join(dir, f.path), path.join(config.dataDir, f.path));
      n++;
    }
  } finally {
    await store?.close();
  }
  log(`blobs restored: ${n}`);
  for (const [name, to] of [
    ["audit.key", config.audit.keyFile],
    ["audit-anchors.jsonl", config.audit.anchorFile],
  ] as const) {
    if (!manifest.files.some((f) => f.path === name)) continue;
    await copyHashed(path.join(dir, name), to);
    if (name === "audit.key") await chmod(to, 0o600);
  }
  return manifest;
}
