// Writing documents. Registration (SPEC R2.1-R2.4) is the billable transaction: the document row,
// its file rows, the usage-ledger entry and the audit entry commit together or not at all. The
// files themselves were staged and committed to the blob store by the caller just before.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import {
  ConflictError,
  ForbiddenError,
  GoneError,
  PayloadTooLargeError,
  StateConflictError,
  ValidationError,
  notFound,
} from "../../errors.js";
import {
  deferForeignKeys,
  guard,
  insertStatements,
  isUniqueViolation,
  runStatements,
  sqliteScript,
  sqliteWriter,
  statements,
  type Db,
  type Tx,
} from "../../storage/db.js";
import type { Clock } from "../../clock.js";
import { remembered } from "../../storage/idempotency.js";
import { auditChain, auditHead, auditWrites } from "../audit/commands.js";
import { actorRef, nowIso, type CommandContext, type RequestMeta } from "../context.js";
import type { AuditJournal } from "../audit/journal.js";
import type { Config } from "../../config/index.js";
import { hasRole } from "../identity/policy.js";
import { retentionColumns, retentionForRegistration, type RetentionFactsCache } from "../retention/policies.js";
import { assertNotHeld } from "../retention/holds.js";
import { presentDocument } from "./presenters.js";
import { stableJson } from "../audit/chain.js";
import { assertCanSendOutgoing } from "../billing/gate.js";
import { meteringFor, usageCounter } from "../billing/metering.js";
import { checkOrganizationIdentifier, organizationInserter, type OrganizationProps } from "../identity/commands.js";
import {
  organizationByIdentifier,
  organizationById,
  type BranchRow,
  type OrganizationRow,
} from "../identity/queries.js";
import { directLookups, directoryVersion, type DirectoryCache, type RegistrationLookups } from "./directoryCache.js";
import type { Actor } from "../identity/roles.js";
import { KINDS, KIND_FIELDS, checkTotals, defaultTitle, type Kind } from "../shared/kinds.js";
import { authorizeDocument, canDocument, WRITER_ROLES } from "./policy.js";
import { assertMove, loadDocument, transition, type Status } from "./lifecycle.js";
import {
  documentById,
  documentFiles,
  documentSides,
  numberTaken,
  type DocumentFileRow,
  type DocumentRow,
} from "./queries.js";
import { timeOrderedId } from "../../storage/ids.js";
import { organizationFactsOf } from "../identity/records.js";

export const RegistrationMetadata = z.strictObject({
  kind: z.enum(KINDS),
  title: z.string().trim().min(1).max(500).optional(),
  direction: z.enum(["outgoing", "internal"]).default("outgoing"),
  /** The sending branch; may be left out when the caller writes for exactly one branch. */
  branchId: z.uuid().optional(),
  recipient: z
    .strictObject({
      organizationId: z.uuid().optional(),
      branchId: z.uuid().optional(),
      /** where to invite the recipient when nobody of it is on the appliance yet (SPEC R2.7) */
      email: z.email().max(254).optional(),
      /** a counterparty not registered here: it is created as an external organization */
      organization: z
        .strictObject({
          name: z.string().trim().min(1).max(300),
          country: z.enum(["KZ", "UA"]),
          bin: z
            .string()
            .regex(/^\d{12}$/)
            .optional(),
          edrpou: z
            .string()
            .regex(/^\d{8}$/)
            .optional(),
        })
        .optional(),
    })
    .optional(),
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
  if (!parsed.success)
    throw invalid(parsed.error.issues.map((i) => ({ field: i.path.join("."), code: i.code, message: i.message })));
  const meta = parsed.data;
  const fieldsParsed = KIND_FIELDS[meta.kind].safeParse(meta.fields);
  if (!fieldsParsed.success) {
    throw invalid(
      fieldsParsed.error.issues.map((i) => ({
        field: ["fields", ...i.path].join("."),
        code: i.code,
        message: i.message,
      })),
    );
  }
  const fields = fieldsParsed.data as Record<string, any>;
  const totals = checkTotals(meta.kind, fields);
  if (totals.length) throw invalid(totals.map((p) => ({ ...p, field: `fields.${p.field}` })));
  return { meta, fields };
}

/** The sending branch: the one named, or the only one the caller writes for. */
async function senderBranch(ctx: CommandContext, branchId: string | undefined, lookups: RegistrationLookups) {
  if (!branchId) {
    const scoped = ctx.actor.grants.filter((g) => g.organizationId && g.branchId);
    const writable = scoped.filter((g) => WRITER_ROLES.includes(g.role));
    // Without a writer role the (single) branch is still named, so the policy refuses with 403.
    const ids = [...new Set((writable.length ? writable : scoped).map((g) => g.branchId!))];
    if (ids.length !== 1)
      throw new ValidationError(
        "branch_required",
        "Name the sending branch (branchId): you write for " + (ids.length ? "several branches" : "no branch"),
      );
    branchId = ids[0];
  }
  const found = await lookups.branch(ctx.tx, { branchId });
  if (!found) throw new ValidationError("unknown_branch", "The sending branch does not exist");
  return found;
}

interface Recipient {
  org: OrganizationRow;
  branch: BranchRow;
  /** set when the counterparty is new to the appliance: the registrar creates it */
  create?: { props: OrganizationProps; ids: { id: string; rootId: string } };
}

async function recipientOf(
  ctx: CommandContext,
  meta: RegistrationMetadata,
  sender: { org: OrganizationRow },
  lookups: RegistrationLookups,
): Promise<Recipient> {
  const r = meta.recipient;
  if (meta.direction === "internal") {
    if (!r?.branchId)
      throw new ValidationError(
        "recipient_required",
        "An internal document names the receiving branch (recipient.branchId)",
      );
    const found = await lookups.branch(ctx.tx, { organizationId: sender.org.id, branchId: r.branchId });
    if (!found || (r.organizationId && r.organizationId !== sender.org.id)) {
      throw new ValidationError(
        "unknown_counterparty",
        "The receiving branch is not a branch of the sending organization",
      );
    }
    return found;
  }
  if (r?.organization && !r.organizationId) return newCounterparty(ctx, r.organization, r.email, sender.org.id);
  if (!r?.organizationId)
    throw new ValidationError(
      "recipient_required",
      "An outgoing document names its recipient (recipient.organizationId, or recipient.organization with recipient.email)",
    );
  if (r.organizationId === sender.org.id)
    throw new ValidationError("recipient_is_sender", "Send to another organization, or register an internal document");
  const found = await lookups.branch(ctx.tx, { organizationId: r.organizationId, branchId: r.branchId ?? null });
  if (!found) {
    const exists = r.branchId && (await organizationFactsOf(ctx.tx, r.organizationId));
    throw new ValidationError(
      "unknown_counterparty",
      exists
        ? "That branch is not a branch of the recipient organization"
        : "No organization with that id is registered on this appliance",
    );
  }
  return found;
}

/** A blocked organization or branch neither registers nor sends (SPEC R1.9). */
export function assertSenderActive(sender: { org: OrganizationRow; branch: BranchRow }): void {
  if (sender.org.status !== "active" || sender.branch.status !== "active") {
    throw new ConflictError("sender_blocked", "The sending organization or branch is blocked");
  }
}

/**
 * A counterparty named by its identifier. One already registered is used as it is; otherwise it will
 * be created (by the registrar, as an external organization) and invited when the document is sent.
 */
async function newCounterparty(
  ctx: CommandContext,
  o: NonNullable<NonNullable<RegistrationMetadata["recipient"]>["organization"]>,
  email: string | undefined,
  senderOrgId: string,
) {
  checkOrganizationIdentifier(o);
  const existing = await organizationByIdentifier(ctx.tx, o);
  if (existing) {
    if (existing.id === senderOrgId)
      throw new ValidationError(
        "recipient_is_sender",
        "Send to another organization, or register an internal document",
      );
    const found = (await organizationById(ctx.tx, existing.id))!;
    return { org: found.org, branch: found.root };
  }
  if (!email)
    throw new ValidationError(
      "recipient_email_required",
      "A counterparty not on the appliance is invited by e-mail: give recipient.email",
      { field: "recipient.email" },
    );
  const now = nowIso(ctx);
  const id = randomUUID();
  const rootId = randomUUID();
  const org: OrganizationRow = {
    id,
    name: o.name,
    country: o.country,
    bin: o.bin ?? null,
    edrpou: o.edrpou ?? null,
    external: true,
    status: "active",
    block_reason: null,
    totp_required: false,
    created_at: now,
    updated_at: now,
  } as OrganizationRow;
  const branch = {
    id: rootId,
    organization_id: id,
    parent_id: null,
    name: o.name,
    path: `/${rootId}/`,
    status: "active",
  } as BranchRow;
  return { org, branch, create: { props: { ...o, external: true }, ids: { id, rootId } } };
}

export interface PrepareOptions {
  /** facts remembered between registrations (see DirectoryCache) */
  cache?: DirectoryCache;
  /** the id and time of a registration checked again in its transaction (see registrationWriter) */
  id?: string;
  now?: string;
}

/**
 * Every check of a registration — form, totals, branch, permission, recipient, number — without
 * writing anything. The route runs it before committing the uploaded files, so a refused
 * registration leaves no blob behind; the registrar runs it again inside its transaction when the
 * facts it used have changed since (`factsVersion`). A refusal on cached facts is checked on fresh
 * reads before it is made.
 */
export async function registrationPreparer(ctx: CommandContext, p: RegistrationProps, opts: PrepareOptions = {}) {
  if (!opts.cache) return prepare(ctx, p, directLookups, opts);
  try {
    return await prepare(ctx, p, opts.cache.lookups(), opts);
  } catch {
    return prepare(ctx, p, directLookups, opts);
  }
}

async function prepare(ctx: CommandContext, p: RegistrationProps, lookups: RegistrationLookups, opts: PrepareOptions) {
  const { meta, fields } = parseMetadata(p.metadata);
  const sender = await senderBranch(ctx, meta.branchId, lookups);
  const branch = sender.branch;
  authorizeDocument(ctx.actor, "document.create", {
    sender: { organizationId: branch.organization_id, branchPath: branch.path },
    recipient: null,
  });
  assertSenderActive(sender);
  // SPEC R4.4: a branch blocked for non-payment creates no internal documents.
  if (meta.direction === "internal")
    await assertCanSendOutgoing(
      ctx.tx,
      { organizationId: sender.org.id, branchId: branch.id, path: branch.path },
      ctx.clock.now(),
      lookups.subscription,
    );
  const recipient = await recipientOf(ctx, meta, sender, lookups);
  const kind: Kind = meta.kind;
  const number: string | null = fields.number ?? null;
  const date: string | null = fields.date ?? null;
  const now = opts.now ?? nowIso(ctx);
  const year = number ? Number((date ?? now).slice(0, 4)) : null;
  if (number && (await numberTaken(ctx.tx, sender.org.id, kind, year!, number))) {
    throw new ConflictError(
      "number_taken",
      `${kind} No. ${number} of ${year} is already registered by this organization`,
      { number, year },
    );
  }
  const content = p.files.find((f) => f.role === "content")!;
  const title = meta.title ?? defaultTitle(kind, fields);
  const id = opts.id ?? timeOrderedId(Date.parse(now));
  const totalBytes = p.files.reduce((n, f) => n + f.size, 0);
  // SPEC R4.3: the registration counts against the branch's subscription; over quota is 402.
  const metering = await meteringFor(ctx.tx, branch.path, meta.direction, totalBytes, ctx.clock.now(), lookups);
  const recipientName = recipient.org.name + (recipient.branch.parent_id ? ` — ${recipient.branch.name}` : "");
  const search = (other: string) => [number, title, other].filter(Boolean).join(" ").toLocaleLowerCase();
  const row: DocumentRow = {
    id,
    kind,
    direction: meta.direction,
    status: "draft",
    title,
    number,
    doc_date: date,
    doc_year: year,
    currency: fields.currency ?? null,
    total: fields.total ?? null,
    fields: stableJson(fields),
    sender_organization_id: sender.org.id,
    sender_branch_id: branch.id,
    sender_branch_path: branch.path,
    sender_name: sender.org.name,
    recipient_organization_id: recipient.org.id,
    recipient_branch_id: recipient.branch.id,
    recipient_branch_path: recipient.branch.path,
    recipient_name: recipientName,
    recipient_email: meta.recipient?.email ?? null,
    respond_by: null,
    annulment_prior_status: null,
    annulment_requested_by: null,
    content_sha256: content.sha256,
    content_name: content.name,
    content_type: content.mediaType,
    content_size: content.size,
    total_bytes: totalBytes,
    created_by_type: ctx.actor.type,
    created_by: ctx.actor.id ?? ctx.actor.type, // "system": the appliance itself (billing invoices)
    created_at: now,
    updated_at: now,
    sent_at: null,
    frozen_at: null,
    version: 1,
  };
  return {
    row,
    kind,
    number,
    year,
    meta,
    fields,
    sender,
    branch,
    recipient,
    recipientName,
    search,
    metering,
    factsVersion: lookups.version(),
  };
}

export type PreparedRegistration = Awaited<ReturnType<typeof registrationPreparer>>;

export interface RegistrationItem {
  /** the registering request's context, without a transaction */
  ctx: Omit<CommandContext, "tx">;
  prepared: PreparedRegistration;
  /** what was prepared from: needed when the prepared facts are of another directory version */
  props?: RegistrationProps;
  /** the registration's files being made durable (committed to the blob store): awaited before the transaction commits */
  durable?: Promise<void>;
  files: RegisteredFile[];
  /** Idempotency-Key: the response is stored with the document */
  idempotency?: { principal: string; key: string; hash: string } | null;
}

export interface Registered {
  document: DocumentRow;
  files: DocumentFileRow[];
}

/**
 * Writes registrations the preparer has checked: for each, the document row, its file rows, the
 * usage-ledger entry, the audit entry and the stored idempotent response — for a whole batch in one
 * transaction with multi-row inserts (the registrar's group commit). The unique index on numbers is
 * the final word on duplicates; a violation fails the batch, which the group commit then retries
 * item by item so only the duplicate is refused. On SQLite the registrar first tries
 * registrationScript, which writes the same statements in one trip; this is the way every batch
 * can take, on both databases.
 */
export async function registrationWriter(
  tx: Tx,
  clock: Clock,
  items: RegistrationItem[],
  retentionFacts?: RetentionFactsCache,
  directory?: DirectoryCache,
): Promise<Registered[]> {
  // On SQLite one round trip per dependency step, not per statement (see `statements`): under load
  // each answer waits its turn on the event loop, and the batch holds the one writer meanwhile.
  // First the reads — the directory version, the audit chain's head, the facts that decide
  // retain-until dates (R5.1) — then every write at once, the documents first (PostgreSQL runs
  // them in order; SQLite checks the foreign keys at the commit).
  const [version, firstHead, retentionOf] = (await statements(tx, [
    () => directoryVersion(tx),
    () => auditHead(tx),
    () => retentionForRegistration(tx, items[0].ctx.config, retentionFacts),
    () => deferForeignKeys(tx),
  ])) as [number, Awaited<ReturnType<typeof auditHead>>, Awaited<ReturnType<typeof retentionForRegistration>>];
  let head = firstHead;
  directory?.observe(version);
  // Prepared on cached facts of another version: every check again, on this transaction's reads.
  for (const it of items) {
    if (it.prepared.factsVersion === undefined || it.prepared.factsVersion === version) continue;
    if (!it.props) throw new Error("a registration prepared on cached facts must carry its props");
    it.prepared = await registrationPreparer({ ...it.ctx, tx }, it.props, {
      id: it.prepared.row.id,
      now: it.prepared.row.created_at,
    });
  }
  // A counterparty new to the appliance is created with the document (it is invited when sent).
  for (const it of items) {
    if (!it.prepared.recipient.create) continue;
    await organizationInserter({ ...it.ctx, tx }, it.prepared.recipient.create.props, it.prepared.recipient.create.ids);
    head = await auditHead(tx); // the new organization's audit entry moved the chain on
  }
  const { out, writes } = registrationStatements(clock, items, head, retentionOf);
  await runStatements(tx, writes);
  // The files must be durable before the rows that name them are: the transaction commits only
  // once every file of the batch is. Their flush ran meanwhile, overlapping the statements above.
  await Promise.all(items.map((it) => it.durable));
  return out;
}

/** What registrationScript reads before its transaction, on the writing connection. */
const DIRECTORY_VERSION = `(select "version" from "directory_version" where "id" = 1)`;
const RETENTION_EPOCH = `(select "epoch" from "retention_state" where "id" = 1)`;
const SCRIPT_FACTS = `select ${DIRECTORY_VERSION} as "version", ${RETENTION_EPOCH} as "epoch", "seq", "hash" from "audit_head" where "id" = 1`;

/**
 * SQLite: a batch of registrations as one script in one transaction on the writing connection
 * (sqliteWriter) — one trip through the thread pool instead of registrationWriter's four, each of
 * which waits its turn on a busy event loop while the batch holds the one writer. What the writes
 * depend on (the directory version, the audit head, the retention epoch) is read just before, on
 * the same connection, and the script checks it again under its write lock: the audit head moves
 * only from the head read, and a guard fails the script when the version or the epoch moved (the
 * CLI may write from another process). Null — nothing written — when the batch needs
 * registrationWriter: a registration prepared on other facts, a new counterparty, retention facts
 * not held, a file that failed to become durable, a guard, a quota or a unique index that refused.
 */
export async function registrationScript(
  db: Db,
  clock: Clock,
  items: RegistrationItem[],
  retentionFacts: RetentionFactsCache,
  directory?: DirectoryCache,
): Promise<Registered[] | null> {
  if (items.some((it) => it.prepared.recipient.create || it.prepared.factsVersion === undefined)) return null;
  return sqliteWriter(db, async (w) => {
    const [read, durable] = await Promise.allSettled([
      w.rows<{ version: number; epoch: number; seq: number; hash: string }>(SCRIPT_FACTS),
      Promise.all(items.map((it) => it.durable)), // the files are durable before the rows that name them
    ]);
    if (read.status === "rejected" || durable.status === "rejected") return null;
    const [{ version, epoch, seq, hash }] = read.value;
    directory?.observe(version);
    const facts = retentionFacts.at(epoch);
    if (!facts || items.some((it) => it.prepared.factsVersion !== version)) return null;
    const { out, writes } = registrationStatements(clock, items, { seq, hash }, retentionColumns(facts));
    const script = sqliteScript([
      guard(`${DIRECTORY_VERSION} <> ? or ${RETENTION_EPOCH} <> ?`, [version, epoch]),
      ...writes,
    ]);
    if (script === null) return null;
    return w.transaction(script).then(
      () => out,
      () => null,
    );
  }).catch(() => null);
}

/** A batch's rows and the statements that write them, after the audit head `head` (no I/O). */
function registrationStatements(
  clock: Clock,
  items: RegistrationItem[],
  head: { seq: number; hash: string },
  retentionOf: ReturnType<typeof retentionColumns>,
) {
  const out: Registered[] = [];
  const documents: Record<string, unknown>[] = [];
  const fileRows: DocumentFileRow[] = [];
  const ledger: Record<string, unknown>[] = [];
  for (const it of items) {
    const { row, sender, branch, recipientName, search } = it.prepared;
    documents.push({ ...row, search_as_sender: search(recipientName), search_as_recipient: search(sender.org.name) });
    let position = 0;
    const files: DocumentFileRow[] = it.files.map((f) => ({
      id: timeOrderedId(Date.parse(row.created_at)),
      document_id: row.id,
      role: f.role,
      position: f.role === "content" ? 0 : ++position,
      name: f.name,
      media_type: f.mediaType,
      size: f.size,
      sha256: f.sha256,
    }));
    fileRows.push(...files);
    ledger.push({
      organization_id: sender.org.id,
      branch_id: branch.id,
      document_id: row.id,
      event: "registration",
      bytes: row.total_bytes,
      at: row.created_at,
      subscription_id: it.prepared.metering?.subscriptionId ?? null,
      outgoing: row.direction === "outgoing",
    });
    out.push({ document: row, files });
  }
  const retention = retentionOf(out.map((o) => o.document));
  out.forEach((o, i) => {
    Object.assign(o.document, retention[i]);
    Object.assign(documents[i], retention[i]);
  });
  const audit = auditChain(
    head,
    clock,
    items.map((it, i) => {
      const { row, kind, number, meta, sender, recipient } = it.prepared;
      return {
        meta: { actor: actorRef(it.ctx.actor), ...it.ctx.meta },
        events: [
          {
            action: "document.register",
            target: { type: "document", id: row.id },
            organizationId: sender.org.id,
            details: {
              kind,
              number,
              direction: meta.direction,
              recipientOrganizationId: recipient.org.id,
              files: out[i].files.map((f) => f.sha256),
              bytes: row.total_bytes,
            },
          },
        ],
      };
    }),
  );
  const writes = [
    ...insertStatements("documents", documents, 200),
    ...insertStatements("document_files", fileRows, 1000),
    ...insertStatements("usage_ledger", ledger, 1000),
    ...usageCounter(items.flatMap((it) => it.prepared.metering ?? [])),
    ...remembered(
      items.flatMap((it, i) =>
        it.idempotency
          ? [
              {
                ...it.idempotency,
                response: { status: 201, body: presentDocument(out[i].document, out[i].files) },
                at: out[i].document.created_at,
              },
            ]
          : [],
      ),
    ),
    ...auditWrites(audit),
  ];
  return { out, writes };
}

/** Why a registration hit a unique index: its number was taken meanwhile (409), or null when it was not that. */
export async function registrationConflict(
  db: Tx,
  p: PreparedRegistration,
  err: unknown,
): Promise<ConflictError | null> {
  if (!isUniqueViolation(err) || !p.number) return null;
  if (!(await numberTaken(db, p.sender.org.id, p.kind, p.year!, p.number))) return null;
  return new ConflictError(
    "number_taken",
    `${p.kind} No. ${p.number} of ${p.year} is already registered by this organization`,
    { number: p.number, year: p.year },
  );
}

/**
 * A document the actor may read, or 404 (existence is not revealed). System administrators and
 * compliance officers see every document's metadata (`staff`: true) but not its content unless
 * they state a reason (SPEC R5.8, see staffContentAccess).
 */
export async function readableDocument(ctx: { tx: CommandContext["tx"]; actor: Actor }, id: string) {
  const doc = await documentById(ctx.tx, id);
  if (!doc) throw notFound("Document");
  const sides = documentSides(doc);
  const staff =
    !canDocument(ctx.actor, "document.read", sides) &&
    (hasRole(ctx.actor, "system_admin") || hasRole(ctx.actor, "compliance_officer"));
  if (!staff) authorizeDocument(ctx.actor, "document.read", sides);
  return { document: doc, files: await documentFiles(ctx.tx, id), staff };
}

/**
 * R5.8: staff open a participant's content only with a stated reason; the access is audited under
 * both parties' organizations, so their administrators see it in their audit log. A destroyed
 * document has no content left (410).
 */
export async function contentAccess(
  journal: AuditJournal,
  config: Config,
  read: { document: DocumentRow; staff: boolean },
  actor: Actor,
  meta: RequestMeta,
  reason: string | undefined,
) {
  if (read.document.status === "destroyed")
    throw new GoneError(
      "document_destroyed",
      "The document was destroyed under its retention policy; its tombstone and the disposition certificate remain",
    );
  if (!read.staff) return;
  if (!reason || reason.trim().length < config.retention.staffReasonMinLength) {
    throw new ForbiddenError(
      "staff_access_reason_required",
      `Staff open a participant's content only with a stated reason (query parameter reason, at least ${config.retention.staffReasonMinLength} characters); the access is audited and shown to the organization`,
    );
  }
  const d = read.document;
  await journal.record(
    { actor: actorRef(actor), ...meta },
    [...new Set([d.sender_organization_id, d.recipient_organization_id].filter((o): o is string => Boolean(o)))].map(
      (organizationId) => ({
        action: "document.staff_access",
        target: { type: "document", id: d.id },
        organizationId,
        details: { reason: reason.trim() },
      }),
    ),
  );
}

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
