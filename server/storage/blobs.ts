// Content-addressed blob store on the filesystem: <root>/ab/cd/<sha256>. A blob is staged first —
// streamed to a temp file while it is hashed and counted — and only committed once the caller has
// accepted it: renamed into its content address, and its bytes and its directory entry flushed, so
// it is on disk before the call returns (concurrent commits share one flush, and content stored
// before is replaced only by bytes already on disk; see blobWorker.ts). Hashing,
// writing and flushing happen on the store's worker thread: the event loop only hands the bytes
// over (a 100 KB document's SHA-256 alone is half a millisecond of CPU here). The
// database row that refers to a blob is written after the commit, so a crash leaves either a whole
// document or an unreferenced blob, which `sweep` removes after a grace period. Identical content
// is stored once.
// The interface is what the S3-compatible store (s3Blobs.ts) implements too.
import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, readdir, rm, stat, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { projectRoot, type Config } from "../config/index.js";
import { CHUNK_BYTES, type BlobReply } from "./blobProtocol.js";

export interface StagedBlob {
  sha256: string;
  size: number;
  /** The staged bytes, for checks before commit (magic bytes). */
  tempPath: string;
  /** The first bytes (up to 4100, what magic-number detection needs) */
  head: Buffer;
  /** Moves the bytes to their content address (a no-op when that content is already stored). */
  commit(): Promise<void>;
  /** Drops the staged bytes. After commit it keeps them and only lets go of the blob. */
  discard(): Promise<void>;
  /**
   * Gives the blob up: staged bytes are dropped; committed ones are removed when this commit
   * created them, no other upload of the same bytes is in flight in this process, and
   * `isReferenced` says no row refers to them — so a refused upload keeps nothing.
   */
  withdraw(isReferenced: (sha256: string) => Promise<boolean>): Promise<void>;
}

export interface StageOptions {
  /** Called with each chunk's size before it is written; throwing aborts the stage and removes the temp file. */
  onBytes?: (n: number) => void;
}

export interface BlobStore {
  /** where the bytes are kept, as a disposition certificate names it: file:///… or s3://bucket/prefix (endpoint) */
  readonly location: string;
  stage(source: Readable, opts?: StageOptions): Promise<StagedBlob>;
  put(data: Buffer): Promise<{ sha256: string; size: number }>;
  read(sha256: string): Readable;
  /**
   * Opens a blob for a response: resolves only when the file is there with the recorded size
   * (so nothing is promised to a client before that is known), and the stream it gives fails —
   * before its last chunk — when the bytes read are not the recorded size or hash.
   * Rejects with BlobUnreadableError.
   */
  open(sha256: string, size: number): Promise<Readable>;
  has(sha256: string): Promise<boolean>;
  remove(sha256: string): Promise<void>;
  /** Stops the store's worker thread (at shutdown). */
  close(): Promise<void>;
  /** Removes stored blobs no row refers to and abandoned temp files, both older than `olderThan`. */
  sweep(
    isReferenced: (sha256s: string[]) => Promise<Set<string>>,
    olderThan: Date,
  ): Promise<{ blobs: number; temps: number }>;
}

/** The stored bytes of a blob are missing, shorter or longer than recorded, or not the recorded bytes. */
export class BlobUnreadableError extends Error {
  constructor(
    readonly sha256: string,
    /** unavailable: the store did not answer (object storage down) — try again later */
    readonly reason: "missing" | "size" | "hash" | "io" | "unavailable",
    detail: string,
  ) {
    super(`blob ${sha256}: ${detail}`);
  }
}

/**
 * Reads a blob on demand while hashing and counting it, always holding back the latest chunk: only
 * once the whole file proved to be the recorded bytes does the last chunk go out, so a client
 * never receives a complete body that is not the document (Content-Length tells it so). Nothing is
 * read before the stream is consumed, so a fault surfaces only to whoever reads it.
 */
function verified(file: FileHandle, sha256: string, size: number): Readable {
  const hash = createHash("sha256");
  let position = 0;
  let held: Buffer | null = null;
  return new Readable({
    highWaterMark: READ_BYTES,
    read() {
      void (async () => {
        for (;;) {
          const buffer = Buffer.allocUnsafe(READ_BYTES);
          const { bytesRead } = await file.read(buffer, 0, READ_BYTES, position);
          if (bytesRead === 0) {
            if (position !== size)
              throw new BlobUnreadableError(sha256, "size", `${position} bytes read, ${size} recorded`);
            if (hash.digest("hex") !== sha256) throw new BlobUnreadableError(sha256, "hash", "the bytes changed");
            if (held) this.push(held);
            this.push(null);
            return;
          }
          position += bytesRead;
          if (position > size) throw new BlobUnreadableError(sha256, "size", `longer than the recorded ${size} bytes`);
          const chunk = buffer.subarray(0, bytesRead);
          hash.update(chunk);
          const previous = held;
          held = chunk;
          if (previous) {
            this.push(previous);
            return;
          }
        }
      })().catch((err: unknown) =>
        this.destroy(err instanceof BlobUnreadableError ? err : new BlobUnreadableError(sha256, "io", String(err))),
      );
    },
    destroy(err, done) {
      file.close().then(
        () => done(err),
        () => done(err),
      );
    },
  });
}

const READ_BYTES = 64 * 1024;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const TEMP_DIR = ".staging";
const HEAD_BYTES = 4100;
/** At most this many bytes of one stage are on their way to the worker; then the source waits. */
const WINDOW_BYTES = 512 * 1024;
/** Chunk buffers kept for reuse (4 MB); more come back only when many uploads run at once. */
const MAX_SPARE_BUFFERS = 64;

class WorkerError extends Error {
  constructor(
    message: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/**
 * The event loop's side of the blob worker (blobWorker.ts). The worker is started with the store
 * and restarted if it ever dies; what was in flight on a dead worker fails, and its temp files are
 * left to the sweep.
 */
export class BlobWorker {
  private worker: Worker | null = null;
  private seq = 0;
  private nextId = 0;
  private calls = new Map<number, { resolve: (v: any) => void; reject: (e: unknown) => void }>();
  private flows = new Map<number, { inflight: number; wake: (() => void) | null }>();
  /** Chunk buffers back from the worker, for the next chunks (see CHUNK_BYTES). */
  private buffers: ArrayBuffer[] = [];

  constructor(private root: string) {}

  start(): Worker {
    if (this.worker) return this.worker;
    // From source (tests, benches under tsx) the worker needs the TypeScript loader too; the
    // compiled appliance runs server/dist/blobWorker.mjs.
    const fromSource = import.meta.url.endsWith(".ts");
    const w = fromSource
      ? new Worker(new URL("./workerFromSource.mjs", import.meta.url), {
          workerData: { root: this.root, entry: new URL("./blobWorker.ts", import.meta.url).href },
        })
      : new Worker(pathToFileURL(path.join(projectRoot, "server", "dist", "blobWorker.mjs")), {
          workerData: { root: this.root },
        });
    w.unref(); // the requests waiting on it keep the process alive, not the worker
    w.on("message", (m: BlobReply) => {
      for (const b of m.buffers) if (this.buffers.length < MAX_SPARE_BUFFERS) this.buffers.push(b);
      if (m.op === "ack") {
        const f = this.flows.get(m.id);
        if (f) {
          f.inflight -= m.bytes;
          f.wake?.();
        }
        return;
      }
      const call = this.calls.get(m.seq);
      if (!call) return;
      this.calls.delete(m.seq);
      if (m.error) call.reject(new WorkerError(m.error.message, m.error.code));
      else call.resolve(m.value);
    });
    const died = (err: unknown) => {
      if (this.worker === w)
        this.abandon(err instanceof Error ? err : new Error(`the blob worker exited (${String(err)})`));
    };
    w.on("error", died);
    w.on("exit", died);
    this.worker = w;
    return w;
  }

  private call<T>(m: Record<string, unknown> & { op: string }): Promise<T> {
    const w = this.start();
    const seq = ++this.seq;
    return new Promise<T>((resolve, reject) => {
      this.calls.set(seq, { resolve, reject });
      w.postMessage({ ...m, seq });
    });
  }

  open(tempPath: string): number {
    const id = ++this.nextId;
    this.flows.set(id, { inflight: 0, wake: null });
    this.start().postMessage({ op: "open", id, path: tempPath });
    return id;
  }

  /** Hands `chunk` over, copied into reused buffers that are transferred, not cloned; waits while the stage has too much in flight. */
  async write(id: number, chunk: Buffer): Promise<void> {
    const f = this.flows.get(id);
    if (!f || !this.worker) throw new Error("the blob worker exited mid-upload");
    for (let off = 0; off < chunk.length; off += CHUNK_BYTES) {
      const piece = chunk.subarray(off, off + CHUNK_BYTES);
      const buffer = this.buffers.pop() ?? new ArrayBuffer(CHUNK_BYTES);
      new Uint8Array(buffer).set(piece);
      this.worker.postMessage({ op: "write", id, data: buffer, length: piece.length }, [buffer]);
    }
    f.inflight += chunk.length;
    while (f.inflight > WINDOW_BYTES) {
      await new Promise<void>((resolve) => {
        f.wake = resolve;
      });
      f.wake = null;
      if (!this.flows.has(id)) throw new Error("the blob worker exited mid-upload");
    }
  }

  end(id: number) {
    this.flows.delete(id);
    return this.call<{ sha256: string; size: number }>({ op: "end", id });
  }

  commit(id: number, target: string) {
    return this.call<void>({ op: "commit", id, target });
  }

  discard(id: number) {
    this.flows.delete(id);
    return this.call<void>({ op: "discard", id });
  }

  /** What was in flight on the worker fails; the next call starts another. */
  private abandon(reason: Error) {
    this.worker = null;
    for (const c of this.calls.values()) c.reject(reason);
    this.calls.clear();
    for (const f of this.flows.values()) f.wake?.();
    this.flows.clear();
  }

  async close() {
    const w = this.worker;
    if (!w) return;
    this.abandon(new Error("the blob store was closed"));
    await w.terminate();
  }
}

/**
 * Streams `source` through the worker into a new temp file under `tempDir`, hashing and counting
 * it; the file stays open on the worker until the caller commits or discards stage `id`.
 */
export async function stagedBytes(worker: BlobWorker, tempDir: string, source: Readable, opts: StageOptions = {}) {
  const tempPath = path.join(tempDir, randomUUID());
  const head: Buffer[] = [];
  let headBytes = 0;
  const id = worker.open(tempPath);
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      opts.onBytes?.(chunk.length);
      if (headBytes < HEAD_BYTES) {
        head.push(Buffer.from(chunk.subarray(0, HEAD_BYTES - headBytes)));
        headBytes += Math.min(chunk.length, HEAD_BYTES - headBytes);
      }
      await worker.write(id, chunk);
    }
  } catch (err) {
    await worker.discard(id).catch(() => {});
    if (!source.destroyed) source.destroy();
    throw err;
  }
  const { sha256, size } = await worker.end(id);
  return { id, sha256, size, tempPath, head: Buffer.concat(head) };
}

/** Blobs committed by uploads still deciding whether to keep them, by hash (a count per upload). */
export class Pins {
  private pins = new Map<string, number>();
  pin(sha256: string) {
    this.pins.set(sha256, (this.pins.get(sha256) ?? 0) + 1);
  }
  unpin(sha256: string) {
    const n = (this.pins.get(sha256) ?? 1) - 1;
    if (n > 0) this.pins.set(sha256, n);
    else this.pins.delete(sha256);
  }
  /** Whether only one upload (the caller) holds it. */
  sole(sha256: string) {
    return this.pins.get(sha256) === 1;
  }
  held(sha256: string) {
    return this.pins.has(sha256);
  }
}

export function createFsBlobStore(root: string): BlobStore {
  const where = (h: string) => {
    if (!SHA256_HEX.test(h)) throw new Error("not a sha256 hex digest");
    return path.join(root, h.slice(0, 2), h.slice(2, 4), h);
  };
  const tempDir = path.join(root, TEMP_DIR);
  const worker = new BlobWorker(root);
  worker.start(); // now, not at the first upload: its memory is the appliance's from the start
  let tempDirMade: Promise<unknown> | null = null;
  const pins = new Pins();
  const exists = (h: string) =>
    stat(where(h)).then(
      () => true,
      () => false,
    );
  const remove = (h: string) =>
    // unlink, not rm: rm's recursive-delete machinery costs two lstat calls per file on the event
    // loop, which a disposition of 100,000 blobs feels in the API's latency.
    unlink(where(h)).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT") throw err;
    });

  async function stage(source: Readable, opts: StageOptions = {}): Promise<StagedBlob> {
    tempDirMade ??= mkdir(tempDir, { recursive: true }).catch((err) => {
      tempDirMade = null;
      throw err;
    });
    await tempDirMade;
    const { id, sha256, size, tempPath, head } = await stagedBytes(worker, tempDir, source, opts);
    let settled = false;
    let committed: { created: boolean } | null = null;
    const unpin = () => pins.unpin(sha256);
    const blob: StagedBlob = {
      sha256,
      size,
      tempPath,
      head,
      async commit() {
        if (settled) return;
        settled = true;
        // Pinned from before the existence check: a refused upload of the same bytes running
        // alongside cannot remove what this one is about to refer to.
        pins.pin(sha256);
        committed = { created: false };
        committed.created = !(await exists(sha256));
        await worker.commit(id, where(sha256));
      },
      async discard() {
        if (committed) {
          committed = null;
          return unpin();
        }
        if (settled) return;
        settled = true;
        await worker.discard(id).catch(() => {});
      },
      async withdraw(isReferenced) {
        if (!committed) return blob.discard();
        const { created } = committed;
        committed = null;
        try {
          if (created && pins.sole(sha256) && !(await isReferenced(sha256))) await remove(sha256);
        } finally {
          unpin();
        }
      },
    };
    return blob;
  }

  return {
    location: pathToFileURL(root).href,
    stage,
    close: () => worker.close(),
    async put(data) {
      const staged = await stage(Readable.from([data]));
      await staged.commit();
      await staged.discard(); // kept: only lets go of its pin
      return { sha256: staged.sha256, size: staged.size };
    },
    read: (h) => createReadStream(where(h)),
    async open(h, size) {
      const file = await open(where(h), "r").catch((err: NodeJS.ErrnoException) => {
        throw new BlobUnreadableError(h, err.code === "ENOENT" ? "missing" : "io", err.message);
      });
      try {
        const { size: actual } = await file.stat();
        if (actual !== size) throw new BlobUnreadableError(h, "size", `${actual} bytes on disk, ${size} recorded`);
      } catch (err) {
        await file.close();
        throw err instanceof BlobUnreadableError ? err : new BlobUnreadableError(h, "io", (err as Error).message);
      }
      return verified(file, h, size);
    },
    has: exists,
    remove,
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

/**
 * The configured store: the local directory (dataDir/blobs) or S3-compatible object storage, with
 * this node's uploads staged under dataDir/staging.
 */
export async function openBlobStore(config: Pick<Config, "blobs" | "dataDir">): Promise<BlobStore> {
  if (config.blobs.store === "fs") return createFsBlobStore(path.join(config.dataDir, "blobs"));
  const { createS3BlobStore, ensureBucket, s3Client } = await import("./s3Blobs.js");
  const probe = s3Client(config.blobs.s3);
  try {
    await ensureBucket(probe, config.blobs.s3.bucket);
  } finally {
    probe.destroy();
  }
  return createS3BlobStore(config.blobs.s3, path.join(config.dataDir, "staging"), {
    BlobUnreadableError,
    BlobWorker,
    Pins,
    stagedBytes,
  });
}
