// What each side may see of a document's history (SPEC R2.5, R2.6): the exchange — signatures,
// receipts, sending, rejection, annulment — is shared by both parties, but a side's internal
// approval route, its approvers and their comments are its own business. The counterparty's view,
// answer and evidence package never carry them (and the reverse).
import type { Actor } from "../identity/roles.js";
import type { CommandContext } from "../context.js";
import { approvalRouteOf } from "./approval.js";
import { sidesOf } from "./policy.js";
import { documentSides, type DocumentRow } from "./queries.js";

export type SeenSides = { sender: boolean; recipient: boolean };

/** Internal approval steps: recorded on the side that ran them. */
const INTERNAL = /^document\.approval\./;

/** Whose internals the reader sees: his own side's; the appliance's staff (audited readers) both. */
export function internalsSeenBy(actor: Actor, doc: DocumentRow, staff: boolean): SeenSides {
  return staff ? { sender: true, recipient: true } : sidesOf(actor, documentSides(doc));
}

/** An event (or audit entry) the reader may see: not another side's internal approval. */
export function visibleStep(e: { action: string; side?: string | null }, seen: SeenSides): boolean {
  if (!INTERNAL.test(e.action)) return true;
  return e.side === "recipient" ? seen.recipient : seen.sender; // approvals run on the sender's side
}

/** The approval route, when the reader stands on the side that runs it (the sender's). */
export function approvalSeenBy(db: CommandContext["tx"], documentId: string, seen: SeenSides) {
  return seen.sender ? approvalRouteOf(db, documentId) : Promise.resolve(null);
}
