// Who may read a document and its content (SPEC R1.3, R2.8): its parties' branches, their
// administrators, and compliance officers (metadata only, unless they are a party).

import { ForbiddenError, GoneError, notFound } from "../../errors.js";

import { actorRef, type CommandContext, type RequestMeta } from "../context.js";
import type { AuditJournal } from "../audit/journal.js";
import type { Config } from "../../config/index.js";
import { hasRole } from "../identity/policy.js";

import type { Actor } from "../identity/roles.js";

import { authorizeDocument, canDocument } from "./policy.js";

import { documentById, documentFiles, documentSides, type DocumentRow } from "./queries.js";

/**
 * A document the actor may read, or 404 (existence is not revealed). System administrators and
 * compliance officers see every document's metadata (`staff`: true) but not its content unless
 * they state a reason (SPEC R5.8, see staffContentAccess).
 */
export async function readableDocument(ctx: { tx: CommandContext["tx"]; actor: Actor }, id: string) {
  const doc = await documentById(ctx.tx, id);
  if (!doc) throw notFound();
  const sides = documentSides(doc);
  const staff =
    !canDocument(ctx.actor, "document.read", sides) &&
    (hasRole(ctx.actor, "system_admin") || hasRole(ctx.actor, "compliance_officer"));
  if (!staff) authorizeDocument(ctx.actor, "document.read", sides);
  return { document: doc, files: await documentFiles(ctx.tx, id), staff };
}

/**
 * R5.8: staff open a participant's content only with a stated reason; the access is audited under
 * both parties' organizations, so their administrators see it in their audit log. A destroyed
 * document has no content left (410).
 */
export async function contentAccess(
  journal: AuditJournal,
  config: Config,
  read: { document: DocumentRow; staff: boolean },
  actor: Actor,
  meta: RequestMeta,
  reason: string | undefined,
) {
  if (read.document.status === "destroyed")
    throw new GoneError(
      "document_destroyed",
      "The document was destroyed under its retention policy; its tombstone and the disposition certificate remain",
    );
  if (!read.staff) return;
  if (!reason || reason.trim().length < config.retention.staffReasonMinLength) {
    throw new ForbiddenError(
      "staff_access_reason_required",
      `Staff open a participant's content only with a stated reason (query parameter reason, at least ${config.retention.staffReasonMinLength} characters); the access is audited and shown to the organization`,
    );
  }
  const d = read.document;
  await journal.record(
    { actor: actorRef(actor), ...meta },
    [...new Set([d.sender_organization_id, d.recipient_organization_id].filter((o): o is string => Boolean(o)))].map(
      (organizationId) => ({
        action: "document.staff_access",
        target: { type: "document", id: d.id },
        organizationId,
        details: { reason: reason.trim() },
      }),
    ),
  );
}
