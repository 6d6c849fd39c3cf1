// Early destruction (SPEC R5.2): a participant asks for its documents to be destroyed before their
// time; a second compliance officer decides; approved, it replaces the participant's duty for
// documents registered before the request.
import { randomUUID } from "node:crypto";
import { z } from "zod";

import { AccessDeniedError, ConflictError, notFound, StateConflictError } from "../../errors.js";
import { type Tx } from "../../storage/db.js";
import { audit, nowIso, type CommandContext } from "../context.js";

import { can, covers } from "../identity/policy.js";
import { organizationById, organizationResource } from "../identity/queries.js";

import { organizationFactsWriter } from "../identity/records.js";
import { assertSecondOfficer, authorizeCompliance } from "./compliance.js";
import { bumpEpoch } from "./facts.js";
import { Decision } from "./policyVersions.js";
export const EarlyDestructionRequest = z.strictObject({ reason: z.string().trim().min(1).max(2000) });

export interface EarlyDestructionRow {
  id: string;
  organization_id: string;
  reason: string;
  state: string;
  requested_by: string | null;
  requested_at: string;
  decided_by: string | null;
  decided_at: string | null;
  decision_comment: string | null;
}

export const presentEarlyDestruction = (r: EarlyDestructionRow) => ({
  id: r.id,
  organizationId: r.organization_id,
  reason: r.reason,
  state: r.state,
  requestedBy: r.requested_by,
  requestedAt: r.requested_at,
  decidedBy: r.decided_by,
  decidedAt: r.decided_at,
  comment: r.decision_comment,
});

/** R5.2: a participant (its administrator or head) asks that its documents go before their retention ends. */
export async function earlyDestructionRequester(ctx: CommandContext, p: { organizationId: string; reason: string }) {
  const org = await organizationById(ctx.tx, p.organizationId);
  if (!org) throw notFound();
  const allowed = ctx.actor.grants.some(
    (g) => (g.role === "org_admin" || g.role === "head") && covers(g, p.organizationId, org.root.path),
  );
  if (!allowed)
    throw new AccessDeniedError(
      "retention.early_destruction",
      { type: "organization", id: p.organizationId, organizationId: p.organizationId },
      // an organization the actor may not even see is not revealed by a 403
      !can(ctx.actor, "organization.read", organizationResource(org)),
    );
  if (
    await ctx
      .tx("early_destruction_requests")
      .where({ organization_id: p.organizationId, state: "pending" })
      .first("id")
  ) {
    throw new ConflictError(
      "request_pending",
      "This organization's early destruction request already waits for a decision",
    );
  }
  const row: EarlyDestructionRow = {
    id: randomUUID(),
    organization_id: p.organizationId,
    reason: p.reason,
    state: "pending",
    requested_by: ctx.actor.id,
    requested_at: nowIso(ctx),
    decided_by: null,
    decided_at: null,
    decision_comment: null,
  };
  await ctx.tx("early_destruction_requests").insert(row);
  await audit(ctx, {
    action: "retention.early_destruction_request",
    target: { type: "organization", id: p.organizationId },
    organizationId: p.organizationId,
    details: { request: row.id, reason: p.reason },
  });
  return presentEarlyDestruction(row);
}

/**
 * A compliance officer (not the requester) decides. Approved, the organization's documents
 * registered before the request are due from today as far as it is concerned; a counterparty's own
 * duty still keeps a shared document. Destruction itself is a disposition like any other.
 */
export async function earlyDestructionDecider(ctx: CommandContext, id: string, decision: z.infer<typeof Decision>) {
  authorizeCompliance(ctx.actor, "retention.approve");
  const r: EarlyDestructionRow | undefined = await ctx.tx("early_destruction_requests").where({ id }).first();
  if (!r) throw notFound();
  if (r.state !== "pending")
    throw new StateConflictError("not_pending", `The request is ${r.state}`, { state: r.state });
  assertSecondOfficer(ctx.actor, r.requested_by, "Early destruction");
  const today = nowIso(ctx).slice(0, 10);
  await ctx
    .tx("early_destruction_requests")
    .where({ id })
    .update({
      state: decision.approve ? "approved" : "rejected",
      decided_by: ctx.actor.id,
      decided_at: nowIso(ctx),
      decision_comment: decision.comment ?? null,
    });
  if (decision.approve) {
    await organizationFactsWriter(
      ctx.tx,
      r.organization_id,
      { early_destruction_on: today, early_destruction_before: r.requested_at },
      nowIso(ctx),
    );
    await bumpEpoch(ctx.tx);
  }
  await audit(ctx, {
    action: decision.approve ? "retention.early_destruction_approve" : "retention.early_destruction_reject",
    target: { type: "organization", id: r.organization_id },
    organizationId: r.organization_id,
    details: { request: id, comment: decision.comment ?? null },
  });
  return presentEarlyDestruction((await ctx.tx("early_destruction_requests").where({ id }).first())!);
}

/** Early destruction requests, newest first. */
export function earlyDestructionRequests(db: Tx, limit: number): Promise<EarlyDestructionRow[]> {
  return db("early_destruction_requests").orderBy("requested_at", "desc").limit(limit);
}
