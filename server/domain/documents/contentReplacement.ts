// Replacing a draft's content (SPEC R2.2–R2.3): until the first signature freezes it, within the
// document's size limit, never under a legal hold; the history records the old and the new hash.

import { PayloadTooLargeError, StateConflictError } from "../../errors.js";

import { type CommandContext } from "../context.js";

import { assertNotHeld } from "../retention/holds.js";

import { authorizeDocument } from "./policy.js";
import { assertMove, loadDocument, transition, type Status } from "./lifecycle.js";
import { documentFiles, documentSides } from "./queries.js";

import { RegisteredFile } from "./registration/metadata.js";
/**
 * Checks that a draft's content may be replaced, and how many bytes the new content may have (the
 * document's limit less its attachments). SPEC R2.3: never after the first signature.
 */
export async function contentReplacementPreparer(
  ctx: CommandContext,
  p: { documentId: string; file?: RegisteredFile },
) {
  const doc = await loadDocument(ctx, p.documentId);
  authorizeDocument(ctx.actor, "document.edit", documentSides(doc));
  if (doc.frozen_at) {
    throw new StateConflictError("content_frozen", "The content is frozen: the document has been signed", {
      state: doc.status,
      frozenAt: doc.frozen_at,
    });
  }
  assertMove(doc, "edit");
  await assertNotHeld(ctx.tx, doc.id, "Replacing the content");
  const files = await documentFiles(ctx.tx, doc.id);
  const attachments = files.filter((f) => f.role === "attachment").reduce((n, f) => n + Number(f.size), 0);
  const limit = ctx.config.documents.maxBytes - attachments;
  if (p.file && p.file.size > limit)
    throw new PayloadTooLargeError(
      "payload_too_large",
      `A document's files may total at most ${ctx.config.documents.maxBytes} bytes`,
      { limit: ctx.config.documents.maxBytes },
    );
  return { doc, files, limit };
}

export async function contentReplacer(ctx: CommandContext, p: { documentId: string; file: RegisteredFile }) {
  const { doc, files } = await contentReplacementPreparer(ctx, p);
  const old = files.find((f) => f.role === "content")!;
  const totalBytes = Number(doc.total_bytes) - Number(old.size) + p.file.size;
  await ctx
    .tx("document_files")
    .where({ id: old.id })
    .update({ name: p.file.name, media_type: p.file.mediaType, size: p.file.size, sha256: p.file.sha256 });
  const set = {
    content_sha256: p.file.sha256,
    content_name: p.file.name,
    content_type: p.file.mediaType,
    content_size: p.file.size,
    total_bytes: totalBytes,
  };
  return transition(ctx, {
    doc,
    move: "edit",
    action: "document.content_replace",
    to: doc.status as Status,
    side: "sender",
    set,
    details: { from: old.sha256, to: p.file.sha256, bytes: p.file.size },
  });
}
