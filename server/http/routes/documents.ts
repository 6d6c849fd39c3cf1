// Documents: registration (multipart or JSON), boxes, one document, its files (SPEC R2.1-R2.4, R2.8, R2.10).
import { z } from "zod";
import type { AppDeps } from "../../deps.js";

import { actorRef } from "../../domain/context.js";
import { documentRegistrar } from "../../domain/documents/registration/registrar.js";
import { contentAccess, readableDocument } from "../../domain/documents/access.js";
import { KINDS } from "../../domain/shared/kinds.js";
import { presentDocument } from "../../domain/documents/presenters.js";
import { presentCounterparty } from "../../domain/identity/presenters.js";
import { counterpartySearch } from "../../domain/identity/queries.js";
import {
  BOXES,
  boxPage,
  queueCounts,
  recentRecipients,
  documentFilesOf,
  type DocumentFileRow,
} from "../../domain/documents/queries.js";
import { notFound, ValidationError } from "../../errors.js";

import type { Api, Ctx } from "../api.js";
import { commandContext } from "../api.js";
import { idempotencyKey, principalOf } from "../idempotency.js";
import { readUpload } from "../upload.js";
import { Uuid } from "./schemas.js";
import { releasedAfter, streamBody, unreadable } from "../delivery.js";

const Cursor = z.string().regex(/^[A-Za-z0-9_-]{10,200}$/);
const encodeCursor = (createdAt: string, id: string) =>
  Buffer.from(JSON.stringify([createdAt, id])).toString("base64url");
function decodeCursor(c: string): { createdAt: string; id: string } {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(c, "base64url").toString("utf8"));
    if (typeof createdAt === "string" && typeof id === "string") return { createdAt, id };
  } catch {
    /* fall through */
  }
  throw new ValidationError("bad_cursor", "The cursor is not one this API returned");
}

/** RFC 6266 / 5987: an ASCII fallback plus the exact UTF-8 name. */
const contentDisposition = (name: string) =>
  `attachment; filename="${name.replace(/[^\x20-\x7e]|["\\]/g, "_")}"; filename*=UTF-8''${encodeURIComponent(name)}`;

/** R5.8: why a system administrator or compliance officer opens a participant's content. */
export const StaffReason = z.strictObject({ reason: z.string().max(1000).optional() });

export function documentRoutes(api: Api, deps: AppDeps) {
  api.add({
    method: "post",
    path: "/api/v1/documents",
    tag: "documents",
    auth: "any",
    upload: true,
    responses: { 201: "Registered" },
    summary:
      "Register a document: multipart (metadata JSON field, content file, attachments[] files) or JSON with base64 files; Idempotency-Key supported",
    handler: async (ctx) => {
      const key = idempotencyKey(ctx);
      const json = !ctx.is("multipart/form-data");
      const limit = json
        ? Math.min(deps.config.documents.maxBytes, deps.config.documents.jsonMaxBytes)
        : deps.config.documents.maxBytes;
      // Read and stage the files before any transaction: a slow upload must not hold the database.
      const upload = await readUpload(ctx, deps.blobs, limit);
      const idempotency = key ? { principal: principalOf(ctx.state.actor), key } : null;
      const r = await documentRegistrar(deps, commandContext(ctx, deps), upload, idempotency);
      if (r.replayed) ctx.set("Idempotent-Replayed", "true");
      else ctx.set("Location", `/api/v1/documents/${r.body.id}`);
      ctx.status = r.status;
      ctx.body = r.body;
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/queues",
    summary:
      "The caller's work queues with their counts, for the menu: to approve, to sign, to answer, and deemed acceptance running out",
    tag: "documents",
    auth: "user",
    handler: async (ctx) => {
      ctx.body = await queueCounts(deps.reader, ctx.state.actor, deps.clock.now());
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/counterparties",
    summary:
      "The counterparty directory for a document's recipient: without q, the organizations the caller's ones sent to most recently; with q, participants and external organizations by any part of the name (any case, any script) or the start of a BIN, IIN, EDRPOU or RNOKPP — recently used first",
    tag: "documents",
    auth: "any",
    query: z.strictObject({
      q: z.string().trim().max(100).optional(),
      limit: z.coerce.number().int().min(1).max(50).default(20),
    }),
    handler: async (ctx, { query }) => {
      const own = [
        ...new Set(ctx.state.actor.grants.map((g) => g.organizationId).filter((o): o is string => Boolean(o))),
      ];
      if (!own.length) {
        ctx.body = { items: [] };
        return;
      }
      const recent = await recentRecipients(deps.reader, own, query.q ? 200 : query.limit);
      const lastUsed = new Map(recent.map((r) => [r.organizationId, r.lastAt]));
      const rows = await counterpartySearch(deps.reader, {
        q: query.q,
        ids: query.q ? undefined : recent.map((r) => r.organizationId),
        exclude: own,
        limit: query.q ? 200 : query.limit,
      });
      const items = rows
        .map((o) => presentCounterparty(o, lastUsed.get(o.id) ?? null))
        // Recently used first (latest first), then the rest by name as the search ordered them.
        .sort((a, b) => (b.lastUsedAt ?? "").localeCompare(a.lastUsedAt ?? ""))
        .slice(0, query.limit);
      ctx.body = { items };
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/documents",
    summary:
      "A box of documents, newest first, with keyset pagination. The work queues: approval (waiting for the caller's approval decision), signing (his branch's approved documents he has not signed), answer (received, waiting for his side's signature or refusal), deemed (deemed accepted by silence within 3 days)",
    tag: "documents",
    auth: "any",
    query: z.strictObject({
      box: z.enum(BOXES),
      status: z.string().max(32).optional(),
      kind: z.enum(KINDS).optional(),
      counterparty: Uuid.optional(),
      from: z.iso.datetime().optional(),
      to: z.iso.datetime().optional(),
      q: z.string().trim().min(1).max(100).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
      cursor: Cursor.optional(),
    }),
    handler: async (ctx, { query }) => {
      const rows = await boxPage(deps.reader, ctx.state.actor, {
        ...query,
        after: query.cursor ? decodeCursor(query.cursor) : undefined,
        now: deps.clock.now(),
      });
      const files = await documentFilesOf(
        deps.reader,
        rows.map((r) => r.id),
      );
      const last = rows[rows.length - 1];
      ctx.body = {
        items: rows.map((r) => presentDocument(r, files.get(r.id) ?? [])),
        next: rows.length === query.limit ? encodeCursor(last.created_at, last.id) : null,
      };
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/documents/:id",
    summary: "One document with its files' hashes",
    tag: "documents",
    auth: "any",
    handler: async (ctx, { params }) => {
      const { document, files } = await readableDocument({ tx: deps.db, actor: ctx.state.actor }, params.id);
      ctx.body = presentDocument(document, files);
    },
  });

  const download = async (
    ctx: Ctx,
    documentId: string,
    reason: string | undefined,
    pick: (files: DocumentFileRow[]) => DocumentFileRow | undefined,
  ) => {
    const read = await readableDocument({ tx: deps.db, actor: ctx.state.actor }, documentId);
    const { document, files } = read;
    await contentAccess(
      deps.auditJournal,
      deps.config,
      read,
      ctx.state.actor,
      { ip: ctx.ip || null, requestId: ctx.state.requestId },
      reason,
    );
    const file = pick(files);
    if (!file) throw notFound();
    const bytes = await deps.blobs.open(file.sha256, Number(file.size)).catch((err) => unreadable(deps, ctx, err));
    const audit = () =>
      deps.auditJournal
        .record({ actor: actorRef(ctx.state.actor), ip: ctx.ip || null, requestId: ctx.state.requestId }, [
          {
            action: "document.download",
            target: { type: "document", id: document.id },
            organizationId: document.sender_organization_id,
            details: { file: file.id, sha256: file.sha256 },
          },
        ])
        .then(() => undefined);
    ctx.type = file.media_type;
    ctx.length = Number(file.size);
    ctx.set("Content-Disposition", contentDisposition(file.name));
    ctx.set("Digest", `sha-256=${Buffer.from(file.sha256, "hex").toString("base64")}`);
    ctx.set("ETag", `"${file.sha256}"`);
    ctx.set("Cache-Control", "private, no-store");
    streamBody(deps, ctx, releasedAfter(bytes, audit));
  };
  api.add({
    method: "get",
    path: "/api/v1/documents/:id/content",
    tag: "documents",
    auth: "any",
    query: StaffReason,
    summary:
      "Download the document's content (staff of the appliance give a reason, which the organizations see in their audit log; 410 once destroyed)",
    handler: (ctx, { params, query }) =>
      download(ctx, params.id, query.reason, (files) => files.find((f) => f.role === "content")),
  });
  api.add({
    method: "get",
    path: "/api/v1/documents/:id/attachments/:fileId",
    summary: "Download one attachment (staff give a reason, as for the content)",
    tag: "documents",
    auth: "any",
    query: StaffReason,
    handler: (ctx, { params, query }) =>
      download(ctx, params.id, query.reason, (files) =>
        files.find((f) => f.role === "attachment" && f.id === params.fileId),
      ),
  });
}
