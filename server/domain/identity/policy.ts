// The one place that decides who may do what (SPEC R1.2, R5.7, R5.8). Commands call `authorize`,
// so the HTTP API and cron jobs cannot diverge. Refusals are audited by the HTTP layer.
import { AccessDeniedError } from "../../errors.js";
import type { Actor, Grant, Role } from "./roles.js";
import { isApplianceRole } from "./roles.js";

export type Resource =
  | { type: "appliance" }
  | { type: "organization"; id: string; rootPath: string; external: boolean }
  | { type: "branch"; id: string; organizationId: string; path: string }
  | { type: "user"; id: string; grants: Grant[] }
  | { type: "grant"; role: Role; organizationId: string | null; path: string | null }
  | { type: "api_token"; id?: string; organizationId: string; path: string }
  | { type: "audit"; organizationId: string | null; rootPath: string | null };

export type Action =
  | "organization.create"
  | "organization.read"
  | "organization.update"
  | "organization.block"
  | "branch.read"
  | "branch.create"
  | "branch.update"
  | "branch.block"
  | "user.read"
  | "user.create"
  | "user.update"
  | "user.disable"
  | "role.grant"
  | "role.revoke"
  | "api_token.manage"
  | "audit.read"
  | "audit.verify"
  | "system.read"
  | "trust.read"
  | "trust.manage"
  | "poa.create"
  | "poa.revoke"
  | "poa.read"
  | "billing.manage"
  | "billing.read"
  | "subscription.request"
  | "announcement.manage"
  | "system.manage";

const hasRole = (a: Actor, role: Role) => a.grants.some((g) => g.role === role && g.organizationId === null);
const isSysAdmin = (a: Actor) => hasRole(a, "system_admin");
const isApplianceReader = (a: Actor) => a.grants.some((g) => g.organizationId === null);

/** Does grant g reach the branch at `path` of organization `orgId`? */
export const covers = (g: Grant, orgId: string, path: string) =>
  g.organizationId === orgId && (g.branchPath === null || path.startsWith(g.branchPath));

const adminCovering = (a: Actor, orgId: string, path: string) =>
  a.grants.some((g) => g.role === "org_admin" && covers(g, orgId, path));
const anyCovering = (a: Actor, orgId: string, path: string) => a.grants.some((g) => covers(g, orgId, path));
const memberOf = (a: Actor, orgId: string) => a.grants.some((g) => g.organizationId === orgId);

export function can(actor: Actor, action: Action, resource: Resource): boolean {
  if (actor.type === "system") return true;
  if (actor.type === "anonymous") return false;
  if (isSysAdmin(actor)) return true;
  switch (resource.type) {
    case "appliance":
      if (action === "organization.read") return true;
      // Plans, subscriptions, invoices and payments: the billing operator (SPEC R4).
      if (action === "billing.manage" || action === "billing.read") return hasRole(actor, "billing_operator");
      return action === "trust.read" && isApplianceReader(actor); // managing trust: system administrators
    case "organization":
      if (action === "organization.read")
        return isApplianceReader(actor) || memberOf(actor, resource.id) || resource.external;
      if (action === "organization.update") return adminCovering(actor, resource.id, resource.rootPath);
      return false; // create, block: system administrators (R1.9 operator)
    case "branch":
      // Powers of attorney (R1.6): the head grants them (with his own signature); he or an
      // organization administrator revokes them (a dismissal); anyone in the subtree reads them.
      if (action === "poa.create")
        return actor.grants.some((g) => g.role === "head" && covers(g, resource.organizationId, resource.path));
      if (action === "poa.revoke")
        return actor.grants.some(
          (g) => (g.role === "head" || g.role === "org_admin") && covers(g, resource.organizationId, resource.path),
        );
      if (action === "poa.read")
        return isApplianceReader(actor) || anyCovering(actor, resource.organizationId, resource.path);
      if (action === "branch.read")
        return isApplianceReader(actor) || anyCovering(actor, resource.organizationId, resource.path);
      // Billing of a branch: the operator manages it; its administrators, heads and accountants read
      // it; administrators and heads ask for suspension, a plan change or termination (R4.6, R4.7).
      if (action === "billing.manage") return hasRole(actor, "billing_operator");
      if (action === "billing.read") {
        return (
          hasRole(actor, "billing_operator") ||
          isApplianceReader(actor) ||
          actor.grants.some(
            (g) =>
              (g.role === "org_admin" || g.role === "head" || g.role === "accountant") &&
              covers(g, resource.organizationId, resource.path),
          )
        );
      }
      if (action === "subscription.request") {
        return (
          hasRole(actor, "billing_operator") ||
          actor.grants.some(
            (g) => (g.role === "org_admin" || g.role === "head") && covers(g, resource.organizationId, resource.path),
          )
        );
      }
      return (
        (action === "branch.create" || action === "branch.update" || action === "branch.block") &&
        adminCovering(actor, resource.organizationId, resource.path)
      );
    case "user": {
      if (action === "user.read" && resource.id === actor.userId) return true;
      const orgGrants = resource.grants.filter((g) => g.organizationId !== null);
      if (action === "user.read") {
        if (hasRole(actor, "compliance_officer")) return true;
        return orgGrants.some((g) => adminCovering(actor, g.organizationId!, g.branchPath!));
      }
      // Changing or disabling an account: only when every grant it holds is within the admin's reach.
      if (action === "user.update" || action === "user.disable") {
        return (
          orgGrants.length > 0 &&
          orgGrants.length === resource.grants.length &&
          orgGrants.every((g) => adminCovering(actor, g.organizationId!, g.branchPath!))
        );
      }
      return false;
    }
    case "grant":
      if (action !== "role.grant" && action !== "role.revoke" && action !== "user.create") return false;
      if (isApplianceRole(resource.role) || resource.organizationId === null || resource.path === null) return false;
      return adminCovering(actor, resource.organizationId, resource.path);
    case "api_token":
      return (
        action === "api_token.manage" &&
        actor.type === "user" &&
        adminCovering(actor, resource.organizationId, resource.path)
      );
    case "audit":
      if (action === "audit.verify") return hasRole(actor, "compliance_officer");
      if (action !== "audit.read") return false;
      if (hasRole(actor, "compliance_officer")) return true;
      return (
        resource.organizationId !== null &&
        resource.rootPath !== null &&
        adminCovering(actor, resource.organizationId, resource.rootPath)
      );
  }
  return false;
}

/** Where a branch-level read reaches: every branch, or (organization, branch-path prefix) pairs. */
export type BranchScope = "all" | Array<{ organizationId: string; path: string | null }>;

/**
 * The branches `billing.read` reaches, for a query's WHERE clause — the same answer can() gives
 * branch by branch (test/unit/policy.test.ts compares them), so a list is scoped in SQL and never
 * fetched and filtered.
 */
export function billingReadScope(actor: Actor): BranchScope {
  if (actor.type === "system") return "all";
  if (actor.type === "anonymous") return [];
  if (isSysAdmin(actor) || hasRole(actor, "billing_operator") || isApplianceReader(actor)) return "all";
  return actor.grants
    .filter(
      (g) => (g.role === "org_admin" || g.role === "head" || g.role === "accountant") && g.organizationId !== null,
    )
    .map((g) => ({ organizationId: g.organizationId!, path: g.branchPath }));
}

/**
 * Throws AccessDeniedError when `action` is not allowed. If the actor may not even see the
 * resource (`visible` false), the refusal is reported as 404 so its existence is not revealed.
 */
export function authorize(actor: Actor, action: Action, resource: Resource, visible = true): void {
  if (can(actor, action, resource)) return;
  const target = {
    type: resource.type,
    id: "id" in resource ? (resource.id ?? null) : null,
    organizationId:
      "organizationId" in resource ? resource.organizationId : resource.type === "organization" ? resource.id : null,
  };
  throw new AccessDeniedError(action, target, !visible);
}

export { isSysAdmin, hasRole };
