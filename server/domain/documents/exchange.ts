// Exchange between the sides (SPEC R2.5-R2.7, R3.5): sending, the recipient's receipt bound to the
// content hash, the recipient's answers (refusal with a reason, request for clarification),
// annulment agreed by both sides, and acceptance by silence for acts.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { ConflictError, StateConflictError, UnavailableError, UnprocessableError } from "../../errors.js";
import type { Db } from "../../storage/db.js";
import { stableJson } from "../audit/chain.js";
import { assertCanSendOutgoing } from "../billing/gate.js";
import { nowIso, type CommandContext } from "../context.js";
import { hasActiveMembers, branchWithOrganization } from "../identity/queries.js";
import { sha256 } from "../identity/secrets.js";
import { assertSenderActive } from "./registration/preparer.js";
import { canDocument } from "./policy.js";
import { respondBy } from "./calendar.js";
import { invitationCreator } from "./invitations.js";
import { sealPreparer, sealRecorder, type PreparedSeal } from "./seals.js";
import type { CertificateServices } from "../signatures/validation.js";
import { DEEMED_ACCEPTANCE_KINDS, type Kind } from "../shared/kinds.js";
import { assertMove, loadDocument, noticeAbout, transition, type Status } from "./lifecycle.js";
import { authorizeDocument, type Side } from "./policy.js";
import { documentFiles, documentSides, type DocumentRow } from "./queries.js";
import { organizationFactsOf } from "../identity/records.js";

export const Reason = z.strictObject({ reason: z.string().trim().min(1).max(2000) });
export const Receipt = z.strictObject({
  contentSha256: z.string().regex(/^[0-9a-f]{64}$/, "hex SHA-256 of the content as received"),
});
export const AnnulmentAnswer = z.strictObject({ accept: z.boolean(), comment: z.string().trim().max(2000).optional() });

/**
 * SPEC R4.9: what the appliance itself sends (billing invoices of the operator) is signed by the
 * operator's seal alone, applied at sending; everything else is sent once its sender has signed.
 */
async function sendMove(ctx: CommandContext, doc: DocumentRow): Promise<"send" | "sendSealed"> {
  if (ctx.actor.type !== "system") return "send";
  const org = await organizationFactsOf(ctx.tx, doc.sender_organization_id);
  return org?.seal_key_label ? "sendSealed" : "send";
}

/** What must hold to send: the right, the state, an active sender allowed to send (billing). */
async function sendable(ctx: CommandContext, documentId: string) {
  const doc = await loadDocument(ctx, documentId);
  authorizeDocument(ctx.actor, "document.send", documentSides(doc));
  assertMove(doc, await sendMove(ctx, doc));
  const sender = (await branchWithOrganization(ctx.tx, { branchId: doc.sender_branch_id }))!;
  assertSenderActive(sender);
  await assertCanSendOutgoing(
    ctx.tx,
    { organizationId: doc.sender_organization_id, branchId: doc.sender_branch_id, path: doc.sender_branch_path },
    ctx.clock.now(),
  );
  return doc;
}

/**
 * Before the sending transaction: the organization's seal, when it chose server-side sealing (made
 * by the HSM and checked, revocation included). `ctx.tx` may be the read-only connection.
 */
export async function sendPreparer(
  ctx: CommandContext,
  p: { documentId: string; pki: CertificateServices },
): Promise<PreparedSeal | null> {
  return sealPreparer(ctx, await sendable(ctx, p.documentId), p.pki);
}

export async function documentSender(
  ctx: CommandContext,
  p: { documentId: string; seal: PreparedSeal | null },
): Promise<{ document: DocumentRow; invitation: { id: string; email: string; expiresAt: string } | null }> {
  const doc = await sendable(ctx, p.documentId);
  const org = await organizationFactsOf(ctx.tx, doc.sender_organization_id);
  const sealWanted = doc.direction === "outgoing" && Boolean(org?.seal_key_label);
  if (
    sealWanted !== Boolean(p.seal) ||
    (p.seal && (p.seal.contentSha256 !== doc.content_sha256 || p.seal.keyLabel !== org?.seal_key_label))
  ) {
    throw new ConflictError(
      "seal_changed",
      "The organization's seal settings or the document changed while it was being sealed; send again",
    );
  }
  const seal = p.seal ? await sealRecorder(ctx, doc, p.seal) : null;
  let invitation: { id: string; email: string; expiresAt: string } | null = null;
  if (doc.direction === "outgoing" && !(await hasActiveMembers(ctx.tx, doc.recipient_organization_id!))) {
    if (!doc.recipient_email) {
      throw new ConflictError(
        "recipient_not_on_appliance",
        "The recipient has no users on this appliance yet; register the document with recipient.email to invite it",
      );
    }
    invitation = await invitationCreator(ctx, doc);
  }
  const now = ctx.clock.now();
  const document = await transition(ctx, {
    doc,
    move: await sendMove(ctx, doc),
    action: "document.send",
    to: "sent",
    side: "sender",
    set: { sent_at: now.toISOString(), respond_by: null },
    details: {
      recipientOrganizationId: doc.recipient_organization_id,
      recipientBranchId: doc.recipient_branch_id,
      invitationId: invitation?.id ?? null,
      seal: seal ? { signatureId: seal.id, subject: seal.signer_subject, serial: seal.signer_serial } : null,
    },
    notify: [noticeAbout(doc, "document.received", "recipient")],
  });
  return { document, invitation };
}

/** The receipt's exact wording: what was received, by whom, when. Its hash is kept with it. */
function receiptBody(
  doc: DocumentRow,
  files: Array<{ role: string; sha256: string }>,
  by: { type: string; id: string | null },
  at: string,
) {
  return stableJson({
    type: "qujat.receipt/1",
    documentId: doc.id,
    contentSha256: doc.content_sha256,
    files: files.map((f) => ({ role: f.role, sha256: f.sha256 })),
    sender: { organizationId: doc.sender_organization_id, branchId: doc.sender_branch_id },
    recipient: { organizationId: doc.recipient_organization_id, branchId: doc.recipient_branch_id },
    receivedBy: by,
    receivedAt: at,
  });
}

export async function receiptRecorder(ctx: CommandContext, p: { documentId: string; contentSha256: string }) {
  const doc = await loadDocument(ctx, p.documentId);
  authorizeDocument(ctx.actor, "document.receipt", documentSides(doc));
  assertMove(doc, "receipt");
  if (p.contentSha256 !== doc.content_sha256) {
    throw new UnprocessableError("hash_mismatch", "What you received is not this document's content", {
      expected: doc.content_sha256,
      received: p.contentSha256,
    });
  }
  const at = nowIso(ctx);
  const body = receiptBody(doc, await documentFiles(ctx.tx, doc.id), { type: ctx.actor.type, id: ctx.actor.id }, at);
  // With an HSM, the appliance signs the receipt with its system key (R3.1); if the HSM cannot
  // sign, the receipt is not recorded (503) rather than recorded unsigned.
  const systemCms =
    ctx.config.hsm.module && ctx.signer
      ? await ctx.signer.signSystem(Buffer.from(body)).catch((err: Error) => {
          throw new UnavailableError(
            "hsm_unavailable",
            `The receipt cannot be signed by the appliance's system key now: ${err.message}`,
          );
        })
      : null;
  const receipt = {
    id: randomUUID(),
    document_id: doc.id,
    content_sha256: doc.content_sha256,
    organization_id: doc.recipient_organization_id!,
    branch_id: doc.recipient_branch_id!,
    by_type: ctx.actor.type,
    by_id: ctx.actor.id,
    at,
    body,
    sha256: sha256(body),
    system_cms: systemCms,
  };
  await ctx.tx("document_receipts").insert(receipt);
  // SPEC R2.6: an act's period to answer runs from this receipt — the moment the recipient received
  // the document, recorded in the receipt and the event — in the recipient's calendar and zone.
  const deemed = DEEMED_ACCEPTANCE_KINDS.includes(doc.kind as Kind)
    ? (await respondBy(ctx.tx, ctx.config, doc.recipient_organization_id!, new Date(at))).toISOString()
    : null;
  const document = await transition(ctx, {
    doc,
    move: "receipt",
    action: "document.receipt",
    to: "delivered",
    side: "recipient",
    set: { respond_by: deemed },
    details: {
      receiptId: receipt.id,
      receiptSha256: receipt.sha256,
      contentSha256: doc.content_sha256,
      receivedAt: at,
      respondBy: deemed,
    },
    notify: [noticeAbout(doc, "document.delivered", "sender", { respondBy: deemed })],
  });
  return { document, receipt };
}

/** The recipient's reasoned answer short of signing: a refusal, or a request to clarify or correct. */
const ANSWERS = {
  reject: { move: "reject", action: "document.reject", to: "rejected", topic: "document.rejected" },
  clarify: {
    move: "clarify",
    action: "document.clarification_request",
    to: "clarification_requested",
    topic: "document.clarification_requested",
  },
} as const;

export async function recipientAnswerer(
  ctx: CommandContext,
  p: { documentId: string; answer: keyof typeof ANSWERS; reason: string },
) {
  const doc = await loadDocument(ctx, p.documentId);
  authorizeDocument(ctx.actor, "document.respond", documentSides(doc));
  const a = ANSWERS[p.answer];
  return transition(ctx, {
    doc,
    move: a.move,
    action: a.action,
    to: a.to,
    side: "recipient",
    comment: p.reason,
    notify: [noticeAbout(doc, a.topic, "sender", { reason: p.reason })],
  });
}

const other = (s: Side): Side => (s === "sender" ? "recipient" : "sender");

/** Either side asks to annul a sent document; it is annulled only when the other side agrees. */
export async function annulmentRequester(ctx: CommandContext, p: { documentId: string; reason: string }) {
  const doc = await loadDocument(ctx, p.documentId);
  const sides = documentSides(doc);
  authorizeDocument(ctx.actor, "document.read", sides);
  const side: Side = canDocument(ctx.actor, "document.annul", sides, "sender") ? "sender" : "recipient";
  authorizeDocument(ctx.actor, "document.annul", sides, side);
  return transition(ctx, {
    doc,
    move: "requestAnnulment",
    action: "document.annulment_request",
    to: "annulment_requested",
    side,
    comment: p.reason,
    set: { annulment_prior_status: doc.status, annulment_requested_by: side },
    notify: [noticeAbout(doc, "document.annulment_requested", other(side), { reason: p.reason })],
  });
}

export async function annulmentAnswerer(
  ctx: CommandContext,
  p: { documentId: string; accept: boolean; comment?: string },
) {
  const doc = await loadDocument(ctx, p.documentId);
  const sides = documentSides(doc);
  authorizeDocument(ctx.actor, "document.read", sides);
  assertMove(doc, "answerAnnulment");
  const side = other(doc.annulment_requested_by as Side);
  authorizeDocument(ctx.actor, "document.annul", sides, side);
  return transition(ctx, {
    doc,
    move: "answerAnnulment",
    action: p.accept ? "document.annul" : "document.annulment_decline",
    side,
    comment: p.comment ?? null,
    to: p.accept ? "annulled" : (doc.annulment_prior_status as Status),
    set: { annulment_prior_status: null, annulment_requested_by: null },
    notify: [
      noticeAbout(doc, p.accept ? "document.annulled" : "document.annulment_declined", other(side), {
        comment: p.comment ?? null,
      }),
    ],
  });
}

/**
 * SPEC R2.6: an act neither signed nor refused by its deadline is accepted by silence. Run by the
 * daily job as the system; each document in its own transaction so one failure does not hold the rest.
 */
export async function deemedAcceptor(ctx: Omit<CommandContext, "tx"> & { db: Db }): Promise<{ accepted: string[] }> {
  const now = nowIso(ctx);
  const due: DocumentRow[] = await ctx
    .db("documents")
    // Only what the recipient received: a document still "sent" (never received, even by a
    // counterparty that never registered) is never accepted by silence.
    .whereIn("status", ["delivered", "clarification_requested"])
    .whereNotNull("respond_by")
    .where("respond_by", "<=", now)
    .orderBy("respond_by")
    .limit(10_000);
  const accepted: string[] = [];
  for (const doc of due) {
    try {
      await ctx.db.transaction(async (tx) => {
        const c = { ...ctx, tx };
        await transition(c, {
          doc,
          move: "deem",
          action: "document.accept_by_silence",
          to: "accepted_by_silence",
          side: null,
          details: { respondBy: doc.respond_by },
          notify: [
            noticeAbout(doc, "document.accepted_by_silence", "sender"),
            noticeAbout(doc, "document.accepted_by_silence", "recipient"),
          ],
        });
      });
      accepted.push(doc.id);
    } catch (err) {
      // A recipient who answered in the same instant wins; anything else is the job's failure.
      if (!(err instanceof StateConflictError)) throw err;
    }
  }
  return { accepted };
}
