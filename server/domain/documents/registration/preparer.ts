// Preparing a registration (SPEC R2.1–R2.4, R1.9, R4.4): everything checked before the write — the
// metadata and totals, the sending branch and its billing gate, the recipient (or a new counterparty
// to create and invite), metering and the retention date — on cached directory facts when it can.
import { randomUUID } from "node:crypto";

import { ConflictError, ValidationError } from "../../../errors.js";

import { nowIso, type CommandContext } from "../../context.js";

import { stableJson } from "../../audit/chain.js";
import { assertCanSendOutgoing } from "../../billing/gate.js";
import { meteringFor } from "../../billing/metering.js";
import { checkOrganizationIdentifier, type OrganizationProps } from "../../identity/organizations.js";
import {
  organizationByIdentifier,
  organizationById,
  type BranchRow,
  type OrganizationRow,
} from "../../identity/queries.js";
import { directLookups, type DirectoryCache, type RegistrationLookups } from "../directoryCache.js";

import { defaultTitle, type Kind } from "../../shared/kinds.js";
import { authorizeDocument, WRITER_ROLES } from "../policy.js";

import { numberTaken, type DocumentRow } from "../queries.js";
import { timeOrderedId } from "../../../storage/ids.js";
import { organizationFactsOf } from "../../identity/records.js";
import { RegistrationMetadata, RegistrationProps, parseMetadata } from "./metadata.js";

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
    rnokpp: o.rnokpp ?? null,
    kind: o.kind ?? "legal_entity",
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
