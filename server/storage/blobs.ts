// Content-addressed blob store on the filesystem: <root>/ab/cd/<sha256>. A blob is staged first —
// streamed to a temp file while it is hashed and counted — and only committed once the caller has
// accepted it: fdatasynced, renamed into its content address, and its directory fsynced, so it is
// on disk before the call returns (concurrent commits share one flush, see DurableRenamer). The
// database row that refers to a blob is written after the commit, so a crash leaves either a whole
// document or an unreferenced blob, which `sweep` removes after a grace period. Identical content
// is stored once.
// The interface is what an S3-compatible store will implement later.
import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";

export interface StagedBlob {
  sha256: string;
  size: number;
  /** The staged bytes, for checks before commit (magic bytes). */
  tempPath: string;
  /** The first bytes (up to 4100, what magic-number detection needs) */
  head: Buffer;
  /** Moves the bytes to their content address (a no-op when that content is already stored). */
  commit(): Promise<void>;
  /** Drops the staged bytes. Safe to call after commit (then it does nothing). */
  discard(): Promise<void>;
}

export interface StageOptions {
  /** Called with each chunk's size before it is written; throwing aborts the stage and removes the temp file. */
  onBytes?: (n: number) => void;
}

export interface BlobStore {
  stage(source: Readable, opts?: StageOptions): Promise<StagedBlob>;
  put(data: Buffer): Promise<{ sha256: string; size: number }>;
  read(sha256: string): Readable;
  has(sha256: string): Promise<boolean>;
  remove(sha256: string): Promise<void>;
  /** Removes stored blobs no row refers to and abandoned temp files, both older than `olderThan`. */
  sweep(isReferenced: (sha256s: string[]) => Promise<Set<string>>, olderThan: Date): Promise<{ blobs: number; temps: number }>;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const TEMP_DIR = ".staging";
const HEAD_BYTES = 4100;

/**
 * Makes committed blobs durable in batches. Every commit waiting while a batch is being flushed
 * joins the next one: their files are fdatasynced together, renamed into place, and each directory
 * that gained an entry is fsynced once. On this kind of disk a flush of many finished files costs
 * about what one costs, while flushes interleaved with other requests' writes queue behind each other.
 */
class DurableRenamer {
  private pending: Array<{ fh: FileHandle; from: string; to: string; done: (err?: unknown) => void }> = [];
  private flushing = false;
  /** Directories created by this process whose own entries (in their parents) are not yet synced. */
  readonly freshDirs = new Set<string>();

  constructor(private root: string) {}

  commit(fh: FileHandle, from: string, to: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ fh, from, to, done: (err) => (err ? reject(err) : resolve()) });
      if (!this.flushing) void this.flush();
    });
  }

  private async flush() {
    this.flushing = true;
    try {
      while (this.pending.length) {
        const batch = this.pending.splice(0);
        const moved = await Promise.allSettled(batch.map(async (b) => {
          try {
            await b.fh.datasync();
          } finally {
            await b.fh.close();
          }
          await rename(b.from, b.to); // atomic; replacing identical content is harmless
        }));
        // Each moved file needs its directory synced, and a directory this process made needs its
        // own entry synced too (in its parent and the root).
        const fresh = new Set(batch.filter((_, i) => moved[i].status === "fulfilled").map((b) => path.dirname(b.to)).filter((d) => this.freshDirs.delete(d)));
        const needs = batch.map((b, i) => {
          if (moved[i].status !== "fulfilled") return [];
          const dir = path.dirname(b.to);
          return fresh.has(dir) ? [dir, path.dirname(dir), this.root] : [dir];
        });
        const failed = new Map<string, unknown>();
        await Promise.all([...new Set(needs.flat())].map((d) => syncDirectory(d).catch((err) => { failed.set(d, err); })));
        batch.forEach((b, i) => {
          const r = moved[i];
          const dirErr = needs[i].map((d) => failed.get(d)).find((e) => e !== undefined);
          if (dirErr !== undefined && needs[i].length > 1) this.freshDirs.add(needs[i][0]); // try its parents again next time
          b.done(r.status === "rejected" ? r.reason : dirErr);
        });
      }
    } finally {
      this.flushing = false;
    }
  }
}

async function syncDirectory(dir: string) {
  const fh = await open(dir, "r");
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export function createFsBlobStore(root: string): BlobStore {
  const where = (h: string) => {
    if (!SHA256_HEX.test(h)) throw new Error("not a sha256 hex digest");
    return path.join(root, h.slice(0, 2), h.slice(2, 4), h);
  };
  const tempDir = path.join(root, TEMP_DIR);
  const renamer = new DurableRenamer(root);

  // Directories are made once per process, not once per blob.
  const made = new Map<string, Promise<unknown>>();
  const ensureDir = (dir: string) => {
    let p = made.get(dir);
    if (!p) {
      p = mkdir(dir, { recursive: true }).then((first) => {
        if (first) renamer.freshDirs.add(dir);
      }, (err) => { made.delete(dir); throw err; });
      made.set(dir, p);
    }
    return p;
  };

  async function stage(source: Readable, opts: StageOptions = {}): Promise<StagedBlob> {
    await ensureDir(tempDir);
    const tempPath = path.join(tempDir, randomUUID());
    const hash = createHash("sha256");
    let size = 0;
    const head: Buffer[] = [];
    let headBytes = 0;
    // One file handle from create to commit (fdatasync, batched) or discard.
    const fh = await open(tempPath, "wx");
    try {
      for await (const chunk of source as AsyncIterable<Buffer>) {
        opts.onBytes?.(chunk.length);
        size += chunk.length;
        hash.update(chunk);
        if (headBytes < HEAD_BYTES) {
          head.push(chunk.subarray(0, HEAD_BYTES - headBytes));
          headBytes += Math.min(chunk.length, HEAD_BYTES - headBytes);
        }
        for (let off = 0; off < chunk.length;) off += (await fh.write(chunk, off)).bytesWritten;
      }
    } catch (err) {
      await fh.close().catch(() => {});
      await rm(tempPath, { force: true });
      if (!source.destroyed) source.destroy();
      throw err;
    }
    const sha256 = hash.digest("hex");
    let settled = false;
    return {
      sha256,
      size,
      tempPath,
      head: Buffer.concat(head),
      async commit() {
        if (settled) return;
        settled = true;
        const target = where(sha256);
        try {
          await ensureDir(path.dirname(target));
        } catch (err) {
          await fh.close().catch(() => {});
          throw err; // the temp file is left to the sweep
        }
        await renamer.commit(fh, tempPath, target);
      },
      async discard() {
        if (settled) return;
        settled = true;
        await fh.close().catch(() => {});
        await rm(tempPath, { force: true });
      },
    };
  }

  return {
    stage,
    async put(data) {
      const staged = await stage(Readable.from([data]));
      await staged.commit();
      return { sha256: staged.sha256, size: staged.size };
    },
    read: (h) => createReadStream(where(h)),
    has: (h) => stat(where(h)).then(() => true, () => false),
    // unlink, not rm: rm's recursive-delete machinery costs two lstat calls per file on the event
    // loop, which a disposition of 100,000 blobs feels in the API's latency.
    remove: (h) => unlink(where(h)).catch((err: NodeJS.ErrnoException) => { if (err.code !== "ENOENT") throw err; }),
    async sweep(isReferenced, olderThan) {
      let blobs = 0;
      let temps = 0;
      const old = async (file: string) => (await stat(file).catch(() => null))?.mtime.getTime() ?? Infinity;
      for (const name of await readdir(tempDir).catch(() => [] as string[])) {
        const file = path.join(tempDir, name);
        if ((await old(file)) < olderThan.getTime()) {
          await rm(file, { force: true });
          temps++;
        }
      }
      for (const a of await readdir(root).catch(() => [] as string[])) {
        if (!/^[0-9a-f]{2}$/.test(a)) continue;
        for (const b of await readdir(path.join(root, a)).catch(() => [] as string[])) {
          const dir = path.join(root, a, b);
          const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => SHA256_HEX.test(n));
          const candidates: string[] = [];
          for (const n of names) if ((await old(path.join(dir, n))) < olderThan.getTime()) candidates.push(n);
          if (candidates.length === 0) continue;
          const referenced = await isReferenced(candidates);
          for (const n of candidates) {
            if (referenced.has(n)) continue;
            await rm(path.join(dir, n), { force: true });
            blobs++;
          }
        }
      }
      return { blobs, temps };
    },
  };
}
