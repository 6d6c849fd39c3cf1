// Who may do what with a document (SPEC R1.5, R2.4). A document has two sides: the sender's branch
// and, once it has been sent, the recipient's branch. A grant covering either side's branch reaches
// that side; roles decide what it may do there. Checked inside commands, so the API and the cron
// jobs cannot diverge.
import { AccessDeniedError } from "../../errors.js";
import { covers } from "../identity/policy.js";
import type { Actor, Role } from "../identity/roles.js";

export type DocumentAction = "document.create" | "document.read" | "document.edit";

export interface DocumentSides {
  id?: string;
  sender: { organizationId: string; branchPath: string };
  /** null until the document has reached its recipient (or when it has none) */
  recipient: { organizationId: string; branchPath: string } | null;
}

/** Roles that prepare and register documents for their branch. */
export const WRITER_ROLES: readonly Role[] = ["org_admin", "head", "signer", "accountant", "clerk"];

const grantsOn = (actor: Actor, side: { organizationId: string; branchPath: string } | null) =>
  side ? actor.grants.filter((g) => covers(g, side.organizationId, side.branchPath)) : [];

/** Which side(s) of the document the actor stands on. */
export function sidesOf(actor: Actor, doc: DocumentSides): { sender: boolean; recipient: boolean } {
  if (actor.type === "system") return { sender: true, recipient: true };
  return { sender: grantsOn(actor, doc.sender).length > 0, recipient: grantsOn(actor, doc.recipient).length > 0 };
}

export function canDocument(actor: Actor, action: DocumentAction, doc: DocumentSides): boolean {
  if (actor.type === "system") return true;
  if (actor.type === "anonymous") return false;
  const sender = grantsOn(actor, doc.sender);
  switch (action) {
    case "document.read":
      return sender.length > 0 || grantsOn(actor, doc.recipient).length > 0;
    case "document.create":
    case "document.edit":
      return sender.some((g) => WRITER_ROLES.includes(g.role));
  }
}

/** Throws 404 when the actor cannot see the document at all, 403 when he sees it but may not act. */
export function authorizeDocument(actor: Actor, action: DocumentAction, doc: DocumentSides): void {
  if (canDocument(actor, action, doc)) return;
  const visible = canDocument(actor, "document.read", doc);
  throw new AccessDeniedError(action, { type: "document", id: doc.id ?? null, organizationId: doc.sender.organizationId }, !visible);
}
