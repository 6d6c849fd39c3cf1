// Presenters list every field explicitly: raw rows never leave the server.
import type { BranchRow, GrantRow, OrganizationRow, UserRow } from "./queries.js";

export const presentOrganization = (o: OrganizationRow, root?: BranchRow) => ({
  id: o.id,
  name: o.name,
  country: o.country,
  kind: o.kind,
  bin: o.bin,
  edrpou: o.edrpou,
  rnokpp: o.rnokpp,
  timeZone: o.time_zone ?? null,
  external: Boolean(o.external),
  status: o.status,
  blockReason: o.block_reason,
  totpRequired: Boolean(o.totp_required),
  headOfficeId: root?.id ?? null,
  createdAt: o.created_at,
  updatedAt: o.updated_at,
});

/** An organization as the counterparty directory shows it: public facts only, and when it was last sent to. */
export function presentCounterparty(o: OrganizationRow, lastUsedAt: string | null) {
  const { id, name, country, kind, bin, edrpou, rnokpp, external } = presentOrganization(o);
  return { id, name, country, kind, bin, edrpou, rnokpp, external, lastUsedAt };
}

export const presentBranch = (b: BranchRow) => ({
  id: b.id,
  organizationId: b.organization_id,
  parentId: b.parent_id,
  name: b.name,
  headOffice: b.parent_id === null,
  depth: b.path.split("/").filter(Boolean).length - 1,
  status: b.status,
  blockReason: b.block_reason,
  createdAt: b.created_at,
  updatedAt: b.updated_at,
});

type BranchView = ReturnType<typeof presentBranch> & { children: BranchView[] };

/** Builds the branch tree from rows ordered by path (parents before children). */
export function presentBranchTree(rows: BranchRow[]): BranchView[] {
  const byId = new Map<string, BranchView>();
  const roots: BranchView[] = [];
  for (const r of rows) {
    const node: BranchView = { ...presentBranch(r), children: [] };
    byId.set(r.id, node);
    const parent = r.parent_id ? byId.get(r.parent_id) : undefined;
    if (parent) parent.children.push(node);
    else roots.push(node);
  }
  return roots;
}

export const presentGrant = (g: GrantRow) => ({
  id: g.id,
  role: g.role,
  organizationId: g.organization_id,
  branchId: g.branch_id,
  grantedBy: g.granted_by,
  createdAt: g.created_at,
});

export const presentUser = (u: UserRow, grants: GrantRow[] = []) => ({
  id: u.id,
  login: u.login,
  iin: u.iin,
  rnokpp: u.rnokpp,
  email: u.email,
  fullName: u.full_name,
  status: u.status,
  language: u.language,
  totpEnabled: Boolean(u.totp_enabled),
  lastLoginAt: u.last_login_at,
  passwordChangedAt: u.password_changed_at,
  roles: grants.map(presentGrant),
  createdAt: u.created_at,
  updatedAt: u.updated_at,
});
