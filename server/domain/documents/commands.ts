// Writing documents. Registration (SPEC R2.1-R2.4) is the billable transaction: the document row,
// its file rows, the usage-ledger entry and the audit entry commit together or not at all. The
// files themselves were staged and committed to the blob store by the caller just before.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { ConflictError, ValidationError, notFound } from "../../errors.js";
import { isUniqueViolation } from "../../storage/db.js";
import { audit, nowIso, type CommandContext } from "../context.js";
import { stableJson } from "../audit/chain.js";
import { branchById, organizationById } from "../identity/queries.js";
import type { Actor } from "../identity/roles.js";
import { KINDS, KIND_FIELDS, checkTotals, defaultTitle, type Kind } from "./kinds.js";
import { authorizeDocument, WRITER_ROLES } from "./policy.js";
import { documentById, documentFiles, documentSides, numberTaken, type DocumentFileRow, type DocumentRow } from "./queries.js";

export const RegistrationMetadata = z.strictObject({
  kind: z.enum(KINDS),
  title: z.string().trim().min(1).max(500).optional(),
  direction: z.enum(["outgoing", "internal"]).default("outgoing"),
  /** The sending branch; may be left out when the caller writes for exactly one branch. */
  branchId: z.uuid().optional(),
  recipient: z.strictObject({ organizationId: z.uuid().optional(), branchId: z.uuid().optional() }).optional(),
  fields: z.record(z.string(), z.unknown()).default({}),
});
export type RegistrationMetadata = z.infer<typeof RegistrationMetadata>;

export interface RegisteredFile {
  role: "content" | "attachment";
  name: string;
  mediaType: string;
  sha256: string;
  size: number;
}

export interface RegistrationProps {
  metadata: unknown;
  files: RegisteredFile[];
}

function invalid(issues: Array<{ field: string; code: string; message: string }>) {
  return new ValidationError("validation_failed", "The document's metadata is not valid", { errors: issues });
}

function parseMetadata(raw: unknown): { meta: RegistrationMetadata; fields: Record<string, any> } {
  const parsed = RegistrationMetadata.safeParse(raw ?? {});
  if (!parsed.success) throw invalid(parsed.error.issues.map((i) => ({ field: i.path.join("."), code: i.code, message: i.message })));
  const meta = parsed.data;
  const fieldsParsed = KIND_FIELDS[meta.kind].safeParse(meta.fields);
  if (!fieldsParsed.success) {
    throw invalid(fieldsParsed.error.issues.map((i) => ({ field: ["fields", ...i.path].join("."), code: i.code, message: i.message })));
  }
  const fields = fieldsParsed.data as Record<string, any>;
  const totals = checkTotals(meta.kind, fields);
  if (totals.length) throw invalid(totals.map((p) => ({ ...p, field: `fields.${p.field}` })));
  return { meta, fields };
}

/** The sending branch: the one named, or the only one the caller writes for. */
async function senderBranch(ctx: CommandContext, branchId: string | undefined) {
  if (branchId) {
    const b = await branchById(ctx.tx, branchId);
    if (!b) throw new ValidationError("unknown_branch", "The sending branch does not exist");
    return b;
  }
  const scoped = ctx.actor.grants.filter((g) => g.organizationId && g.branchId);
  const writable = scoped.filter((g) => WRITER_ROLES.includes(g.role));
  // Without a writer role the (single) branch is still named, so the policy refuses with 403.
  const ids = [...new Set((writable.length ? writable : scoped).map((g) => g.branchId!))];
  if (ids.length !== 1) throw new ValidationError("branch_required", "Name the sending branch (branchId): you write for " + (ids.length ? "several branches" : "no branch"));
  return (await branchById(ctx.tx, ids[0]))!;
}

async function recipientOf(ctx: CommandContext, meta: RegistrationMetadata, senderOrgId: string) {
  const r = meta.recipient;
  if (meta.direction === "internal") {
    if (!r?.branchId) throw new ValidationError("recipient_required", "An internal document names the receiving branch (recipient.branchId)");
    const b = await branchById(ctx.tx, r.branchId);
    if (!b || b.organization_id !== senderOrgId || (r.organizationId && r.organizationId !== senderOrgId)) {
      throw new ValidationError("unknown_counterparty", "The receiving branch is not a branch of the sending organization");
    }
    const org = (await organizationById(ctx.tx, senderOrgId))!;
    return { org: org.org, branch: b };
  }
  if (!r?.organizationId) throw new ValidationError("recipient_required", "An outgoing document names its recipient (recipient.organizationId)");
  if (r.organizationId === senderOrgId) throw new ValidationError("recipient_is_sender", "Send to another organization, or register an internal document");
  const found = await organizationById(ctx.tx, r.organizationId);
  if (!found) throw new ValidationError("unknown_counterparty", "No organization with that id is registered on this appliance");
  const branch = r.branchId ? await branchById(ctx.tx, r.branchId) : found.root;
  if (!branch || branch.organization_id !== found.org.id) throw new ValidationError("unknown_counterparty", "That branch is not a branch of the recipient organization");
  return { org: found.org, branch };
}

/**
 * Every check of a registration — form, totals, branch, permission, recipient, number — without
 * writing anything. The route runs it before committing the uploaded files, so a refused
 * registration leaves no blob behind; the registrar runs it again inside its transaction.
 */
export async function registrationPreparer(ctx: CommandContext, p: RegistrationProps) {
  const { meta, fields } = parseMetadata(p.metadata);
  const branch = await senderBranch(ctx, meta.branchId);
  const sender = (await organizationById(ctx.tx, branch.organization_id))!;
  authorizeDocument(ctx.actor, "document.create", { sender: { organizationId: branch.organization_id, branchPath: branch.path }, recipient: null });
  if (sender.org.status !== "active" || branch.status !== "active") {
    throw new ConflictError("sender_blocked", "The sending organization or branch is blocked");
  }
  const recipient = await recipientOf(ctx, meta, sender.org.id);
  const kind: Kind = meta.kind;
  const number: string | null = fields.number ?? null;
  const date: string | null = fields.date ?? null;
  const year = number ? Number((date ?? nowIso(ctx)).slice(0, 4)) : null;
  if (number && (await numberTaken(ctx.tx, sender.org.id, kind, year!, number))) {
    throw new ConflictError("number_taken", `${kind} No. ${number} of ${year} is already registered by this organization`, { number, year });
  }
  const content = p.files.find((f) => f.role === "content")!;
  const title = meta.title ?? defaultTitle(kind, fields);
  const now = nowIso(ctx);
  const id = randomUUID();
  const totalBytes = p.files.reduce((n, f) => n + f.size, 0);
  const recipientName = recipient.org.name + (recipient.branch.parent_id ? ` — ${recipient.branch.name}` : "");
  const search = (other: string) => [number, title, other].filter(Boolean).join(" ").toLocaleLowerCase();
  const row: DocumentRow = {
    id, kind, direction: meta.direction, status: "draft", title, number, doc_date: date, doc_year: year,
    currency: fields.currency ?? null, total: fields.total ?? null, fields: stableJson(fields),
    sender_organization_id: sender.org.id, sender_branch_id: branch.id, sender_branch_path: branch.path, sender_name: sender.org.name,
    recipient_organization_id: recipient.org.id, recipient_branch_id: recipient.branch.id, recipient_branch_path: recipient.branch.path, recipient_name: recipientName,
    content_sha256: content.sha256, content_name: content.name, content_type: content.mediaType, content_size: content.size, total_bytes: totalBytes,
    created_by_type: ctx.actor.type, created_by: ctx.actor.id!, created_at: now, updated_at: now, sent_at: null, frozen_at: null, version: 1,
  };
  return { row, kind, number, year, meta, fields, sender, branch, recipient, recipientName, search };
}

export async function documentRegistrar(ctx: CommandContext, p: RegistrationProps): Promise<{ document: DocumentRow; files: DocumentFileRow[] }> {
  const { row, kind, number, year, meta, sender, branch, recipient, recipientName, search } = await registrationPreparer(ctx, p);
  const { id, created_at: now, total_bytes: totalBytes } = row;
  try {
    await ctx.tx("documents").insert({ ...row, search_as_sender: search(recipientName), search_as_recipient: search(sender.org.name) });
  } catch (err) {
    if (isUniqueViolation(err) && number) {
      throw new ConflictError("number_taken", `${kind} No. ${number} of ${year} is already registered by this organization`, { number, year });
    }
    throw err;
  }
  let position = 0;
  const fileRows: DocumentFileRow[] = p.files.map((f) => ({
    id: randomUUID(), document_id: id, role: f.role, position: f.role === "content" ? 0 : ++position,
    name: f.name, media_type: f.mediaType, size: f.size, sha256: f.sha256,
  }));
  await ctx.tx("document_files").insert(fileRows);
  await ctx.tx("usage_ledger").insert({ organization_id: sender.org.id, branch_id: branch.id, document_id: id, event: "registration", bytes: totalBytes, at: now });
  await audit(ctx, {
    action: "document.register", target: { type: "document", id }, organizationId: sender.org.id,
    details: { kind, number, direction: meta.direction, recipientOrganizationId: recipient.org.id, files: fileRows.map((f) => f.sha256), bytes: totalBytes },
  });
  return { document: row, files: fileRows };
}

/** A document the actor may read, or 404 (existence is not revealed). */
export async function readableDocument(ctx: { tx: CommandContext["tx"]; actor: Actor }, id: string) {
  const doc = await documentById(ctx.tx, id);
  if (!doc) throw notFound("Document");
  authorizeDocument(ctx.actor, "document.read", documentSides(doc));
  return { document: doc, files: await documentFiles(ctx.tx, id) };
}
