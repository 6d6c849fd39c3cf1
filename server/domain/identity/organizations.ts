// Participants (SPEC R1.1, R1.9): registering an organization (or an external counterparty) with its
// head office, its identifiers (BIN, EDRPOU) checked, updating and blocking it. Each command runs in
// the caller's transaction, authorizes through the policy, and audits in that transaction.
import { randomUUID } from "node:crypto";
import { ConflictError, ValidationError, notFound, StateConflictError } from "../../errors.js";
import type { Tx } from "../../storage/db.js";
import { audit, nowIso, type CommandContext } from "../context.js";
import { isValidBin, isValidEdrpou, isValidIin, isValidRnokpp } from "./ids.js";
import type { ParticipantKind } from "../shared/identifiers.js";
import { searchFold } from "../shared/text.js";
import { authorize, can } from "./policy.js";
import { branchesOf, organizationById, organizationResource } from "./queries.js";
import { type Actor } from "./roles.js";

export interface OrganizationProps {
  name: string;
  country: "KZ" | "UA";
  bin?: string;
  edrpou?: string;
  rnokpp?: string;
  /** legal entity unless said (SPEC R1.1) */
  kind?: ParticipantKind;
  /** its IANA time zone, when not the appliance's (SPEC R2.6) */
  timeZone?: string;
  external?: boolean;
  headOfficeName?: string;
  totpRequired?: boolean;
}

export async function organizationCreator(ctx: CommandContext, p: OrganizationProps) {
  authorize(ctx.actor, "organization.create", { type: "appliance" });
  return organizationInserter(ctx, p);
}

/**
 * SPEC R1.1: who a participant is decides its identifier, each with its check digit. A Kazakh legal
 * entity has a BIN; a Kazakh sole proprietor (ИП) uses his IIN as BIN (or a BIN of his own); a
 * Kazakh individual is his IIN. A Ukrainian legal entity has an EDRPOU; a ФОП and an individual
 * are their RNOKPP.
 */
export function checkOrganizationIdentifier(
  p: Pick<OrganizationProps, "country" | "bin" | "edrpou" | "rnokpp" | "kind">,
): void {
  const kind = p.kind ?? "legal_entity";
  const given = (["bin", "edrpou", "rnokpp"] as const).filter((f) => p[f]);
  const wanted: "bin" | "edrpou" | "rnokpp" =
    p.country === "KZ" ? "bin" : kind === "legal_entity" ? "edrpou" : "rnokpp";
  const names = { bin: kind === "individual" ? "an IIN (as bin)" : "a BIN", edrpou: "an EDRPOU", rnokpp: "an RNOKPP" };
  const who = `${p.country === "KZ" ? "A Kazakh" : "A Ukrainian"} ${kind.replace("_", " ")}`;
  if (given.length !== 1 || given[0] !== wanted)
    throw new ValidationError("identifier_required", `${who} needs ${names[wanted]} and no other identifier`, {
      field: wanted,
    });
  if (p.bin && kind === "individual" && !isValidIin(p.bin))
    throw new ValidationError("invalid_iin", "An individual's IIN must be 12 digits with a valid check digit", {
      field: "bin",
    });
  if (p.bin && !isValidBin(p.bin))
    throw new ValidationError("invalid_bin", "BIN must be 12 digits with a valid check digit", { field: "bin" });
  if (p.edrpou && !isValidEdrpou(p.edrpou))
    throw new ValidationError("invalid_edrpou", "EDRPOU must be 8 digits with a valid check digit", {
      field: "edrpou",
    });
  if (p.rnokpp && !isValidRnokpp(p.rnokpp))
    throw new ValidationError("invalid_rnokpp", "RNOKPP must be 10 digits with a valid check digit", {
      field: "rnokpp",
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
    .where(p.bin ? { bin: p.bin } : p.edrpou ? { edrpou: p.edrpou } : { rnokpp: p.rnokpp! })
    .first("id");
  if (dup) throw new ConflictError("organization_exists", "An organization with this identifier is already registered");
  const now = nowIso(ctx);
  const id = ids.id ?? randomUUID();
  const rootId = ids.rootId ?? randomUUID();
  await ctx.tx("organizations").insert({
    id,
    name: p.name,
    search_name: searchFold(p.name),
    country: p.country,
    bin: p.bin ?? null,
    edrpou: p.edrpou ?? null,
    rnokpp: p.rnokpp ?? null,
    kind: p.kind ?? "legal_entity",
    time_zone: p.timeZone ?? null,
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
      rnokpp: p.rnokpp ?? null,
      kind: p.kind ?? "legal_entity",
      external: p.external ?? false,
    },
  });
  return (await organizationById(ctx.tx, id))!;
}

/** The organization, or 404 when it does not exist — and an audited hidden refusal when the actor may not see it. */
export async function readableOrganization(tx: Tx, actor: Actor, id: string) {
  const found = await organizationById(tx, id);
  if (!found) throw notFound();
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
  if (!found) throw notFound();
  const res = organizationResource(found);
  authorize(ctx.actor, action, res, can(ctx.actor, "organization.read", res));
  return found;
}

export async function organizationUpdater(
  ctx: CommandContext,
  p: { id: string; name?: string; totpRequired?: boolean; timeZone?: string | null },
) {
  const found = await organizationFor(ctx, p.id, "organization.update");
  const changes: Record<string, unknown> = {};
  if (p.timeZone !== undefined) changes.time_zone = p.timeZone;
  if (p.name !== undefined) Object.assign(changes, { name: p.name, search_name: searchFold(p.name) });
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
    throw new StateConflictError(`already_${status}` as const, `Organization is already ${status}`, { status });
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
