// Branch trees (SPEC R1.1, R1.9): a branch under another, renamed or moved within its organization
// (its subtree's paths follow), blocked and unblocked by the organization's administrators.
import { randomUUID } from "node:crypto";
import { ValidationError, notFound, StateConflictError } from "../../errors.js";

import { audit, nowIso, type CommandContext } from "../context.js";

import { authorize, can } from "./policy.js";
import { branchById, branchResource, type BranchRow } from "./queries.js";

async function visibleBranch(ctx: CommandContext, id: string) {
  const b = await branchById(ctx.tx, id);
  if (!b) throw notFound();
  const res = branchResource(b);
  return { b, res, visible: can(ctx.actor, "branch.read", res) };
}

export async function branchCreator(
  ctx: CommandContext,
  p: { organizationId: string; parentId: string; name: string },
) {
  const { b: parent, res, visible } = await visibleBranch(ctx, p.parentId);
  if (parent.organization_id !== p.organizationId) throw notFound();
  authorize(ctx.actor, "branch.create", res, visible);
  const id = randomUUID();
  const now = nowIso(ctx);
  await ctx.tx("branches").insert({
    id,
    organization_id: p.organizationId,
    parent_id: parent.id,
    name: p.name,
    path: `${parent.path}${id}/`,
    status: "active",
    block_reason: null,
    created_at: now,
    updated_at: now,
  });
  await audit(ctx, {
    action: "branch.create",
    target: { type: "branch", id },
    organizationId: p.organizationId,
    details: { name: p.name, parentId: parent.id },
  });
  return (await branchById(ctx.tx, id))!;
}

export async function branchUpdater(ctx: CommandContext, p: { id: string; name?: string; parentId?: string }) {
  const { b, res, visible } = await visibleBranch(ctx, p.id);
  authorize(ctx.actor, "branch.update", res, visible);
  const now = nowIso(ctx);
  if (p.name !== undefined) await ctx.tx("branches").where({ id: b.id }).update({ name: p.name, updated_at: now });
  if (p.parentId !== undefined && p.parentId !== b.parent_id) {
    if (b.parent_id === null)
      throw new StateConflictError("head_office_fixed", "The head office is the root of the tree and cannot be moved");
    const { b: target, res: targetRes, visible: targetVisible } = await visibleBranch(ctx, p.parentId);
    if (target.organization_id !== b.organization_id)
      throw new ValidationError("other_organization", "A branch can only move within its organization", {
        field: "parentId",
      });
    authorize(ctx.actor, "branch.update", targetRes, targetVisible);
    if (target.path.startsWith(b.path))
      throw new StateConflictError("cycle", "A branch cannot move under itself or its own sub-branch");
    const newPath = `${target.path}${b.id}/`;
    const subtree: BranchRow[] = await ctx.tx("branches").where("path", "like", `${b.path}%`);
    for (const s of subtree) {
      await ctx
        .tx("branches")
        .where({ id: s.id })
        .update({ path: newPath + s.path.slice(b.path.length), updated_at: now });
    }
    await ctx.tx("branches").where({ id: b.id }).update({ parent_id: target.id });
  }
  await audit(ctx, {
    action: "branch.update",
    target: { type: "branch", id: b.id },
    organizationId: b.organization_id,
    details: { before: { name: b.name, parentId: b.parent_id }, changes: { name: p.name, parentId: p.parentId } },
  });
  return (await branchById(ctx.tx, b.id))!;
}

export async function branchBlocker(ctx: CommandContext, p: { id: string; blocked: boolean; reason?: string }) {
  const { b, res, visible } = await visibleBranch(ctx, p.id);
  authorize(ctx.actor, "branch.block", res, visible);
  const status = p.blocked ? "blocked" : "active";
  if (b.status === status)
    throw new StateConflictError(`already_${status}` as const, `Branch is already ${status}`, { status });
  await ctx
    .tx("branches")
    .where({ id: b.id })
    .update({ status, block_reason: p.blocked ? p.reason : null, updated_at: nowIso(ctx) });
  await audit(ctx, {
    action: p.blocked ? "branch.block" : "branch.unblock",
    target: { type: "branch", id: b.id },
    organizationId: b.organization_id,
    details: { reason: p.reason ?? null },
  });
  return (await branchById(ctx.tx, b.id))!;
}
