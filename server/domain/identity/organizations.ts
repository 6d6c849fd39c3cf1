// Participants (SPEC R1.1, R1.9): registering an organization (or an external counterparty) with its
// head office, its identifiers (BIN, EDRPOU) checked, updating and blocking it. Each command runs in
// the caller's transaction, authorizes through the policy, and audits in that transaction.
import { randomUUID } from "node:crypto";
import { ConflictError, ValidationError, notFound, StateConflictError } from "../../errors.js";
import type { Tx } from "../../storage/db.js";
import { audit, nowIso, type CommandContext } from "../context.js";
import { isValidBin, isValidEdrpou } from "./ids.js";
import { authorize, can } from "./policy.js";
import { branchesOf, organizationById, organizationResource } from "./queries.js";
import { type Actor } from "./roles.js";

export interface OrganizationProps {
  name: string;
  country: "KZ" | "UA";
  bin?: string;
  edrpou?: string;
  external?: boolean;
  headOfficeName?: string;
  totpRequired?: boolean;
}

export async function organizationCreator(ctx: CommandContext, p: OrganizationProps) {
  authorize(ctx.actor, "organization.create", { type: "appliance" });
  return organizationInserter(ctx, p);
}

/** SPEC R1.1: a KZ entity is identified by its BIN, a UA one by its EDRPOU, each with its check digit. */
export function checkOrganizationIdentifier(p: Pick<OrganizationProps, "country" | "bin" | "edrpou">): void {
  if (p.country === "KZ" && (!p.bin || p.edrpou))
    throw new ValidationError("identifier_required", "A Kazakh organization needs a BIN (and no EDRPOU)", {
      field: "bin",
    });
  if (p.country === "UA" && (!p.edrpou || p.bin))
    throw new ValidationError("identifier_required", "A Ukrainian organization needs an EDRPOU (and no BIN)", {
      field: "edrpou",
    });
  if (p.bin && !isValidBin(p.bin))
    throw new ValidationError("invalid_bin", "BIN must be 12 digits with a valid check digit", { field: "bin" });
  if (p.edrpou && !isValidEdrpou(p.edrpou))
    throw new ValidationError("invalid_edrpou", "EDRPOU must be 8 digits with a valid check digit", {
      field: "edrpou",
    });
}

/**
 * Writes a new organization with its head office. Callers authorize first: an administrator
 * creating one, or a sender naming a counterparty not yet on the appliance (then it is external).
 */
export async function organizationInserter(
  ctx: CommandContext,
  p: OrganizationProps,
  ids: { id?: string; rootId?: string } = {},
) {
  checkOrganizationIdentifier(p);
  const dup = await ctx
    .tx("organizations")
    .where((w) => (p.bin ? w.where({ bin: p.bin }) : w.where({ edrpou: p.edrpou })))
    .first("id");
  if (dup) throw new ConflictError("organization_exists", "An organization with this identifier is already registered");
  const now = nowIso(ctx);
  const id = ids.id ?? randomUUID();
  const rootId = ids.rootId ?? randomUUID();
  await ctx.tx("organizations").insert({
    id,
    name: p.name,
    country: p.country,
    bin: p.bin ?? null,
    edrpou: p.edrpou ?? null,
    external: p.external ?? false,
    status: "active",
    block_reason: null,
    totp_required: p.totpRequired ?? false,
    created_at: now,
    updated_at: now,
  });
  await ctx.tx("branches").insert({
    id: rootId,
    organization_id: id,
    parent_id: null,
    name: p.headOfficeName ?? p.name,
    path: `/${rootId}/`,
    status: "active",
    block_reason: null,
    created_at: now,
    updated_at: now,
  });
  await audit(ctx, {
    action: "organization.create",
    target: { type: "organization", id },
    organizationId: id,
    details: {
      name: p.name,
      country: p.country,
      bin: p.bin ?? null,
      edrpou: p.edrpou ?? null,
      external: p.external ?? false,
    },
  });
  return (await organizationById(ctx.tx, id))!;
}

/** The organization, or 404 when it does not exist — and an audited hidden refusal when the actor may not see it. */
export async function readableOrganization(tx: Tx, actor: Actor, id: string) {
  const found = await organizationById(tx, id);
  if (!found) throw notFound("Organization");
  authorize(actor, "organization.read", organizationResource(found), false);
  return found;
}

/** The organization an action is taken on: 404 when missing or hidden from the actor, 403 when visible but not allowed. */
export async function organizationFor(
  ctx: CommandContext,
  id: string,
  action: "organization.update" | "organization.block",
) {
  const found = await organizationById(ctx.tx, id);
  if (!found) throw notFound("Organization");
  const res = organizationResource(found);
  authorize(ctx.actor, action, res, can(ctx.actor, "organization.read", res));
  return found;
}

export async function organizationUpdater(
  ctx: CommandContext,
  p: { id: string; name?: string; totpRequired?: boolean },
) {
  const found = await organizationFor(ctx, p.id, "organization.update");
  const changes: Record<string, unknown> = {};
  if (p.name !== undefined) changes.name = p.name;
  if (p.totpRequired !== undefined) changes.totp_required = p.totpRequired;
  await ctx
    .tx("organizations")
    .where({ id: p.id })
    .update({ ...changes, updated_at: nowIso(ctx) });
  await audit(ctx, {
    action: "organization.update",
    target: { type: "organization", id: p.id },
    organizationId: p.id,
    details: { before: { name: found.org.name, totpRequired: Boolean(found.org.totp_required) }, changes: p },
  });
  return (await organizationById(ctx.tx, p.id))!;
}

/** SPEC R1.9: an operator blocks a participant whose registration data is false; unblocking is the same command. */
export async function organizationBlocker(ctx: CommandContext, p: { id: string; blocked: boolean; reason?: string }) {
  const found = await organizationFor(ctx, p.id, "organization.block");
  const status = p.blocked ? "blocked" : "active";
  if (found.org.status === status)
    throw new StateConflictError("already_" + status, `Organization is already ${status}`, { status });
  await ctx
    .tx("organizations")
    .where({ id: p.id })
    .update({ status, block_reason: p.blocked ? p.reason : null, updated_at: nowIso(ctx) });
  await audit(ctx, {
    action: p.blocked ? "organization.block" : "organization.unblock",
    target: { type: "organization", id: p.id },
    organizationId: p.id,
    details: { reason: p.reason ?? null },
  });
  return (await organizationById(ctx.tx, p.id))!;
}

export async function organizationBranches(ctx: { tx: CommandContext["tx"] }, orgId: string) {
  return branchesOf(ctx.tx, orgId);
}
