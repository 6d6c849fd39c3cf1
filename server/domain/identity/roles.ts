// Roles (SPEC R1.2). Appliance-wide roles have no organization; the rest are scoped to an
// organization's branch and everything below it.
export { APPLIANCE_ROLES, ORGANIZATION_ROLES, ROLES, TOKEN_ROLES, isApplianceRole } from "../shared/roles.js";
export type { ApplianceRole, OrganizationRole, Role } from "../shared/roles.js";
import type { Role } from "../shared/roles.js";

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
