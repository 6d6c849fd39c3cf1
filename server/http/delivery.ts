// Streaming a stored file to a client without promising what cannot be delivered (SPEC R2.8,
// R8.1): the bytes are known readable before any header goes out, a read error mid-stream ends
// that response only, and the access is audited only once every byte has been read and checked —
// just before the last chunk is released, so a complete download always has its audit entry and a
// failed one never does.
import { finished, Transform, type Readable } from "node:stream";
import type { Context } from "koa";
import type { AppDeps } from "../deps.js";
import { AppError, UnavailableError } from "../errors.js";
import { BlobUnreadableError } from "../storage/blobs.js";

/** The stored bytes cannot be served; an operator has to restore them (docs/operations.md, Backup). */
export class ContentUnreadableError extends AppError {}

export function unreadable(deps: Pick<AppDeps, "logger">, ctx: Context, err: unknown): never {
  if (!(err instanceof BlobUnreadableError)) throw err;
  if (err.reason === "unavailable") {
    deps.logger.error({ err, requestId: ctx.state.requestId, path: ctx.path }, "the blob store does not answer");
    throw new UnavailableError(
      "storage_unavailable",
      `The document store does not answer right now; try again in a minute — quote request id ${ctx.state.requestId}`,
    );
  }
  deps.logger.error(
    { err, requestId: ctx.state.requestId, path: ctx.path },
    "stored content cannot be read; restore it from a backup",
  );
  throw new ContentUnreadableError(
    "content_unreadable",
    `The stored bytes of this file cannot be read (${err.reason}); the administrator has been told — quote request id ${ctx.state.requestId}`,
  );
}

/** Passes bytes through, holding the latest chunk until the source ended and `beforeLast` succeeded. */
export function releasedAfter(source: Readable, beforeLast: () => Promise<void>): Readable {
  let held: Buffer | null = null;
  const out = new Transform({
    transform(chunk: Buffer, _enc, done) {
      const previous = held;
      held = chunk;
      done(null, previous ?? undefined);
    },
    flush(done) {
      beforeLast().then(
        () => done(null, held ?? undefined),
        (err: Error) => done(err),
      );
    },
  });
  // finished() also reports a source that failed before it was handed over.
  finished(source, (err) => err && out.destroy(err));
  out.on("close", () => source.destroy());
  return source.pipe(out);
}

/** Sets the body to a stream whose failure is logged (Koa ends the response; the rest carries on). */
export function streamBody(deps: Pick<AppDeps, "logger">, ctx: Context, body: Readable) {
  body.on("error", (err) => {
    if (ctx.req.destroyed && !(err instanceof BlobUnreadableError))
      deps.logger.info({ requestId: ctx.state.requestId, path: ctx.path }, "client went away mid-download");
    else deps.logger.error({ err, requestId: ctx.state.requestId, path: ctx.path }, "download failed mid-stream");
  });
  // A HEAD request never reads the body, and a client may go away: either way the file is closed.
  ctx.res.once("close", () => body.destroy());
  ctx.body = body;
}
