// Content-addressed blob store on the filesystem: <dataDir>/blobs/ab/cd/<sha256>. Written to a temp
// file, fsynced, then renamed, so a crash leaves either the whole blob or an orphan temp file.
// The interface is what an S3-compatible store will implement later.
import { createHash, randomUUID } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { Readable } from "node:stream";

export interface BlobStore {
  put(data: Buffer): Promise<{ sha256: string; size: number }>;
  read(sha256: string): Readable;
  has(sha256: string): Promise<boolean>;
  remove(sha256: string): Promise<void>;
}

export function createFsBlobStore(root: string): BlobStore {
  const where = (h: string) => {
    if (!/^[0-9a-f]{64}$/.test(h)) throw new Error("not a sha256 hex digest");
    return path.join(root, h.slice(0, 2), h.slice(2, 4), h);
  };
  return {
    async put(data) {
      const sha256 = createHash("sha256").update(data).digest("hex");
      const target = where(sha256);
      await mkdir(path.dirname(target), { recursive: true });
      const tmp = path.join(root, `.tmp-${randomUUID()}`);
      const fh = await open(tmp, "wx");
      try {
        await fh.writeFile(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, target);
      return { sha256, size: data.length };
    },
    read: (h) => createReadStream(where(h)),
    has: (h) => stat(where(h)).then(() => true, () => false),
    remove: (h) => rm(where(h), { force: true }),
  };
}
