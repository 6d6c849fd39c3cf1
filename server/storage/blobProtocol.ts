// What the event loop and the blob store's worker thread (blobWorker.ts) say to each other.

export type BlobRequest =
  | { op: "open"; id: number; path: string }
  | { op: "write"; id: number; data: ArrayBuffer; length: number }
  | { op: "end"; id: number; seq: number }
  | { op: "commit"; id: number; seq: number; target: string }
  | { op: "discard"; id: number; seq: number };

/** Every reply hands back the chunk buffers written since the last one (see CHUNK_BYTES). */
export type BlobReply =
  | { op: "ack"; id: number; bytes: number; buffers: ArrayBuffer[] }
  | { op: "done"; seq: number; value?: unknown; error?: { message: string; code?: string }; buffers: ArrayBuffer[] };

/** The worker tells the event loop it has taken this many more bytes of a stage every ACK_BYTES. */
export const ACK_BYTES = 256 * 1024;
/**
 * Bytes travel in buffers of this size that go back and forth: the event loop copies a chunk into
 * one and transfers it, the worker transfers it back once written. Buffers left to the worker's
 * garbage collector pile up outside its heap, which it collects rarely (10 uploads of 20 MB grew
 * the process by 100 MB).
 */
export const CHUNK_BYTES = 64 * 1024;
