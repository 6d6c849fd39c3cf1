// Approval routes (SPEC R2.5): a writer routes a draft through ordered steps; each step has one or
// several approvers and needs any one or all of them. The first "return" sends the document back
// with its comment; the last needed approval makes it approved. Every decision records the content
// hash the approver saw.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { ConflictError, ForbiddenError, ValidationError } from "../../errors.js";
import { nowIso, type CommandContext } from "../context.js";
import { covers } from "../identity/policy.js";
import { activeHoldersIn, grantsOf, toGrant, userNames, userStatuses } from "../identity/queries.js";
import { assertMove, loadDocument, noticeAbout, transition } from "./lifecycle.js";
import { authorizeDocument, WRITER_ROLES } from "./policy.js";
import { documentSides, type DocumentRow } from "./queries.js";

export const ApprovalRoute = z.strictObject({
  steps: z
    .array(
      z.strictObject({
        approvers: z.array(z.uuid()).min(1).max(20),
        mode: z.enum(["any", "all"]).default("all"),
      }),
    )
    .min(1)
    .max(10),
  comment: z.string().trim().max(2000).optional(),
});
export type ApprovalRoute = z.infer<typeof ApprovalRoute>;

export const ApprovalDecision = z.strictObject({
  decision: z.enum(["approve", "return"]),
  comment: z.string().trim().max(2000).optional(),
});
export type ApprovalDecision = z.infer<typeof ApprovalDecision>;

export interface StepRow {
  id: string;
  document_id: string;
  round: number;
  position: number;
  mode: "any" | "all";
  status: string;
  activated_at: string | null;
  finished_at: string | null;
}
export interface ApproverRow {
  id: string;
  step_id: string;
  document_id: string;
  user_id: string;
  decision: string | null;
  comment: string | null;
  content_sha256: string | null;
  decided_at: string | null;
}

/** An approver is an active user holding a writing role over the sender's branch. */
async function assertEligible(ctx: CommandContext, doc: DocumentRow, userIds: string[]) {
  const users = await userStatuses(ctx.tx, userIds);
  const grants = await grantsOf(ctx.tx, userIds);
  const bad = userIds.filter((id) => {
    const u = users.find((x) => x.id === id);
    if (!u || u.status !== "active") return true;
    return !grants
      .filter((g) => g.user_id === id)
      .map(toGrant)
      .some((g) => WRITER_ROLES.includes(g.role) && covers(g, doc.sender_organization_id, doc.sender_branch_path));
  });
  if (bad.length) {
    // The refusal names each person and what he lacks, so the route's author knows whom to replace.
    const named = await userNames(ctx.tx, bad);
    const who = bad.map((id) => named.get(id) ?? id);
    throw new ValidationError(
      "approver_not_eligible",
      `${who.join(", ")}: ${bad.length === 1 ? "holds" : "hold"} no writing role (organization administrator, head, signer, accountant or clerk) over the sending branch, or ${bad.length === 1 ? "is" : "are"} not active`,
      { approvers: bad, names: who },
    );
  }
}

/**
 * Whom a route's author may put on the route: every active user with a writing role over the
 * document's sending branch — asked by anyone who may route it, not only by administrators.
 */
export async function eligibleApprovers(ctx: CommandContext, documentId: string) {
  const doc = await loadDocument(ctx, documentId);
  authorizeDocument(ctx.actor, "document.route", documentSides(doc));
  const holders = await activeHoldersIn(ctx.tx, doc.sender_organization_id, WRITER_ROLES);
  const byUser = new Map<string, { id: string; fullName: string; roles: string[] }>();
  for (const h of holders) {
    if (h.branch_path !== null && !doc.sender_branch_path.startsWith(h.branch_path)) continue;
    const u = byUser.get(h.id) ?? { id: h.id, fullName: h.full_name, roles: [] };
    if (!u.roles.includes(h.role)) u.roles.push(h.role);
    byUser.set(h.id, u);
  }
  return [...byUser.values()].sort((a, b) => a.fullName.localeCompare(b.fullName));
}

export async function approvalSubmitter(
  ctx: CommandContext,
  p: { documentId: string } & ApprovalRoute,
): Promise<DocumentRow> {
  const doc = await loadDocument(ctx, p.documentId);
  authorizeDocument(ctx.actor, "document.route", documentSides(doc));
  assertMove(doc, "submit");
  for (const s of p.steps) {
    if (new Set(s.approvers).size !== s.approvers.length)
      throw new ValidationError("duplicate_approver", "An approver appears twice in one step");
  }
  await assertEligible(ctx, doc, [...new Set(p.steps.flatMap((s) => s.approvers))]);
  const last = await ctx.tx("document_approval_steps").where({ document_id: doc.id }).max({ r: "round" }).first();
  const round = Number(last?.r ?? 0) + 1;
  const now = nowIso(ctx);
  const steps = p.steps.map((s, i) => ({
    id: randomUUID(),
    document_id: doc.id,
    round,
    position: i + 1,
    mode: s.mode,
    status: i === 0 ? "active" : "waiting",
    activated_at: i === 0 ? now : null,
    finished_at: null,
  }));
  await ctx.tx("document_approval_steps").insert(steps);
  await ctx.tx("document_approvers").insert(
    p.steps.flatMap((s, i) =>
      s.approvers.map((userId) => ({
        id: randomUUID(),
        step_id: steps[i].id,
        document_id: doc.id,
        user_id: userId,
        decision: null,
        comment: null,
        content_sha256: null,
        decided_at: null,
      })),
    ),
  );
  return transition(ctx, {
    doc,
    move: "submit",
    action: "document.approval.submit",
    to: "on_approval",
    side: "sender",
    comment: p.comment ?? null,
    details: { round, steps: p.steps },
    notify: p.steps[0].approvers.map((userId) => ({
      ...noticeAbout(doc, "document.approval_requested", "sender"),
      to: { userId },
    })),
  });
}

async function activeStep(ctx: CommandContext, documentId: string): Promise<StepRow | undefined> {
  return ctx
    .tx("document_approval_steps")
    .where({ document_id: documentId, status: "active" })
    .orderBy("round", "desc")
    .first();
}

export async function approvalDecider(
  ctx: CommandContext,
  p: { documentId: string } & ApprovalDecision,
): Promise<DocumentRow> {
  const doc = await loadDocument(ctx, p.documentId);
  authorizeDocument(ctx.actor, "document.read", documentSides(doc));
  assertMove(doc, "decide");
  const step = (await activeStep(ctx, doc.id))!;
  const approvers: ApproverRow[] = await ctx.tx("document_approvers").where({ step_id: step.id });
  const mine = approvers.find((a) => a.user_id === ctx.actor.userId);
  if (!mine) throw new ForbiddenError("not_an_approver", "You are not an approver of the current step");
  if (mine.decision)
    throw new ConflictError("already_decided", "You have already decided on this step", { decision: mine.decision });
  if (p.decision === "return" && !p.comment)
    throw new ValidationError("comment_required", "Say why the document is returned (comment)");
  const now = nowIso(ctx);
  await ctx
    .tx("document_approvers")
    .where({ id: mine.id })
    .update({
      decision: p.decision === "approve" ? "approved" : "returned",
      comment: p.comment ?? null,
      content_sha256: doc.content_sha256,
      decided_at: now,
    });
  const details = { round: step.round, step: step.position, decision: p.decision, contentSha256: doc.content_sha256 };
  const toAuthor = (topic: string, extra: Record<string, unknown> = {}) =>
    doc.created_by_type === "user"
      ? [{ ...noticeAbout(doc, topic, "sender", extra), to: { userId: doc.created_by } }]
      : [noticeAbout(doc, topic, "sender", extra)];

  if (p.decision === "return") {
    await ctx.tx("document_approval_steps").where({ id: step.id }).update({ status: "returned", finished_at: now });
    await ctx
      .tx("document_approval_steps")
      .where({ document_id: doc.id, round: step.round, status: "waiting" })
      .update({ status: "cancelled", finished_at: now });
    return transition(ctx, {
      doc,
      move: "decide",
      action: "document.approval.return",
      to: "returned",
      side: "sender",
      comment: p.comment,
      details,
      notify: toAuthor("document.returned", { comment: p.comment }),
    });
  }
  const approvedNow = approvers.filter((a) => a.decision === "approved").length + 1;
  const stepDone = step.mode === "any" || approvedNow === approvers.length;
  if (!stepDone) {
    return transition(ctx, {
      doc,
      move: "decide",
      action: "document.approval.approve",
      to: "on_approval",
      side: "sender",
      comment: p.comment ?? null,
      details,
    });
  }
  await ctx.tx("document_approval_steps").where({ id: step.id }).update({ status: "approved", finished_at: now });
  const next: StepRow | undefined = await ctx
    .tx("document_approval_steps")
    .where({ document_id: doc.id, round: step.round, position: step.position + 1 })
    .first();
  if (next) {
    await ctx.tx("document_approval_steps").where({ id: next.id }).update({ status: "active", activated_at: now });
    const nextApprovers: ApproverRow[] = await ctx.tx("document_approvers").where({ step_id: next.id });
    return transition(ctx, {
      doc,
      move: "decide",
      action: "document.approval.approve",
      to: "on_approval",
      side: "sender",
      comment: p.comment ?? null,
      details,
      notify: nextApprovers.map((a) => ({
        ...noticeAbout(doc, "document.approval_requested", "sender"),
        to: { userId: a.user_id },
      })),
    });
  }
  return transition(ctx, {
    doc,
    move: "decide",
    action: "document.approval.approve",
    to: "approved",
    side: "sender",
    comment: p.comment ?? null,
    details,
    // The route is done: the author hears of it, and the branch's signers are asked to sign.
    notify: [...toAuthor("document.approved"), noticeAbout(doc, "document.signature_requested", "sender")],
  });
}

/** The route of the latest round with every decision, for the document's detail view. */
export async function approvalRouteOf(db: CommandContext["tx"], documentId: string) {
  const steps: StepRow[] = await db("document_approval_steps")
    .where({ document_id: documentId })
    .orderBy([{ column: "round", order: "desc" }, "position"]);
  if (steps.length === 0) return null;
  const round = steps[0].round;
  const current = steps.filter((s) => s.round === round).sort((a, b) => a.position - b.position);
  const approvers: Array<ApproverRow & { full_name: string }> = await db("document_approvers as a")
    .join("users as u", "u.id", "a.user_id")
    .whereIn(
      "a.step_id",
      current.map((s) => s.id),
    )
    .select("a.*", "u.full_name");
  return {
    round,
    steps: current.map((s) => ({
      position: s.position,
      mode: s.mode,
      status: s.status,
      activatedAt: s.activated_at,
      finishedAt: s.finished_at,
      approvers: approvers
        .filter((a) => a.step_id === s.id)
        .map((a) => ({
          userId: a.user_id,
          name: a.full_name,
          decision: a.decision,
          comment: a.comment,
          contentSha256: a.content_sha256,
          decidedAt: a.decided_at,
        })),
    })),
  };
}
