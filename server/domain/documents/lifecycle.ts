// The document lifecycle as an explicit state machine (SPEC R2.5). Every change of state goes through
// `transition()`: it checks the move is allowed from the current state, applies it with a
// compare-and-set on the row's version (two racing commands cannot both win), and writes the
// document's event, the audit entry and the notifications in the same transaction.
import type { AuditAction } from "../../problemCodes.js";
import { notFound, StateConflictError } from "../../errors.js";
import { notificationWriter, type Notification } from "../../mail/outbox.js";
import { audit, nowIso, type CommandContext } from "../context.js";
import { STATUSES } from "../shared/vocabulary.js";
import type { Side } from "./policy.js";
import { documentById, type DocumentRow } from "./queries.js";

export { STATUSES };
export type Status = (typeof STATUSES)[number];

/** Where each move may start. One table, so the API, the jobs and the documentation agree. */
export const MOVES = {
  submit: ["draft", "returned"],
  decide: ["on_approval"],
  edit: ["draft", "returned"],
  signAsSender: ["draft", "approved", "signing"],
  send: ["signing"],
  /** the appliance's own documents (billing invoices, R4.9): the operator's HSM seal is their only signature */
  sendSealed: ["draft", "signing"],
  receipt: ["sent"],
  signAsRecipient: ["delivered", "clarification_requested", "signed_by_recipient"],
  reject: ["delivered", "clarification_requested"],
  clarify: ["delivered"],
  requestAnnulment: ["sent", "delivered", "clarification_requested", "signed_by_recipient", "accepted_by_silence"],
  answerAnnulment: ["annulment_requested"],
  deem: ["sent", "delivered", "clarification_requested"],
} as const satisfies Record<string, readonly Status[]>;
export type Move = keyof typeof MOVES;

export function illegal(doc: Pick<DocumentRow, "id" | "status" | "version">, move: Move): StateConflictError {
  return new StateConflictError(
    "illegal_transition",
    `A document that is ${doc.status.replace(/_/g, " ")} cannot take this step (${move})`,
    {
      state: doc.status,
      version: doc.version,
      move,
      allowedFrom: MOVES[move],
    },
  );
}

export function assertMove(doc: DocumentRow, move: Move): void {
  if (!(MOVES[move] as readonly string[]).includes(doc.status)) throw illegal(doc, move);
}

/** The branch of one side, as a notification addressee. */
export const sideAddressee = (doc: DocumentRow, side: Side) =>
  side === "sender"
    ? { organizationId: doc.sender_organization_id, branchId: doc.sender_branch_id }
    : { organizationId: doc.recipient_organization_id!, branchId: doc.recipient_branch_id! };

export const noticeAbout = (
  doc: DocumentRow,
  topic: string,
  side: Side,
  extra: Record<string, unknown> = {},
): Notification => ({
  topic,
  documentId: doc.id,
  to: sideAddressee(doc, side),
  payload: {
    documentId: doc.id,
    kind: doc.kind,
    number: doc.number,
    title: doc.title,
    sender: doc.sender_name,
    recipient: doc.recipient_name,
    ...extra,
  },
});

export interface TransitionProps {
  doc: DocumentRow;
  move: Move;
  /** the audit action and event name, e.g. "document.send" */
  action: AuditAction;
  /** the new status; the same status records an event without changing state (a second signature) */
  to: Status;
  side: Side | null;
  comment?: string | null;
  set?: Partial<DocumentRow>;
  details?: Record<string, unknown>;
  notify?: Notification[];
}

/** Applies one move. Throws 409 with the current state when the move is not allowed or another change won. */
export async function transition(ctx: CommandContext, p: TransitionProps): Promise<DocumentRow> {
  const { doc } = p;
  assertMove(doc, p.move);
  const now = nowIso(ctx);
  const updated = await ctx
    .tx("documents")
    .where({ id: doc.id, version: doc.version })
    .update({ ...p.set, status: p.to, version: doc.version + 1, updated_at: now });
  if (updated !== 1) {
    const current = (await documentById(ctx.tx, doc.id))!;
    throw illegal(current, p.move);
  }
  await ctx.tx("document_events").insert({
    document_id: doc.id,
    at: now,
    actor_type: ctx.actor.type,
    actor_id: ctx.actor.id,
    side: p.side,
    action: p.action,
    from_status: doc.status,
    to_status: p.to,
    comment: p.comment ?? null,
  });
  await audit(ctx, {
    action: p.action,
    target: { type: "document", id: doc.id },
    organizationId: p.side === "recipient" ? doc.recipient_organization_id : doc.sender_organization_id,
    details: { from: doc.status, to: p.to, side: p.side, ...(p.comment ? { comment: p.comment } : {}), ...p.details },
  });
  await notificationWriter(ctx.tx, ctx.clock, p.notify ?? []);
  return { ...doc, ...p.set, status: p.to, version: doc.version + 1, updated_at: now };
}

/** The document for a command, or 404 — loaded inside the command's transaction. */
export async function loadDocument(ctx: CommandContext, id: string): Promise<DocumentRow> {
  const doc = await documentById(ctx.tx, id);
  if (!doc) throw notFound();
  return doc;
}
