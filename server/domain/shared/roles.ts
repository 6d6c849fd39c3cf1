// Roles (SPEC R1.2). Appliance-wide roles have no organization; the rest are scoped to an
// organization's branch and everything below it. Plain data: the console's forms list them too.
export const APPLIANCE_ROLES = ["system_admin", "compliance_officer", "billing_operator"] as const;
export const ORGANIZATION_ROLES = ["org_admin", "head", "signer", "accountant", "clerk", "viewer"] as const;
export const ROLES = [...APPLIANCE_ROLES, ...ORGANIZATION_ROLES] as const;
/** API tokens act for an integration, which never administers people. */
export const TOKEN_ROLES = ["head", "signer", "accountant", "clerk", "viewer"] as const;

export type ApplianceRole = (typeof APPLIANCE_ROLES)[number];
export type OrganizationRole = (typeof ORGANIZATION_ROLES)[number];
export type Role = (typeof ROLES)[number];

export const isApplianceRole = (r: string): r is ApplianceRole => (APPLIANCE_ROLES as readonly string[]).includes(r);
