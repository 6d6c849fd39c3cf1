// Powers of attorney (SPEC R1.6): the head delegates signing for the organization to an employee,
// for chosen document kinds, in a branch and its subtree, for a period. The head signs the power
// of attorney itself — a detached CMS over its canonical body, checked like any signature (chain,
// validity, revocation) and made with his first-head certificate of this organization. It can be
// revoked (by the head or an organization administrator, e.g. on dismissal). Every step audited.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { ConflictError, NotFoundError, StateConflictError, ValidationError, notFound } from "../../errors.js";
import { verifyDetachedCms } from "../../pki/cms.js";
import type { Tx } from "../../storage/db.js";
import { audit, nowIso, type CommandContext } from "../context.js";
import { sha256 } from "../identity/secrets.js";
import { authorize, can } from "../identity/policy.js";
import type { Actor } from "../identity/roles.js";
import { branchById, branchWithOrganization, userById } from "../identity/queries.js";
import { KINDS, type Kind } from "../shared/kinds.js";
import {
  assertAcceptable,
  cmsValidator,
  withParty,
  type CertificateServices,
  type ValidationReport,
} from "../signatures/validation.js";

export const PowerOfAttorneyInput = z.strictObject({
  attorneyUserId: z.uuid(),
  /** the branch whose subtree it covers; the head office (whole organization) when absent */
  branchId: z.uuid().optional(),
  kinds: z.array(z.enum(KINDS)).min(1).max(KINDS.length),
  validFrom: z.iso.datetime({ offset: true }),
  validTo: z.iso.datetime({ offset: true }),
});
export type PowerOfAttorneyInput = z.infer<typeof PowerOfAttorneyInput>;

export interface PowerOfAttorneyRow {
  id: string;
  organization_id: string;
  branch_id: string;
  grantor_user_id: string;
  attorney_user_id: string;
  attorney_iin: string;
  kinds: string;
  valid_from: string;
  valid_to: string;
  status: "active" | "revoked";
  body: string;
  cms: Buffer;
  validation: string;
  created_at: string;
  revoked_at: string | null;
  revoked_by: string | null;
  revocation_reason: string | null;
}

/** Everything the body names, read and checked: the organization, the branch, the grantor and the attorney. */
async function parties(ctx: CommandContext, organizationId: string, input: PowerOfAttorneyInput) {
  const found = await branchWithOrganization(ctx.tx, { organizationId, branchId: input.branchId ?? null });
  if (!found || found.org.external) throw notFound();
  // 403 only to who may see the organization; to anyone else it does not exist (SPEC R7.2)
  authorize(
    ctx.actor,
    "poa.create",
    { type: "branch", id: found.branch.id, organizationId, path: found.branch.path },
    can(ctx.actor, "organization.read", { type: "organization", id: organizationId, rootPath: "", external: false }),
  );
  const [grantor, attorney] = await Promise.all([
    userById(ctx.tx, ctx.actor.userId ?? ""),
    userById(ctx.tx, input.attorneyUserId),
  ]);
  if (!grantor?.iin)
    throw new ValidationError("grantor_iin_missing", "The head needs an IIN on file to give a power of attorney");
  if (!attorney || attorney.status !== "active")
    throw new NotFoundError("attorney_not_found", "No active user with this id");
  if (!attorney.iin)
    throw new ValidationError(
      "attorney_iin_missing",
      "The attorney needs an IIN on file: his certificate is matched by it",
    );
  const from = Date.parse(input.validFrom);
  const to = Date.parse(input.validTo);
  if (!(to > from)) throw new ValidationError("validity_invalid", "validTo must be after validFrom");
  if (to < ctx.clock.now().getTime())
    throw new ValidationError("validity_invalid", "The power of attorney would already have expired");
  return { org: found.org, branch: found.branch, grantor, attorney };
}

/**
 * The canonical body the head signs: everything the power of attorney grants, in a fixed order.
 * The same input always gives the same bytes, so the client can ask for it, sign it, and send the
 * signature with the input.
 */
export async function powerOfAttorneyBody(
  ctx: CommandContext,
  organizationId: string,
  input: PowerOfAttorneyInput,
): Promise<string> {
  const { org, branch, grantor, attorney } = await parties(ctx, organizationId, input);
  return JSON.stringify({
    format: "qujat.power-of-attorney/1",
    organization: { id: org.id, name: org.name, bin: org.bin, edrpou: org.edrpou },
    branch: { id: branch.id, name: branch.name },
    grantor: { userId: grantor.id, name: grantor.full_name, iin: grantor.iin },
    attorney: { userId: attorney.id, name: attorney.full_name, iin: attorney.iin },
    kinds: [...new Set(input.kinds)].sort(),
    validFrom: new Date(input.validFrom).toISOString(),
    validTo: new Date(input.validTo).toISOString(),
  });
}

/** Before the transaction: the body, and the head's CMS over it checked (chain, validity, revocation). */
export async function powerOfAttorneyPreparer(
  ctx: CommandContext,
  p: { organizationId: string; input: PowerOfAttorneyInput; cms: Buffer; pki: CertificateServices },
) {
  const body = await powerOfAttorneyBody(ctx, p.organizationId, p.input);
  const bytes = Buffer.from(body);
  const check = await verifyDetachedCms(p.cms, { sha256: sha256(bytes), read: async () => bytes });
  return { body, report: await cmsValidator(p.pki, check, ctx.clock.now()) };
}

export async function powerOfAttorneyCreator(
  ctx: CommandContext,
  p: {
    organizationId: string;
    input: PowerOfAttorneyInput;
    cms: Buffer;
    prepared: { body: string; report: ValidationReport };
  },
): Promise<PowerOfAttorneyRow> {
  const body = await powerOfAttorneyBody(ctx, p.organizationId, p.input);
  if (body !== p.prepared.body)
    throw new ConflictError(
      "power_of_attorney_changed",
      "Its parties changed while the signature was checked; ask for the body again",
    );
  const parsed = JSON.parse(body);
  const report = withParty(p.prepared.report, {
    iin: parsed.grantor.iin,
    organization: parsed.organization,
    kind: "contract",
    act: "delegate",
  });
  assertAcceptable(report);
  const row: PowerOfAttorneyRow = {
    id: randomUUID(),
    organization_id: parsed.organization.id,
    branch_id: parsed.branch.id,
    grantor_user_id: parsed.grantor.userId,
    attorney_user_id: parsed.attorney.userId,
    attorney_iin: parsed.attorney.iin,
    kinds: JSON.stringify(parsed.kinds),
    valid_from: parsed.validFrom,
    valid_to: parsed.validTo,
    status: "active",
    body,
    cms: p.cms,
    validation: JSON.stringify(report),
    created_at: nowIso(ctx),
    revoked_at: null,
    revoked_by: null,
    revocation_reason: null,
  };
  await ctx.tx("powers_of_attorney").insert(row);
  await audit(ctx, {
    action: "poa.create",
    target: { type: "power_of_attorney", id: row.id },
    organizationId: row.organization_id,
    details: {
      attorney: parsed.attorney,
      branch: parsed.branch,
      kinds: parsed.kinds,
      validFrom: row.valid_from,
      validTo: row.valid_to,
      signer: report.certificate.subject,
    },
  });
  return row;
}

export async function powerOfAttorneyRevoker(
  ctx: CommandContext,
  p: { id: string; reason: string },
): Promise<PowerOfAttorneyRow> {
  const row: PowerOfAttorneyRow | undefined = await ctx.tx("powers_of_attorney").where({ id: p.id }).first();
  if (!row) throw notFound();
  const branch = (await branchById(ctx.tx, row.branch_id))!;
  authorize(ctx.actor, "poa.revoke", {
    type: "branch",
    id: row.branch_id,
    organizationId: row.organization_id,
    path: branch.path,
  });
  if (row.status === "revoked")
    throw new StateConflictError("already_revoked", "The power of attorney is already revoked", {
      revokedAt: row.revoked_at,
    });
  const set = {
    status: "revoked" as const,
    revoked_at: nowIso(ctx),
    revoked_by: ctx.actor.id,
    revocation_reason: p.reason,
  };
  await ctx.tx("powers_of_attorney").where({ id: p.id }).update(set);
  await audit(ctx, {
    action: "poa.revoke",
    target: { type: "power_of_attorney", id: p.id },
    organizationId: row.organization_id,
    details: { reason: p.reason },
  });
  return { ...row, ...set };
}

/** The attorney's valid power of attorney for this kind at this branch now, if any (checked at signing). */
export async function powerOfAttorneyFor(
  db: Tx,
  p: { organizationId: string; userId: string; iin: string; kind: Kind; branchPath: string; at: string },
) {
  const rows: Array<PowerOfAttorneyRow & { path: string; grantor_name: string }> = await db("powers_of_attorney as a")
    .join("branches as b", "b.id", "a.branch_id")
    .join("users as u", "u.id", "a.grantor_user_id")
    .where({
      "a.organization_id": p.organizationId,
      "a.attorney_user_id": p.userId,
      "a.attorney_iin": p.iin,
      "a.status": "active",
    })
    .where("a.valid_from", "<=", p.at)
    .where("a.valid_to", ">=", p.at)
    .select("a.*", "b.path", "u.full_name as grantor_name");
  const ok = rows.find((r) => (JSON.parse(r.kinds) as string[]).includes(p.kind) && p.branchPath.startsWith(r.path));
  return ok ? { id: ok.id, grantor: ok.grantor_name, validTo: ok.valid_to } : null;
}

export const presentPowerOfAttorney = (r: PowerOfAttorneyRow) => {
  const body = JSON.parse(r.body);
  return {
    id: r.id,
    organizationId: r.organization_id,
    branch: body.branch,
    grantor: body.grantor,
    attorney: body.attorney,
    kinds: body.kinds,
    validFrom: r.valid_from,
    validTo: r.valid_to,
    status: r.status,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    revokedBy: r.revoked_by,
    revocationReason: r.revocation_reason,
    body: r.body,
    cms: Buffer.from(r.cms).toString("base64"),
    validation: JSON.parse(r.validation).checks,
  };
};

/** An organization's powers of attorney the actor may read (his own, or poa.read on their branch), newest first. */
export async function powersOfAttorneyVisibleTo(
  db: Tx,
  actor: Actor,
  organizationId: string,
  f: { status?: "active" | "revoked"; attorneyUserId?: string },
): Promise<Array<PowerOfAttorneyRow & { path: string }>> {
  const q = db("powers_of_attorney as a")
    .join("branches as b", "b.id", "a.branch_id")
    .where("a.organization_id", organizationId)
    .select("a.*", "b.path")
    .orderBy("a.created_at", "desc");
  if (f.status) q.where("a.status", f.status);
  if (f.attorneyUserId) q.where("a.attorney_user_id", f.attorneyUserId);
  const rows: Array<PowerOfAttorneyRow & { path: string }> = await q;
  return rows.filter((r) => visiblePowerOfAttorney(actor, r));
}

const visiblePowerOfAttorney = (actor: Actor, r: PowerOfAttorneyRow & { path: string }) =>
  r.attorney_user_id === actor.userId ||
  can(actor, "poa.read", { type: "branch", id: r.branch_id, organizationId: r.organization_id, path: r.path });

/** One power of attorney the actor may read, or 404. */
export async function readablePowerOfAttorney(
  db: Tx,
  actor: Actor,
  id: string,
): Promise<PowerOfAttorneyRow & { path: string }> {
  const row: (PowerOfAttorneyRow & { path: string }) | undefined = await db("powers_of_attorney as a")
    .join("branches as b", "b.id", "a.branch_id")
    .where("a.id", id)
    .first("a.*", "b.path");
  if (!row || !visiblePowerOfAttorney(actor, row)) throw notFound();
  return row;
}
