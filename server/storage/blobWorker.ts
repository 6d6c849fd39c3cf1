// The blob store's worker thread: hashing, writing and making blobs durable off the event loop.
// Each upload's bytes arrive as transferred chunks, in order; the worker hashes them and writes
// them to the staged temp file with plain synchronous calls (a page-cache write of 64 KB is a few
// microseconds of this thread, where the promise API costs the event loop a thread-pool hop per
// call). Commits are made durable in batches (see DurableRenamer). The event loop keeps only the
// HTTP parsing and the database.
import { createHash, type Hash } from "node:crypto";
import { closeSync, fdatasync, fsync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { ACK_BYTES, type BlobReply, type BlobRequest } from "./blobProtocol.js";

interface Staging { fd: number | null; path: string; hash: Hash; size: number; unacked: number; error: unknown }

const port = parentPort!;
const root: string = workerData.root;
const stages = new Map<number, Staging>();
/** Chunk buffers written and not yet handed back. */
let spare: ArrayBuffer[] = [];
type Unladen<T> = T extends unknown ? Omit<T, "buffers"> : never;
const reply = (m: Unladen<BlobReply>) => {
  const buffers = spare;
  spare = [];
  port.postMessage({ ...m, buffers }, buffers);
};
const failure = (err: unknown) => ({ message: (err as Error)?.message ?? String(err), code: (err as NodeJS.ErrnoException)?.code });

// Only the flushes, which wait for the disk, go to the thread pool; opening, closing and renaming
// are quick metadata calls made here (each pool hop costs a wake-up of two threads).
const datasync = (fd: number) => new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));

async function syncDirectory(dir: string) {
  const fd = openSync(dir, "r");
  try {
    await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes committed blobs durable in batches. Every commit waiting while a batch is being flushed
 * joins the next one: their files are fdatasynced together, renamed into place, and each directory
 * that gained an entry is fsynced once. On this kind of disk a flush of many finished files costs
 * about what one costs, while flushes interleaved with other requests' writes queue behind each other.
 */
class DurableRenamer {
  private pending: Array<{ fd: number; from: string; to: string; done: (err?: unknown) => void }> = [];
  private flushing = false;
  /** Directories created by this worker whose own entries (in their parents) are not yet synced. */
  readonly freshDirs = new Set<string>();
  private made = new Set<string>();

  /** Directories are made once per worker, not once per blob. */
  ensureDir(dir: string) {
    if (this.made.has(dir)) return;
    if (mkdirSync(dir, { recursive: true })) this.freshDirs.add(dir);
    this.made.add(dir);
  }

  commit(fd: number, from: string, to: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.pending.push({ fd, from, to, done: (err) => (err ? reject(err) : resolve()) });
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
            await datasync(b.fd);
          } finally {
            closeSync(b.fd);
          }
          renameSync(b.from, b.to); // atomic; replacing identical content is harmless
        }));
        // Each moved file needs its directory synced, and a directory this worker made needs its
        // own entry synced too (in its parent and the root).
        const fresh = new Set(batch.filter((_, i) => moved[i].status === "fulfilled").map((b) => path.dirname(b.to)).filter((d) => this.freshDirs.delete(d)));
        const needs = batch.map((b, i) => {
          if (moved[i].status !== "fulfilled") return [];
          const dir = path.dirname(b.to);
          return fresh.has(dir) ? [dir, path.dirname(dir), root] : [dir];
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

const renamer = new DurableRenamer();

/** Closes a stage's file and removes it; what is left over (a failed unlink) the sweep removes later. */
function drop(s: Staging) {
  if (s.fd !== null) {
    try { closeSync(s.fd); } catch { /* already closed */ }
    s.fd = null;
  }
  try { unlinkSync(s.path); } catch { /* never created, or already gone */ }
}

async function settle(m: Extract<BlobRequest, { seq: number }>, work: () => unknown) {
  try {
    reply({ op: "done", seq: m.seq, value: await work() });
  } catch (err) {
    reply({ op: "done", seq: m.seq, error: failure(err) });
  }
}

port.on("message", (m: BlobRequest) => {
  switch (m.op) {
    case "open": {
      const s: Staging = { fd: null, path: m.path, hash: createHash("sha256"), size: 0, unacked: 0, error: null };
      stages.set(m.id, s);
      try {
        s.fd = openSync(m.path, "wx");
      } catch (err) {
        s.error = err;
      }
      return;
    }
    case "write": {
      const s = stages.get(m.id);
      spare.push(m.data);
      if (!s) return;
      const data = new Uint8Array(m.data, 0, m.length);
      if (!s.error) {
        try {
          s.hash.update(data);
          for (let off = 0; off < data.length;) off += writeSync(s.fd!, data, off);
          s.size += data.length;
        } catch (err) {
          s.error = err;
        }
      }
      s.unacked += data.length;
      if (s.unacked >= ACK_BYTES) {
        reply({ op: "ack", id: m.id, bytes: s.unacked });
        s.unacked = 0;
      }
      return;
    }
    case "end":
      return void settle(m, () => {
        const s = stages.get(m.id)!;
        if (s.error) {
          stages.delete(m.id);
          drop(s);
          throw s.error;
        }
        return { sha256: s.hash.digest("hex"), size: s.size };
      });
    case "commit":
      return void settle(m, async () => {
        const s = stages.get(m.id)!;
        stages.delete(m.id);
        const fd = s.fd!;
        s.fd = null;
        try {
          renamer.ensureDir(path.dirname(m.target));
        } catch (err) {
          closeSync(fd);
          throw err; // the temp file is left to the sweep
        }
        await renamer.commit(fd, s.path, m.target);
      });
    case "discard":
      return void settle(m, () => {
        const s = stages.get(m.id);
        stages.delete(m.id);
        if (s) drop(s);
      });
  }
});
