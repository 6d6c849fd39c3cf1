// The blob store's worker thread: hashing, writing and making blobs durable off the event loop.
// Each upload's bytes arrive as transferred chunks, in order; the worker hashes them and writes
// them to the staged temp file with plain synchronous calls (a page-cache write of 64 KB is a few
// microseconds of this thread, where the promise API costs the event loop a thread-pool hop per
// call). Commits are made durable in batches (see DurableRenamer). The event loop keeps only the
// HTTP parsing and the database.
import { createHash, type Hash } from "node:crypto";
import {
  closeSync,
  existsSync,
  fdatasync,
  fsync,
  mkdirSync,
  openSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { parentPort, workerData } from "node:worker_threads";
import { ACK_BYTES, type BlobReply, type BlobRequest } from "./blobProtocol.js";

interface Staging {
  fd: number | null;
  path: string;
  hash: Hash;
  size: number;
  unacked: number;
  error: unknown;
}

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
const failure = (err: unknown) => ({
  message: (err as Error)?.message ?? String(err),
  code: (err as NodeJS.ErrnoException)?.code,
});

// Only the flushes, which wait for the disk, go to the thread pool; opening, closing and renaming
// are quick metadata calls made here (each pool hop costs a wake-up of two threads).
const datasync = (fd: number) =>
  new Promise<void>((resolve, reject) => fdatasync(fd, (err) => (err ? reject(err) : resolve())));

async function syncDirectory(dir: string) {
  const fd = openSync(dir, "r");
  try {
    await new Promise<void>((resolve, reject) => fsync(fd, (err) => (err ? reject(err) : resolve())));
  } finally {
    closeSync(fd);
  }
}

interface Commit {
  fd: number;
  from: string;
  to: string;
  done: (err?: unknown) => void;
}

/**
 * Makes committed blobs durable in batches. Every commit waiting while a batch is being flushed
 * joins the next one, and the batch waits for the disk once:
 *  - A blob whose address is free (nearly all) is renamed into place first; then its data and its
 *    directory entry are flushed together, so one journal commit carries both. Until both are
 *    durable the caller writes no row naming the address, so a crash in between leaves at worst an
 *    unreferenced file of unknown content there, which the sweep removes and which the next commit
 *    of that content replaces (next point) rather than trusts.
 *  - A blob whose address is taken (identical content stored before, or such a leftover) is
 *    flushed first and only then renamed over the file there, whose directory is flushed after:
 *    a stored blob a row names is never replaced by bytes not yet on disk.
 * A directory this worker made has its own entry flushed too (in its parent and the root).
 */
class DurableRenamer {
  private pending: Commit[] = [];
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
      while (this.pending.length) await this.flushBatch(this.pending.splice(0));
    } finally {
      this.flushing = false;
    }
  }

  private async flushBatch(batch: Commit[]) {
    const failed = new Map<Commit, unknown>();
    const fail = (b: Commit, err: unknown) => {
      if (!failed.has(b)) failed.set(b, err);
    };
    const placed: Commit[] = [];
    const taken: Commit[] = [];
    for (const b of batch) {
      if (existsSync(b.to)) taken.push(b);
      else {
        try {
          renameSync(b.from, b.to);
          placed.push(b);
        } catch (err) {
          fail(b, err); // the temp file is left to the sweep
        }
      }
    }
    await Promise.all([
      ...batch.map(async (b) => {
        try {
          if (!failed.has(b)) await datasync(b.fd);
        } catch (err) {
          fail(b, err);
        } finally {
          closeSync(b.fd);
        }
      }),
      this.syncEntries(placed, fail),
    ]);
    const replaced: Commit[] = [];
    for (const b of taken) {
      if (failed.has(b)) continue;
      try {
        renameSync(b.from, b.to); // atomic, and the bytes it brings are already on disk
        replaced.push(b);
      } catch (err) {
        fail(b, err);
      }
    }
    if (replaced.length) await this.syncEntries(replaced, fail);
    for (const b of batch) b.done(failed.get(b));
  }

  /** Flushes the directories that gained the entries of `moved`, each once. */
  private async syncEntries(moved: Commit[], fail: (b: Commit, err: unknown) => void) {
    const fresh = new Set(moved.map((b) => path.dirname(b.to)).filter((d) => this.freshDirs.delete(d)));
    const needs = moved.map((b) => {
      const dir = path.dirname(b.to);
      return fresh.has(dir) ? [dir, path.dirname(dir), root] : [dir];
    });
    const errors = new Map<string, unknown>();
    await Promise.all(
      [...new Set(needs.flat())].map((d) =>
        syncDirectory(d).catch((err) => {
          errors.set(d, err);
        }),
      ),
    );
    moved.forEach((b, i) => {
      const err = needs[i].map((d) => errors.get(d)).find((e) => e !== undefined);
      if (err === undefined) return;
      if (needs[i].length > 1) this.freshDirs.add(needs[i][0]); // its parents again next time
      fail(b, err);
    });
  }
}

const renamer = new DurableRenamer();

/** Closes a stage's file and removes it; what is left over (a failed unlink) the sweep removes later. */
function drop(s: Staging) {
  if (s.fd !== null) {
    try {
      closeSync(s.fd);
    } catch {
      /* already closed */
    }
    s.fd = null;
  }
  try {
    unlinkSync(s.path);
  } catch {
    /* never created, or already gone */
  }
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
