// Writes for participants, users, role grants and API tokens. Each runs in the caller's
// transaction, authorizes through the policy, and writes its audit entry in that transaction.
import { randomUUID } from "node:crypto";
import { ConflictError, ValidationError, notFound, StateConflictError } from "../../errors.js";
import type { Tx } from "../../storage/db.js";
import { audit, nowIso, type CommandContext } from "../context.js";
import { isValidBin, isValidEdrpou, isValidIin } from "./ids.js";
import { authorize, can } from "./policy.js";
import {
  branchById,
  branchResource,
  branchesOf,
  grantsOf,
  organizationById,
  organizationResource,
  userResource,
  type BranchRow,
  type GrantRow,
  type UserRow,
} from "./queries.js";
import { isApplianceRole, TOKEN_ROLES, type Actor, type Role } from "./roles.js";
import { hashPassword, newToken, passwordProblems, sha256, verifyPassword } from "./secrets.js";

// ---------- organizations and branches ----------

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

async function visibleBranch(ctx: CommandContext, id: string) {
  const b = await branchById(ctx.tx, id);
  if (!b) throw notFound("Branch");
  const res = branchResource(b);
  return { b, res, visible: can(ctx.actor, "branch.read", res) };
}

export async function branchCreator(
  ctx: CommandContext,
  p: { organizationId: string; parentId: string; name: string },
) {
  const { b: parent, res, visible } = await visibleBranch(ctx, p.parentId);
  if (parent.organization_id !== p.organizationId) throw notFound("Branch");
  authorize(ctx.actor, "branch.create", res, visible);
  const id = randomUUID();
  const now = nowIso(ctx);
  await ctx.tx("branches").insert({
    id,
    organization_id: p.organizationId,
    parent_id: parent.id,
    name: p.name,
    path: `${parent.path}${id}/`,
    status: "active",
    block_reason: null,
    created_at: now,
    updated_at: now,
  });
  await audit(ctx, {
    action: "branch.create",
    target: { type: "branch", id },
    organizationId: p.organizationId,
    details: { name: p.name, parentId: parent.id },
  });
  return (await branchById(ctx.tx, id))!;
}

export async function branchUpdater(ctx: CommandContext, p: { id: string; name?: string; parentId?: string }) {
  const { b, res, visible } = await visibleBranch(ctx, p.id);
  authorize(ctx.actor, "branch.update", res, visible);
  const now = nowIso(ctx);
  if (p.name !== undefined) await ctx.tx("branches").where({ id: b.id }).update({ name: p.name, updated_at: now });
  if (p.parentId !== undefined && p.parentId !== b.parent_id) {
    if (b.parent_id === null)
      throw new StateConflictError("head_office_fixed", "The head office is the root of the tree and cannot be moved");
    const { b: target, res: targetRes, visible: targetVisible } = await visibleBranch(ctx, p.parentId);
    if (target.organization_id !== b.organization_id)
      throw new ValidationError("other_organization", "A branch can only move within its organization", {
        field: "parentId",
      });
    authorize(ctx.actor, "branch.update", targetRes, targetVisible);
    if (target.path.startsWith(b.path))
      throw new StateConflictError("cycle", "A branch cannot move under itself or its own sub-branch");
    const newPath = `${target.path}${b.id}/`;
    const subtree: BranchRow[] = await ctx.tx("branches").where("path", "like", `${b.path}%`);
    for (const s of subtree) {
      await ctx
        .tx("branches")
        .where({ id: s.id })
        .update({ path: newPath + s.path.slice(b.path.length), updated_at: now });
    }
    await ctx.tx("branches").where({ id: b.id }).update({ parent_id: target.id });
  }
  await audit(ctx, {
    action: "branch.update",
    target: { type: "branch", id: b.id },
    organizationId: b.organization_id,
    details: { before: { name: b.name, parentId: b.parent_id }, changes: { name: p.name, parentId: p.parentId } },
  });
  return (await branchById(ctx.tx, b.id))!;
}

export async function branchBlocker(ctx: CommandContext, p: { id: string; blocked: boolean; reason?: string }) {
  const { b, res, visible } = await visibleBranch(ctx, p.id);
  authorize(ctx.actor, "branch.block", res, visible);
  const status = p.blocked ? "blocked" : "active";
  if (b.status === status) throw new StateConflictError("already_" + status, `Branch is already ${status}`, { status });
  await ctx
    .tx("branches")
    .where({ id: b.id })
    .update({ status, block_reason: p.blocked ? p.reason : null, updated_at: nowIso(ctx) });
  await audit(ctx, {
    action: p.blocked ? "branch.block" : "branch.unblock",
    target: { type: "branch", id: b.id },
    organizationId: b.organization_id,
    details: { reason: p.reason ?? null },
  });
  return (await branchById(ctx.tx, b.id))!;
}

// ---------- users ----------

export async function assertPasswordAcceptable(
  ctx: CommandContext,
  password: string,
  user: { id?: string; login: string; iin?: string | null },
) {
  const problems = passwordProblems(password, ctx.config.auth.passwordMinLength, [user.login, user.iin]);
  if (user.id && ctx.config.auth.passwordHistory > 0) {
    const recent: Array<{ password_hash: string }> = await ctx
      .tx("password_history")
      .where({ user_id: user.id })
      .orderBy("id", "desc")
      .limit(ctx.config.auth.passwordHistory);
    for (const r of recent)
      if (await verifyPassword(r.password_hash, password)) {
        problems.push("recently_used");
        break;
      }
  }
  if (problems.length)
    throw new ValidationError("password_policy", "The password does not meet the password policy", {
      field: "password",
      rules: problems,
    });
}

export async function passwordSetter(
  ctx: CommandContext,
  user: { id: string; login: string; iin: string | null },
  password: string,
) {
  await assertPasswordAcceptable(ctx, password, user);
  const hash = await hashPassword(password, ctx.config.auth.argon2);
  const now = nowIso(ctx);
  await ctx
    .tx("users")
    .where({ id: user.id })
    .update({ password_hash: hash, password_changed_at: now, updated_at: now });
  await ctx.tx("password_history").insert({ user_id: user.id, password_hash: hash, created_at: now });
}

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
async function resolveGrant(ctx: CommandContext, g: GrantSpec) {
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
  if (!branch || branch.organization_id !== org.org.id) throw notFound("Branch");
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
  language?: string;
  password: string;
  roles: GrantSpec[];
}

export async function userCreator(ctx: CommandContext, p: UserCreateProps, seats: SeatCheck) {
  if (p.iin && !isValidIin(p.iin))
    throw new ValidationError("invalid_iin", "IIN must be 12 digits with a valid check digit", { field: "iin" });
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
  const id = randomUUID();
  const now = nowIso(ctx);
  await ctx.tx("users").insert({
    id,
    login: p.login,
    iin: p.iin ?? null,
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
  if (!found) throw notFound("User");
  return { ...found, visible: can(ctx.actor, "user.read", found.resource) };
}

export async function userUpdater(
  ctx: CommandContext,
  p: { id: string; email?: string; fullName?: string; iin?: string | null; password?: string },
) {
  const { user, resource, visible } = await visibleUser(ctx, p.id);
  authorize(ctx.actor, "user.update", resource, visible);
  if (p.iin && !isValidIin(p.iin))
    throw new ValidationError("invalid_iin", "IIN must be 12 digits with a valid check digit", { field: "iin" });
  if (p.iin && p.iin !== user.iin && (await ctx.tx("users").where({ iin: p.iin }).first("id")))
    throw new ConflictError("iin_taken", "A user with this IIN exists", { field: "iin" });
  const changes: Record<string, unknown> = {};
  if (p.email !== undefined) changes.email = p.email;
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
    throw new StateConflictError("already_" + p.status, `User is already ${p.status}`, { status: p.status });
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
  if (!grant) throw notFound("Role grant");
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

// ---------- sessions (shared with auth) ----------

export async function sessionsRevoker(
  ctx: CommandContext,
  p: { userId: string; reason: string; exceptSessionId?: string },
) {
  const q = ctx.tx("sessions").where({ user_id: p.userId }).whereNull("revoked_at");
  if (p.exceptSessionId) q.whereNot("id", p.exceptSessionId);
  const ids: string[] = (await q.clone().select("id")).map((r: { id: string }) => r.id);
  if (ids.length)
    await ctx
      .tx("sessions")
      .whereIn("id", ids)
      .update({ revoked_at: nowIso(ctx), revoked_reason: p.reason });
  revokedSessionListeners.forEach((l) => l(ids));
  return ids;
}

/** The auth cache subscribes here so a revocation takes effect at once in this process. */
export const revokedSessionListeners = new Set<(sessionIds: string[]) => void>();

// ---------- API tokens ----------

export async function apiTokenCreator(
  ctx: CommandContext,
  p: { name: string; organizationId: string; branchId?: string; role: Role; expiresAt?: string },
) {
  if (!(TOKEN_ROLES as readonly string[]).includes(p.role))
    throw new ValidationError("role_not_for_tokens", `An API token may hold one of: ${TOKEN_ROLES.join(", ")}`, {
      field: "role",
    });
  const r = await resolveGrant(ctx, { role: p.role, organizationId: p.organizationId, branchId: p.branchId });
  authorize(ctx.actor, "api_token.manage", { type: "api_token", organizationId: r.organizationId!, path: r.path! });
  if (p.expiresAt && p.expiresAt <= nowIso(ctx))
    throw new ValidationError("expiry_in_past", "expiresAt must be in the future", { field: "expiresAt" });
  const token = newToken("qjt_");
  const id = randomUUID();
  await ctx.tx("api_tokens").insert({
    id,
    name: p.name,
    token_hash: sha256(token),
    prefix: token.slice(0, 10),
    organization_id: r.organizationId,
    branch_id: r.branchId,
    role: r.role,
    created_by: ctx.actor.id,
    created_at: nowIso(ctx),
    expires_at: p.expiresAt ?? null,
  });
  await audit(ctx, {
    action: "api_token.create",
    target: { type: "api_token", id },
    organizationId: r.organizationId,
    details: { name: p.name, role: r.role, branchId: r.branchId },
  });
  return { token, row: await ctx.tx("api_tokens").where({ id }).first() };
}

export async function apiTokenRevoker(ctx: CommandContext, p: { id: string }) {
  const row = await ctx
    .tx("api_tokens as t")
    .join("branches as b", "b.id", "t.branch_id")
    .where("t.id", p.id)
    .first("t.*", "b.path");
  if (!row) throw notFound("API token");
  const res = { type: "api_token" as const, id: row.id, organizationId: row.organization_id, path: row.path };
  authorize(ctx.actor, "api_token.manage", res, can(ctx.actor, "api_token.manage", res));
  if (row.revoked_at) throw new StateConflictError("already_revoked", "The token is already revoked");
  await ctx
    .tx("api_tokens")
    .where({ id: p.id })
    .update({ revoked_at: nowIso(ctx) });
  revokedTokenListeners.forEach((l) => l(p.id));
  await audit(ctx, {
    action: "api_token.revoke",
    target: { type: "api_token", id: p.id },
    organizationId: row.organization_id,
  });
}

export const revokedTokenListeners = new Set<(tokenId: string) => void>();

export async function organizationBranches(ctx: { tx: CommandContext["tx"] }, orgId: string) {
  return branchesOf(ctx.tx, orgId);
}
