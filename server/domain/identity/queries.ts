// Reads for participants, users and grants. Only queries/commands touch Knex.
import type { Knex } from "knex";
import type { Tx } from "../../storage/db.js";
import type { Actor, Grant, Role } from "./roles.js";
import { authorize, can, type BranchScope, type Resource } from "./policy.js";
import { searchFold } from "../shared/text.js";

export interface OrganizationRow {
  id: string;
  name: string;
  /** the name folded for search (shared/text.ts searchFold) */
  search_name?: string | null;
  country: string;
  bin: string | null;
  edrpou: string | null;
  rnokpp: string | null;
  kind: string;
  time_zone?: string | null;
  external: boolean | number;
  status: string;
  block_reason: string | null;
  totp_required: boolean | number;
  created_at: string;
  updated_at: string;
}
export interface BranchRow {
  id: string;
  organization_id: string;
  parent_id: string | null;
  name: string;
  path: string;
  status: string;
  block_reason: string | null;
  created_at: string;
  updated_at: string;
}
export interface UserRow {
  id: string;
  login: string;
  iin: string | null;
  rnokpp: string | null;
  email: string;
  full_name: string;
  status: string;
  password_hash: string | null;
  password_changed_at: string | null;
  totp_secret: string | null;
  totp_enabled: boolean | number;
  pending_totp_secret: string | null;
  last_login_at: string | null;
  created_at: string;
  updated_at: string;
  language: string;
  // privacy (SPEC R5.6)
  notifications_consent: boolean | number;
  inactivity_warned_at: string | null;
  inactivity_reset_at: string | null;
  removal_pending_since: string | null;
  pseudonymized_at: string | null;
  pseudonymized_reason: string | null;
}
export interface GrantRow {
  id: string;
  user_id: string;
  role: Role;
  organization_id: string | null;
  branch_id: string | null;
  path: string | null;
  created_at: string;
  granted_by: string | null;
}

export async function organizationById(db: Tx, id: string) {
  const org: OrganizationRow | undefined = await db("organizations").where({ id }).first();
  if (!org) return null;
  const root: BranchRow = (await db("branches").where({ organization_id: id }).whereNull("parent_id").first())!;
  return { org, root };
}

const ORG_COLUMNS = [
  "id",
  "name",
  "country",
  "bin",
  "edrpou",
  "rnokpp",
  "kind",
  "time_zone",
  "external",
  "status",
  "block_reason",
  "totp_required",
  "created_at",
  "updated_at",
] as const;

/**
 * A branch with its organization in one query: the branch named, or the organization's head office
 * when `branchId` is null. Registration asks this twice per document, so one round trip each.
 */
export async function branchWithOrganization(
  db: Tx,
  where: { branchId: string } | { organizationId: string; branchId: string | null },
) {
  const q = db("branches as b")
    .join("organizations as o", "o.id", "b.organization_id")
    .select("b.*", ...ORG_COLUMNS.map((c) => `o.${c} as o_${c}`));
  if ("organizationId" in where) {
    q.where("b.organization_id", where.organizationId);
    if (where.branchId) q.where("b.id", where.branchId);
    else q.whereNull("b.parent_id");
  } else q.where("b.id", where.branchId);
  const row = await q.first();
  if (!row) return null;
  const org = Object.fromEntries(ORG_COLUMNS.map((c) => [c, row[`o_${c}`]])) as unknown as OrganizationRow;
  const branch = Object.fromEntries(Object.entries(row).filter(([k]) => !k.startsWith("o_"))) as unknown as BranchRow;
  return { org, branch };
}

/** Does anyone active hold a role in the organization? (An organization without is invited, not sent to.) */
export async function hasActiveMembers(db: Tx, organizationId: string): Promise<boolean> {
  const row = await db("role_grants as g")
    .join("users as u", "u.id", "g.user_id")
    .where({ "g.organization_id": organizationId, "u.status": "active" })
    .first("u.id");
  return Boolean(row);
}

export const organizationResource = (o: { org: OrganizationRow; root: BranchRow }): Resource => ({
  type: "organization",
  id: o.org.id,
  rootPath: o.root.path,
  external: Boolean(o.org.external),
});

export async function organizationsVisibleTo(
  db: Tx,
  actor: Actor,
  opts: { q?: string; external?: boolean; limit: number; after?: string },
) {
  const q = db("organizations").orderBy("id").limit(opts.limit);
  const applianceWide = actor.type === "system" || actor.grants.some((g) => g.organizationId === null);
  if (!applianceWide) {
    const own = [...new Set(actor.grants.map((g) => g.organizationId!).filter(Boolean))];
    q.where((w) => w.whereIn("id", own).orWhere("external", true));
  }
  if (opts.q) {
    const text = opts.q.trim();
    // A participant is found by any part of its name, in any case and script, or by the start of
    // any of its identifiers (BIN or IIN, EDRPOU, RNOKPP) — SPEC R1.1.
    q.where((w) => {
      w.whereRaw("search_name like ? escape '\\'", [`%${escapeLike(searchFold(text))}%`]);
      if (/^\d{4,12}$/.test(text))
        for (const column of ["bin", "edrpou", "rnokpp"]) w.orWhere(column, "like", `${text}%`);
    });
  }
  if (opts.external !== undefined) q.where("external", opts.external);
  if (opts.after) q.where("id", ">", opts.after);
  return q as Promise<OrganizationRow[]>;
}

/**
 * The counterparty directory (SPEC R2.10, R1.1): participants and external organizations found by
 * any part of the name (folded in every script) or the start of an identifier, never the caller's
 * own ones nor blocked ones. Public facts only: name, country, kind, identifiers.
 */
export async function counterpartySearch(
  db: Tx,
  opts: { q?: string; ids?: string[]; exclude: string[]; limit: number },
): Promise<OrganizationRow[]> {
  const q = db("organizations").whereNot("status", "blocked").orderBy("name").orderBy("id").limit(opts.limit);
  if (opts.exclude.length) q.whereNotIn("id", opts.exclude);
  if (opts.ids) q.whereIn("id", opts.ids);
  const text = opts.q?.trim();
  if (text)
    q.where((w) => {
      w.whereRaw("search_name like ? escape '\\'", [`%${escapeLike(searchFold(text))}%`]);
      if (/^\d{4,12}$/.test(text))
        for (const column of ["bin", "edrpou", "rnokpp"]) w.orWhere(column, "like", `${text}%`);
    });
  return q;
}

export const branchById = (db: Tx, id: string): Promise<BranchRow | undefined> => db("branches").where({ id }).first();
export const branchesOf = (db: Tx, orgId: string): Promise<BranchRow[]> =>
  db("branches").where({ organization_id: orgId }).orderBy("path");

export const branchResource = (b: BranchRow): Resource => ({
  type: "branch",
  id: b.id,
  organizationId: b.organization_id,
  path: b.path,
});

export const userById = (db: Tx, id: string): Promise<UserRow | undefined> => db("users").where({ id }).first();
export const userByLoginOrIin = (db: Tx, login: string): Promise<UserRow | undefined> =>
  db("users").whereRaw("lower(login) = ?", [login.toLowerCase()]).orWhere("iin", login).first();

export async function grantsOf(db: Tx, userIds: string[]): Promise<GrantRow[]> {
  if (userIds.length === 0) return [];
  return db("role_grants as g")
    .leftJoin("branches as b", "b.id", "g.branch_id")
    .whereIn("g.user_id", userIds)
    .orderBy("g.created_at")
    .select(
      "g.id",
      "g.user_id",
      "g.role",
      "g.organization_id",
      "g.branch_id",
      "b.path",
      "g.created_at",
      "g.granted_by",
    );
}

export const toGrant = (r: GrantRow): Grant => ({
  id: r.id,
  role: r.role,
  organizationId: r.organization_id,
  branchId: r.branch_id,
  branchPath: r.path,
});

export async function userResource(db: Tx, id: string): Promise<{ user: UserRow; resource: Resource } | null> {
  const user = await userById(db, id);
  if (!user) return null;
  const grants = (await grantsOf(db, [id])).map(toGrant);
  return { user, resource: { type: "user", id, grants } };
}

/** Users an actor may list: every user for appliance-wide admins/compliance, else those holding a grant inside a subtree the actor administers. */
export async function usersVisibleTo(
  db: Tx,
  actor: Actor,
  opts: { q?: string; limit: number; after?: string; organizationId?: string; applianceWide?: boolean },
) {
  const q = db("users as u").orderBy("u.login").limit(opts.limit).select("u.*");
  // The appliance's own staff: those holding a role with no organization (SPEC R1.2).
  if (opts.applianceWide)
    q.whereExists(
      db("role_grants as ag").whereRaw("ag.user_id = u.id").whereNull("ag.organization_id").select(db.raw("1")),
    );
  const wide =
    actor.type === "system" ||
    actor.grants.some(
      (g) => g.organizationId === null && (g.role === "system_admin" || g.role === "compliance_officer"),
    );
  const adminGrants = actor.grants.filter((g) => g.role === "org_admin" && g.organizationId);
  if (!wide || opts.organizationId) {
    q.where((visible) => {
      visible.whereExists(function () {
        this.select(db.raw("1"))
          .from("role_grants as g")
          .join("branches as b", "b.id", "g.branch_id")
          .whereRaw("g.user_id = u.id");
        if (opts.organizationId) this.where("g.organization_id", opts.organizationId);
        if (!wide) {
          this.where((w) => {
            for (const a of adminGrants)
              w.orWhere((x) =>
                x.where("g.organization_id", a.organizationId!).andWhere("b.path", "like", `${a.branchPath ?? "/"}%`),
              );
            if (adminGrants.length === 0) w.whereRaw("1 = 0");
          });
        }
      });
      if (!wide && !opts.organizationId && actor.userId) visible.orWhere("u.id", actor.userId);
    });
  }
  if (opts.q)
    q.where((w) =>
      w
        .whereRaw("lower(u.login) like ?", [`%${opts.q!.toLowerCase()}%`])
        .orWhereRaw("lower(u.full_name) like ?", [`%${opts.q!.toLowerCase()}%`]),
    );
  if (opts.after) q.where("u.login", ">", opts.after);
  return q as Promise<UserRow[]>;
}

/** Active users holding `role` (in `organizationId`, when given), other than `except`. */
export async function activeHolders(
  db: Tx,
  role: Role,
  o: { organizationId?: string; except?: string } = {},
): Promise<string[]> {
  const q = db("role_grants")
    .join("users", "users.id", "role_grants.user_id")
    .where({ "role_grants.role": role, "users.status": "active" })
    .distinct("role_grants.user_id");
  if (o.organizationId) q.where("role_grants.organization_id", o.organizationId);
  if (o.except) q.whereNot("users.id", o.except);
  return (await q).map((r: { user_id: string }) => r.user_id);
}

export async function hasSystemAdmin(db: Tx): Promise<boolean> {
  const row = await db("role_grants as g")
    .join("users as u", "u.id", "g.user_id")
    .where({ "g.role": "system_admin", "u.status": "active" })
    .first("g.id");
  return Boolean(row);
}

/** One's own sign-in attempts, newest first (GET /me/login-history). */
export function loginHistory(db: Tx, userId: string, p: { limit: number; before?: number }) {
  const q = db("login_events").where({ user_id: userId }).orderBy("id", "desc").limit(p.limit);
  if (p.before) q.where("id", "<", p.before);
  return q;
}

/** Accounts waiting for removal (inactivity or erasure), for the privacy officer. */
export function usersPendingRemoval(
  db: Tx,
): Promise<
  Array<{ id: string; login: string; full_name: string; last_login_at: string | null; removal_pending_since: string }>
> {
  return db("users")
    .whereNotNull("removal_pending_since")
    .select("id", "login", "full_name", "last_login_at", "removal_pending_since");
}

/**
 * The organization's API tokens the actor manages (api_token.manage on their branch), newest first;
 * 403 when it has tokens and he manages none of them.
 */
export async function apiTokensManagedBy(
  db: Tx,
  actor: Actor,
  o: { org: OrganizationRow; root: BranchRow },
): Promise<Array<Record<string, any>>> {
  const rows: Array<Record<string, any> & { organization_id: string; path: string }> = await db("api_tokens as t")
    .join("branches as b", "b.id", "t.branch_id")
    .where("t.organization_id", o.org.id)
    .orderBy("t.created_at", "desc")
    .select("t.*", "b.path");
  const mine = rows.filter((t) =>
    can(actor, "api_token.manage", { type: "api_token", organizationId: t.organization_id, path: t.path }),
  );
  if (rows.length > 0 && mine.length === 0)
    authorize(actor, "api_token.manage", { type: "api_token", organizationId: o.org.id, path: o.root.path });
  return mine;
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => "\\" + c);

/**
 * Adds to a WHERE builder: the row's (organization, branch path) columns lie in `scope` (see
 * BranchScope in policy.ts). Call only with a non-empty list; "all" adds nothing.
 */
export function orWhereInScope(w: Knex.QueryBuilder, scope: BranchScope, orgColumn: string, pathColumn: string): void {
  if (scope === "all") return;
  for (const s of scope) {
    w.orWhere((c) => {
      c.where(orgColumn, s.organizationId);
      if (s.path) c.where(pathColumn, "like", escapeLike(s.path) + "%");
    });
  }
}

/** The organization registered with this BIN or EDRPOU, if any. */
export function organizationByIdentifier(
  db: Tx,
  id: { bin?: string | null; edrpou?: string | null; rnokpp?: string | null },
): Promise<{ id: string } | undefined> {
  return db("organizations")
    .where(id.bin ? { bin: id.bin } : id.edrpou ? { edrpou: id.edrpou } : { rnokpp: id.rnokpp! })
    .first("id");
}

/** The status of each of these users (absent ids are not listed). */
/** Active users holding one of `roles` in organization `orgId`, with the branch each grant is limited to (null: all of it). */
export function activeHoldersIn(
  db: Tx,
  orgId: string,
  roles: readonly Role[],
): Promise<Array<{ id: string; full_name: string; role: Role; branch_path: string | null }>> {
  return db("role_grants as g")
    .join("users as u", "u.id", "g.user_id")
    .leftJoin("branches as b", "b.id", "g.branch_id")
    .where("g.organization_id", orgId)
    .whereIn("g.role", roles as Role[])
    .where("u.status", "active")
    .select("u.id", "u.full_name", "g.role", "b.path as branch_path");
}

/** Organizations' names by id (those that exist). */
export async function organizationNames(db: Tx, ids: string[]): Promise<Map<string, string>> {
  const rows: Array<{ id: string; name: string }> = await db("organizations").whereIn("id", ids).select("id", "name");
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** People's names by id (those that exist). */
export async function userNames(db: Tx, ids: string[]): Promise<Map<string, string>> {
  const rows: Array<{ id: string; full_name: string }> = await db("users").whereIn("id", ids).select("id", "full_name");
  return new Map(rows.map((r) => [r.id, r.full_name]));
}

export function userStatuses(db: Tx, ids: string[]): Promise<Array<{ id: string; status: string }>> {
  return db("users").whereIn("id", ids).select("id", "status");
}
