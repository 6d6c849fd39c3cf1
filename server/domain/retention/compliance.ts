// Who acts on retention (SPEC R5.1, R5.5): compliance officers, and for whatever could make a
// document go sooner, a second officer other than the one who asked (four eyes).

import { AccessDeniedError, ForbiddenError } from "../../errors.js";

import { hasRole } from "../identity/policy.js";

import type { Actor } from "../identity/roles.js";

export const isComplianceOfficer = (a: Actor) => a.type === "system" || hasRole(a, "compliance_officer");

/** Retention, holds and disposition are the compliance officers' (R5.5): system administrators only read. */
export function authorizeCompliance(actor: Actor, action: string, read = false): void {
  if (isComplianceOfficer(actor) || (read && hasRole(actor, "system_admin"))) return;
  throw new AccessDeniedError(action, { type: "retention", id: null, organizationId: null }, false);
}

/** Four eyes: whoever proposed may not decide. */
export function assertSecondOfficer(actor: Actor, proposedBy: string | null, what: string): void {
  if (actor.id !== null && actor.id === proposedBy) {
    throw new ForbiddenError(
      "same_officer",
      `${what} must be approved by another compliance officer than the one who proposed it`,
    );
  }
}

// ---------- facts and assignment ----------
