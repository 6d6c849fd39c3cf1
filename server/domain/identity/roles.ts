// Roles (SPEC R1.2). Appliance-wide roles have no organization; the rest are scoped to an
// organization's branch and everything below it.
export const APPLIANCE_ROLES = ["system_admin", "compliance_officer", "billing_operator"] as const;
export const ORGANIZATION_ROLES = ["org_admin", "head", "signer", "accountant", "clerk", "viewer"] as const;
export const ROLES = [...APPLIANCE_ROLES, ...ORGANIZATION_ROLES] as const;
/** API tokens act for an integration, which never administers people. */
export const TOKEN_ROLES = ["head", "signer", "accountant", "clerk", "viewer"] as const;

export type ApplianceRole = (typeof APPLIANCE_ROLES)[number];
export type OrganizationRole = (typeof ORGANIZATION_ROLES)[number];
export type Role = (typeof ROLES)[number];

export const isApplianceRole = (r: string): r is ApplianceRole => (APPLIANCE_ROLES as readonly string[]).includes(r);

export interface Grant {
  id: string;
  role: Role;
  organizationId: string | null;
  branchId: string | null;
  /** materialized path of the branch; null for appliance-wide grants */
  branchPath: string | null;
}

export interface Actor {
  type: "user" | "api_token" | "system" | "anonymous";
  id: string | null;
  userId: string | null;
  grants: Grant[];
  sessionId?: string;
  tokenId?: string;
  /** an organization requires TOTP and this user has not enrolled yet */
  totpEnrolmentRequired?: boolean;
}

export const systemActor: Actor = { type: "system", id: null, userId: null, grants: [] };
