// People and their roles (SPEC R1.2): creating users with grants at a branch (the plan's seat check
// passed in by the caller, billing being above identity), updating them, disabling them, granting and
// revoking roles. Each command authorizes through the policy and audits in the caller's transaction.
import { randomUUID } from "node:crypto";
import { ConflictError, ValidationError, notFound, StateConflictError } from "../../errors.js";
import type { Tx } from "../../storage/db.js";
import { audit, nowIso, type CommandContext } from "../context.js";
import { isValidIin, isValidRnokpp } from "./ids.js";
import { authorize, can } from "./policy.js";
import { branchById, branchResource, grantsOf, userResource, type GrantRow, type UserRow } from "./queries.js";
import { isApplianceRole, type Role } from "./roles.js";

import { readableOrganization } from "./organizations.js";
import { assertPasswordAcceptable, passwordSetter } from "./passwords.js";
import { sessionsRevoker } from "./sessionRevoker.js";
export interface GrantSpec {
  role: Role;
  organizationId?: string | null;
  branchId?: string | null;
}

/**
 * Whether a user may take a seat in an organization's branch: the plan's user quota (SPEC R4.1),
 * which billing owns. Identity is below billing, so whoever grants an organization role passes it in.
 */
export type SeatCheck = (tx: Tx, organizationId: string, branchPath: string, userId: string) => Promise<void>;

/** For grants of appliance-wide roles only, which take no seat. */
export const applianceRolesOnly: SeatCheck = async () => {
  throw new Error("an organization role was granted without the plan's seat check");
};

/** Resolves where a grant applies; an organization grant without a branch applies at the head office. */
export async function resolveGrant(ctx: CommandContext, g: GrantSpec) {
  if (isApplianceRole(g.role)) {
    if (g.organizationId || g.branchId)
      throw new ValidationError(
        "appliance_role_unscoped",
        `${g.role} is appliance-wide and takes no organization or branch`,
        { field: "role" },
      );
    return { role: g.role, organizationId: null, branchId: null, path: null };
  }
  if (!g.organizationId)
    throw new ValidationError("organization_required", `${g.role} needs an organization`, { field: "organizationId" });
  const org = await readableOrganization(ctx.tx, ctx.actor, g.organizationId);
  const branch = g.branchId ? await branchById(ctx.tx, g.branchId) : org.root;
  if (!branch || branch.organization_id !== org.org.id) throw notFound();
  authorize(ctx.actor, "branch.read", branchResource(branch), false);
  return { role: g.role, organizationId: org.org.id, branchId: branch.id, path: branch.path };
}

async function insertGrant(
  ctx: CommandContext,
  userId: string,
  g: Awaited<ReturnType<typeof resolveGrant>>,
  seats: SeatCheck,
) {
  const dup = await ctx
    .tx("role_grants")
    .where({ user_id: userId, role: g.role, organization_id: g.organizationId, branch_id: g.branchId })
    .first("id");
  if (dup) throw new ConflictError("grant_exists", "The user already holds this role there");
  if (g.organizationId && g.path) await seats(ctx.tx, g.organizationId, g.path, userId);
  const id = randomUUID();
  await ctx.tx("role_grants").insert({
    id,
    user_id: userId,
    role: g.role,
    organization_id: g.organizationId,
    branch_id: g.branchId,
    granted_by: ctx.actor.id,
    created_at: nowIso(ctx),
  });
  await audit(ctx, {
    action: "role.grant",
    target: { type: "user", id: userId },
    organizationId: g.organizationId,
    details: { grantId: id, role: g.role, branchId: g.branchId },
  });
  return id;
}

export interface UserCreateProps {
  login: string;
  email: string;
  fullName: string;
  iin?: string;
  /** a Ukrainian user's RNOKPP, as an IIN identifies a Kazakh one */
  rnokpp?: string;
  language?: string;
  password: string;
  roles: GrantSpec[];
}

/** A person's national identifiers as given: each with its check digit (SPEC R1.2). */
function checkPersonIds(p: { iin?: string | null; rnokpp?: string | null }) {
  if (p.iin && !isValidIin(p.iin))
    throw new ValidationError("invalid_iin", "IIN must be 12 digits with a valid check digit", { field: "iin" });
  if (p.rnokpp && !isValidRnokpp(p.rnokpp))
    throw new ValidationError("invalid_rnokpp", "RNOKPP must be 10 digits with a valid check digit", {
      field: "rnokpp",
    });
}

export async function userCreator(ctx: CommandContext, p: UserCreateProps, seats: SeatCheck) {
  checkPersonIds(p);
  const resolved = [];
  for (const g of p.roles) {
    const r = await resolveGrant(ctx, g);
    authorize(ctx.actor, "role.grant", { type: "grant", role: r.role, organizationId: r.organizationId, path: r.path });
    resolved.push(r);
  }
  // An organization administrator must place the new user inside his subtree, or he could not see him again.
  if (resolved.length === 0) authorize(ctx.actor, "user.create", { type: "appliance" });
  // Bad input is named before any conflict, so the answer does not depend on who else exists.
  await assertPasswordAcceptable(ctx, p.password, p);
  if (await ctx.tx("users").whereRaw("lower(login) = ?", [p.login.toLowerCase()]).first("id"))
    throw new ConflictError("login_taken", "This login is taken", { field: "login" });
  if (p.iin && (await ctx.tx("users").where({ iin: p.iin }).first("id")))
    throw new ConflictError("iin_taken", "A user with this IIN exists", { field: "iin" });
  if (p.rnokpp && (await ctx.tx("users").where({ rnokpp: p.rnokpp }).first("id")))
    throw new ConflictError("rnokpp_taken", "A user with this RNOKPP exists", { field: "rnokpp" });
  const id = randomUUID();
  const now = nowIso(ctx);
  await ctx.tx("users").insert({
    id,
    login: p.login,
    iin: p.iin ?? null,
    rnokpp: p.rnokpp ?? null,
    email: p.email,
    full_name: p.fullName,
    status: "active",
    language: p.language ?? ctx.config.mail.defaultLanguage,
    password_hash: null,
    totp_enabled: false,
    created_at: now,
    updated_at: now,
  });
  await passwordSetter(ctx, { id, login: p.login, iin: p.iin ?? null }, p.password);
  await audit(ctx, {
    action: "user.create",
    target: { type: "user", id },
    organizationId: resolved[0]?.organizationId ?? null,
    details: { login: p.login, email: p.email },
  });
  for (const r of resolved) await insertGrant(ctx, id, r, seats);
  return loadUser(ctx, id);
}

export async function loadUser(
  ctx: { tx: CommandContext["tx"] },
  id: string,
): Promise<{ user: UserRow; grants: GrantRow[] }> {
  const user = (await ctx.tx("users").where({ id }).first()) as UserRow;
  return { user, grants: await grantsOf(ctx.tx, [id]) };
}

async function visibleUser(ctx: CommandContext, id: string) {
  const found = await userResource(ctx.tx, id);
  if (!found) throw notFound();
  return { ...found, visible: can(ctx.actor, "user.read", found.resource) };
}

export async function userUpdater(
  ctx: CommandContext,
  p: {
    id: string;
    email?: string;
    fullName?: string;
    iin?: string | null;
    rnokpp?: string | null;
    password?: string;
  },
) {
  const { user, resource, visible } = await visibleUser(ctx, p.id);
  authorize(ctx.actor, "user.update", resource, visible);
  checkPersonIds(p);
  if (p.iin && p.iin !== user.iin && (await ctx.tx("users").where({ iin: p.iin }).first("id")))
    throw new ConflictError("iin_taken", "A user with this IIN exists", { field: "iin" });
  if (p.rnokpp && p.rnokpp !== user.rnokpp && (await ctx.tx("users").where({ rnokpp: p.rnokpp }).first("id")))
    throw new ConflictError("rnokpp_taken", "A user with this RNOKPP exists", { field: "rnokpp" });
  const changes: Record<string, unknown> = {};
  if (p.email !== undefined) changes.email = p.email;
  if (p.rnokpp !== undefined) changes.rnokpp = p.rnokpp;
  if (p.fullName !== undefined) changes.full_name = p.fullName;
  if (p.iin !== undefined) changes.iin = p.iin;
  if (Object.keys(changes).length)
    await ctx
      .tx("users")
      .where({ id: p.id })
      .update({ ...changes, updated_at: nowIso(ctx) });
  if (p.password !== undefined) {
    await passwordSetter(
      ctx,
      { id: user.id, login: user.login, iin: (p.iin !== undefined ? p.iin : user.iin) ?? null },
      p.password,
    );
    await sessionsRevoker(ctx, { userId: user.id, reason: "password_reset" });
  }
  await audit(ctx, {
    action: "user.update",
    target: { type: "user", id: p.id },
    details: {
      fields: Object.keys(p).filter((k) => k !== "id" && k !== "password"),
      passwordReset: p.password !== undefined,
    },
  });
  return loadUser(ctx, p.id);
}

/** SPEC R5.6: a person corrects his own profile. */
export async function ownProfileUpdater(
  ctx: CommandContext,
  p: { email?: string; fullName?: string; language?: string },
) {
  const id = ctx.actor.userId!;
  const changes: Record<string, unknown> = {};
  if (p.email !== undefined) changes.email = p.email;
  if (p.fullName !== undefined) changes.full_name = p.fullName;
  if (p.language !== undefined) changes.language = p.language;
  if (Object.keys(changes).length)
    await ctx
      .tx("users")
      .where({ id })
      .update({ ...changes, updated_at: nowIso(ctx) });
  await audit(ctx, { action: "user.update_own", target: { type: "user", id }, details: { fields: Object.keys(p) } });
  return loadUser(ctx, id);
}

export async function userStatusSetter(
  ctx: CommandContext,
  p: { id: string; status: "active" | "disabled"; reason?: string },
) {
  const { user, resource, visible } = await visibleUser(ctx, p.id);
  authorize(ctx.actor, "user.disable", resource, visible);
  if (user.id === ctx.actor.userId) throw new StateConflictError("self_disable", "You cannot disable your own account");
  if (user.status === p.status)
    throw new StateConflictError(`already_${p.status}` as const, `User is already ${p.status}`, { status: p.status });
  await ctx
    .tx("users")
    .where({ id: p.id })
    .update({ status: p.status, updated_at: nowIso(ctx) });
  if (p.status === "disabled") await sessionsRevoker(ctx, { userId: p.id, reason: "user_disabled" });
  await audit(ctx, {
    action: p.status === "disabled" ? "user.disable" : "user.enable",
    target: { type: "user", id: p.id },
    details: { reason: p.reason ?? null },
  });
  return loadUser(ctx, p.id);
}

export async function roleGranter(ctx: CommandContext, p: { userId: string } & GrantSpec, seats: SeatCheck) {
  const { resource, visible } = await visibleUser(ctx, p.userId);
  if (!visible) authorize(ctx.actor, "user.read", resource, false);
  const r = await resolveGrant(ctx, p);
  authorize(ctx.actor, "role.grant", { type: "grant", role: r.role, organizationId: r.organizationId, path: r.path });
  const id = await insertGrant(ctx, p.userId, r, seats);
  return (await grantsOf(ctx.tx, [p.userId])).find((g) => g.id === id)!;
}

export async function roleRevoker(ctx: CommandContext, p: { userId: string; grantId: string }) {
  const { resource, visible } = await visibleUser(ctx, p.userId);
  if (!visible) authorize(ctx.actor, "user.read", resource, false);
  const grant = (await grantsOf(ctx.tx, [p.userId])).find((g) => g.id === p.grantId);
  if (!grant) throw notFound();
  authorize(ctx.actor, "role.revoke", {
    type: "grant",
    role: grant.role,
    organizationId: grant.organization_id,
    path: grant.path,
  });
  if (grant.role === "system_admin") {
    const others = await ctx
      .tx("role_grants as g")
      .join("users as u", "u.id", "g.user_id")
      .where({ "g.role": "system_admin", "u.status": "active" })
      .whereNot("g.id", grant.id)
      .first("g.id");
    if (!others)
      throw new StateConflictError("last_system_admin", "The last active system administrator cannot be removed");
  }
  await ctx.tx("role_grants").where({ id: grant.id }).delete();
  await audit(ctx, {
    action: "role.revoke",
    target: { type: "user", id: p.userId },
    organizationId: grant.organization_id,
    details: { grantId: grant.id, role: grant.role, branchId: grant.branch_id },
  });
}
