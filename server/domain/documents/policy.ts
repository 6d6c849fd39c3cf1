// Who may do what with a document (SPEC R1.5, R2.4). A document has two sides: the sender's branch
// and, once it has been sent, the recipient's branch. A grant covering either side's branch reaches
// that side; roles decide what it may do there. Checked inside commands, so the API and the cron
// jobs cannot diverge.
import { AccessDeniedError } from "../../errors.js";
import { covers } from "../identity/policy.js";
import type { Actor, Role } from "../identity/roles.js";

export type DocumentAction =
  | "document.create"
  | "document.read"
  | "document.edit"
  | "document.route"
  | "document.send"
  | "document.sign"
  | "document.receipt"
  | "document.respond"
  | "document.annul";

export type Side = "sender" | "recipient";

export interface DocumentSides {
  id?: string;
  sender: { organizationId: string; branchPath: string };
  /** null until the document has reached its recipient (or when it has none) */
  recipient: { organizationId: string; branchPath: string } | null;
}

/** Roles that prepare and register documents for their branch. */
export const WRITER_ROLES: readonly Role[] = ["org_admin", "head", "signer", "accountant", "clerk"];

/** Roles that sign for their organization (SPEC R1.2: head and signer). */
export const SIGNER_ROLES: readonly Role[] = ["head", "signer"];
/** Roles that may answer a received document: refuse it or ask for clarification. */
export const RESPONDER_ROLES: readonly Role[] = ["head", "signer", "accountant"];

/** Which side each action is taken on, and by which roles there. */
const RULES: Record<Exclude<DocumentAction, "document.read">, { side: Side | "either"; roles: readonly Role[] }> = {
  "document.create": { side: "sender", roles: WRITER_ROLES },
  "document.edit": { side: "sender", roles: WRITER_ROLES },
  "document.route": { side: "sender", roles: WRITER_ROLES },
  "document.send": { side: "sender", roles: WRITER_ROLES },
  "document.sign": { side: "either", roles: SIGNER_ROLES },
  "document.receipt": { side: "recipient", roles: WRITER_ROLES },
  "document.respond": { side: "recipient", roles: RESPONDER_ROLES },
  "document.annul": { side: "either", roles: SIGNER_ROLES },
};

const grantsOn = (actor: Actor, side: { organizationId: string; branchPath: string } | null) =>
  side ? actor.grants.filter((g) => covers(g, side.organizationId, side.branchPath)) : [];

/** Which side(s) of the document the actor stands on. */
export function sidesOf(actor: Actor, doc: DocumentSides): { sender: boolean; recipient: boolean } {
  if (actor.type === "system") return { sender: true, recipient: true };
  return { sender: grantsOn(actor, doc.sender).length > 0, recipient: grantsOn(actor, doc.recipient).length > 0 };
}

/** `side` names the side acted on for the actions either side may take (signing, annulment). */
export function canDocument(actor: Actor, action: DocumentAction, doc: DocumentSides, side?: Side): boolean {
  if (actor.type === "system") return true;
  if (actor.type === "anonymous") return false;
  if (action === "document.read")
    return grantsOn(actor, doc.sender).length > 0 || grantsOn(actor, doc.recipient).length > 0;
  const rule = RULES[action];
  const on = rule.side === "either" ? side : rule.side;
  if (!on) throw new Error(`${action} needs the side acted on`);
  return grantsOn(actor, doc[on]).some((g) => rule.roles.includes(g.role));
}

/** Throws 404 when the actor cannot see the document at all, 403 when he sees it but may not act. */
export function authorizeDocument(actor: Actor, action: DocumentAction, doc: DocumentSides, side?: Side): void {
  if (canDocument(actor, action, doc, side)) return;
  const visible = canDocument(actor, "document.read", doc);
  throw new AccessDeniedError(
    action,
    { type: "document", id: doc.id ?? null, organizationId: doc.sender.organizationId },
    !visible,
  );
}
