// Content-addressed blobs in S3-compatible object storage (blobs.store "s3"), shared by every node
// of a cluster: <prefix>sha256/<hash>. An upload is staged on this node first (streamed through
// the blob worker into a temp file while it is hashed and counted, exactly as for the local
// store, so the same checks run on it); its commit places it under its content address with one
// PUT of the staged file with its length. A PUT is atomic in S3: no reader ever sees part of
// an object, so no staging key in the bucket is needed, and two nodes storing the same bytes write
// the same object. Conditional PUT (If-None-Match) is not relied on: Swift's s3api answers 501.
// Reads check the object's existence and size before anything is promised to a client, and the
// stream fails before its last chunk when the bytes are not the recorded ones.
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  CreateBucketCommand,
  HeadBucketCommand,
} from "@aws-sdk/client-s3";
import { NodeHttpHandler } from "@smithy/node-http-handler";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { Agent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import path from "node:path";
import { Readable } from "node:stream";
import type { Config } from "../config/index.js";
import type { BlobStore, StageOptions, StagedBlob } from "./blobs.js";
import type * as Blobs from "./blobs.js";

/**
 * What this store shares with the local one, handed in by blobs.ts (which loads this module only
 * when the configuration asks for S3): one BlobUnreadableError class for every store's callers.
 */
export interface StoreKit {
  BlobUnreadableError: typeof Blobs.BlobUnreadableError;
  BlobWorker: typeof Blobs.BlobWorker;
  Pins: typeof Blobs.Pins;
  stagedBytes: typeof Blobs.stagedBytes;
}
let BlobUnreadableError: StoreKit["BlobUnreadableError"];

// The SDK warns on Node 20 about its releases from 2027 on; package.json pins a release that runs here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const SHA256_HEX = /^[0-9a-f]{64}$/;
/** Objects asked about per sweep round (ListObjectsV2 pages are at most 1,000). */
const LIST_PAGE = 1000;

type S3Config = Config["blobs"]["s3"];

/** Network trouble or a 5xx: the store is down or overloaded, not the object missing. */
function unavailable(err: unknown): boolean {
  const e = err as { $metadata?: { httpStatusCode?: number }; code?: string; name?: string };
  const status = e.$metadata?.httpStatusCode;
  return status === undefined || status >= 500;
}

function readFailure(sha256: string, err: unknown): Blobs.BlobUnreadableError {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number }; message?: string };
  if (e.name === "NoSuchKey" || e.name === "NotFound" || e.$metadata?.httpStatusCode === 404)
    return new BlobUnreadableError(sha256, "missing", "no such object in the store");
  return new BlobUnreadableError(
    sha256,
    unavailable(err) ? "unavailable" : "io",
    `object storage: ${e.message ?? String(err)}`,
  );
}

/**
 * The object's bytes, hashed and counted on the way, always holding back the latest chunk until
 * the whole object proved to be the recorded bytes (a plain Readable, like the local store's).
 */
function verifying(body: Readable, sha256: string, size: number): Readable {
  async function* checked() {
    const hash = createHash("sha256");
    let seen = 0;
    let held: Buffer | null = null;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        seen += chunk.length;
        if (seen > size) throw new BlobUnreadableError(sha256, "size", `longer than the recorded ${size} bytes`);
        hash.update(chunk);
        if (held) yield held;
        held = chunk;
      }
    } catch (err) {
      throw err instanceof BlobUnreadableError ? err : readFailure(sha256, err);
    }
    if (seen !== size) throw new BlobUnreadableError(sha256, "size", `${seen} bytes read, ${size} recorded`);
    if (hash.digest("hex") !== sha256) throw new BlobUnreadableError(sha256, "hash", "the bytes changed");
    if (held) yield held;
  }
  const out = Readable.from(checked(), { objectMode: false });
  out.once("close", () => body.destroy());
  return out;
}

export function s3Client(c: S3Config): S3Client {
  const agent = { keepAlive: true, maxSockets: c.maxSockets };
  return new S3Client({
    endpoint: c.endpoint || undefined,
    region: c.region,
    forcePathStyle: c.forcePathStyle,
    credentials: c.accessKeyId ? { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey } : undefined,
    // Checksums only where the API requires them: S3-compatible stores (Swift, Ceph) do not all
    // take the SDK's default CRC trailers; each blob is checked against its SHA-256 anyway.
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    requestHandler: new NodeHttpHandler({
      httpAgent: new Agent(agent),
      httpsAgent: new HttpsAgent(agent),
      connectionTimeout: 5_000,
      requestTimeout: 60_000,
    }),
    maxAttempts: 3,
  });
}

/** Creates the bucket when it is not there (first start, tests); an existing one is left as it is. */
export async function ensureBucket(client: S3Client, bucket: string) {
  try {
    await client.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status !== 404) throw err;
    await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((e: { name?: string }) => {
      if (e.name !== "BucketAlreadyOwnedByYou" && e.name !== "BucketAlreadyExists") throw e;
    });
  }
}

/**
 * `stagingDir`: this node's directory for uploads being received (never shared). The bucket must
 * exist (ensureBucket).
 */
export function createS3BlobStore(c: S3Config, stagingDir: string, kit: StoreKit): BlobStore {
  BlobUnreadableError = kit.BlobUnreadableError;
  const { BlobWorker, Pins, stagedBytes } = kit;
  const client = s3Client(c);
  const Bucket = c.bucket;
  const keyOf = (h: string) => {
    if (!SHA256_HEX.test(h)) throw new Error("not a sha256 hex digest");
    return `${c.prefix}sha256/${h}`;
  };
  const worker = new BlobWorker(stagingDir);
  worker.start();
  let dirMade: Promise<unknown> | null = null;
  const pins = new Pins();

  const exists = async (h: string) => {
    try {
      await client.send(new HeadObjectCommand({ Bucket, Key: keyOf(h) }));
      return true;
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
      throw err;
    }
  };
  const remove = async (h: string) => {
    // S3's DELETE of an absent key succeeds: removing twice (a resumed disposition) is fine.
    await client.send(new DeleteObjectCommand({ Bucket, Key: keyOf(h) }));
  };
  /**
   * Stores the file under its content address. No HEAD first: the same address always holds the
   * same bytes, so writing them again changes nothing, and the store's own work — the limit with
   * object storage — stays one request per blob.
   */
  const place = async (h: string, file: string, size: number) => {
    await client.send(
      new PutObjectCommand({
        Bucket,
        Key: keyOf(h),
        Body: createReadStream(file),
        ContentLength: size,
        ContentType: "application/octet-stream",
      }),
    );
  };

  async function stage(source: Readable, opts: StageOptions = {}): Promise<StagedBlob> {
    dirMade ??= mkdir(stagingDir, { recursive: true }).catch((err) => {
      dirMade = null;
      throw err;
    });
    await dirMade;
    const { id, sha256, size, tempPath, head } = await stagedBytes(worker, stagingDir, source, opts);
    let settled = false;
    let committed: { created: boolean } | null = null;
    const blob: StagedBlob = {
      sha256,
      size,
      tempPath,
      head,
      async commit() {
        if (settled) return;
        settled = true;
        pins.pin(sha256);
        try {
          await place(sha256, tempPath, size);
          // Whether an older object was there is not asked (see place): a withdrawal removes it
          // when no row refers to it and no upload here holds it — an unreferenced object only.
          committed = { created: true };
        } catch (err) {
          pins.unpin(sha256);
          await worker.discard(id).catch(() => {});
          throw err;
        }
        await worker.discard(id).catch(() => {}); // the local copy is no longer needed
      },
      async discard() {
        if (committed) {
          committed = null;
          return pins.unpin(sha256);
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
          pins.unpin(sha256);
        }
      },
    };
    return blob;
  }

  const get = async (h: string) => {
    try {
      return await client.send(new GetObjectCommand({ Bucket, Key: keyOf(h) }));
    } catch (err) {
      throw readFailure(h, err);
    }
  };

  return {
    location: `s3://${Bucket}/${c.prefix}sha256/${c.endpoint ? ` (${c.endpoint})` : ""}`,
    stage,
    async put(data) {
      const staged = await stage(Readable.from([data]));
      await staged.commit();
      await staged.discard(); // kept: only lets go of its pin
      return { sha256: staged.sha256, size: staged.size };
    },
    read(h) {
      return Readable.from(
        (async function* () {
          const r = await get(h);
          yield* r.Body as Readable;
        })(),
      );
    },
    async open(h, size) {
      const r = await get(h);
      const body = r.Body as Readable;
      if (r.ContentLength !== undefined && r.ContentLength !== size) {
        body.destroy();
        throw new BlobUnreadableError(h, "size", `${r.ContentLength} bytes stored, ${size} recorded`);
      }
      return verifying(body, h, size);
    },
    has: exists,
    remove,
    async close() {
      await worker.close();
      client.destroy();
    },
    async sweep(isReferenced, olderThan) {
      let blobs = 0;
      let temps = 0;
      // This node's abandoned uploads.
      for (const name of await readdir(stagingDir).catch(() => [] as string[])) {
        const file = path.join(stagingDir, name);
        const mtime = (await stat(file).catch(() => null))?.mtime.getTime() ?? Infinity;
        if (mtime < olderThan.getTime()) {
          await rm(file, { force: true });
          temps++;
        }
      }
      // The whole store, page by page: objects older than the grace that no row refers to and no
      // upload in this process holds.
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket,
            Prefix: `${c.prefix}sha256/`,
            ContinuationToken: token,
            MaxKeys: LIST_PAGE,
          }),
        );
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
        const candidates = (page.Contents ?? [])
          .filter((o) => o.LastModified && o.LastModified.getTime() < olderThan.getTime())
          .map((o) => o.Key!.slice(`${c.prefix}sha256/`.length))
          .filter((h) => SHA256_HEX.test(h) && !pins.held(h));
        if (!candidates.length) continue;
        const referenced = await isReferenced(candidates);
        for (const h of candidates) {
          if (referenced.has(h)) continue;
          await remove(h);
          blobs++;
        }
      } while (token);
      return { blobs, temps };
    },
  };
}
