// Retention policies (SPEC R5.1): versioned rules set by compliance officers. A change that could
// make any document go sooner — a shorter period, another trigger, scope or end action, a new rule
// below the default period, retiring a rule — waits for a second compliance officer (four eyes); a
// locked policy refuses such changes (extend-only).
import { randomUUID } from "node:crypto";
import { z } from "zod";

import { ConflictError, notFound, StateConflictError } from "../../errors.js";
import { type Tx } from "../../storage/db.js";
import { audit, nowIso, type CommandContext } from "../context.js";
import { KINDS } from "../shared/kinds.js";

import { END_ACTIONS, TRIGGERS } from "./rules.js";

import { assertSecondOfficer, authorizeCompliance } from "./compliance.js";
import { bumpEpoch } from "./facts.js";
import { displayName } from "../shared/text.js";
export const IsoDate = z.iso.date();

const Months = z.number().int().min(1).max(1200);

export const PolicyInput = z
  .strictObject({
    name: displayName(200),
    kind: z.enum(KINDS).nullable().default(null),
    organizationId: z.uuid().nullable().default(null),
    trigger: z.enum(TRIGGERS).default("registration"),
    event: z
      .string()
      .trim()
      .regex(/^[a-z][a-z0-9_]{1,63}$/, "snake_case, e.g. counterparty_relationship_ended")
      .nullable()
      .default(null),
    periodMonths: Months.default(120),
    endAction: z.enum(END_ACTIONS).default("destroy"),
    locked: z.boolean().default(false),
    reason: z.string().trim().max(1000).optional(),
  })
  .refine((p) => (p.trigger === "event") === (p.event !== null), {
    message: "an event trigger names its event (and only it does)",
    path: ["event"],
  });
export type PolicyInput = z.infer<typeof PolicyInput>;

export const PolicyChange = z.strictObject({
  name: displayName(200).optional(),
  kind: z.enum(KINDS).nullable().optional(),
  organizationId: z.uuid().nullable().optional(),
  trigger: z.enum(TRIGGERS).optional(),
  event: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9_]{1,63}$/)
    .nullable()
    .optional(),
  periodMonths: Months.optional(),
  endAction: z.enum(END_ACTIONS).optional(),
  /** retire the rule: its documents fall to the other rules */
  retire: z.boolean().optional(),
  /** lock the policy: from now on it may only be extended (cannot be undone) */
  locked: z.literal(true).optional(),
  reason: z.string().trim().min(1).max(1000),
});
export type PolicyChange = z.infer<typeof PolicyChange>;

export const Decision = z.strictObject({ approve: z.boolean(), comment: z.string().trim().max(2000).optional() });

export interface PolicyVersionRow {
  id: string;
  policy_id: string;
  version: number;
  name: string;
  kind: string | null;
  organization_id: string | null;
  trigger: string;
  event: string | null;
  period_months: number;
  end_action: string;
  state: string;
  proposed_by: string | null;
  proposed_at: string;
  reason: string | null;
  decided_by: string | null;
  decided_at: string | null;
}

export interface PolicyRow {
  id: string;
  current_version: number | null;
  locked: boolean | number;
  status: string;
  created_at: string;
  updated_at: string;
}

// ---------- who ----------

async function insertVersion(
  ctx: CommandContext,
  policyId: string,
  version: number,
  v: Omit<PolicyInput, "locked">,
  state: "active" | "pending",
) {
  const row: PolicyVersionRow = {
    id: randomUUID(),
    policy_id: policyId,
    version,
    name: v.name,
    kind: v.kind,
    organization_id: v.organizationId,
    trigger: v.trigger,
    event: v.event,
    period_months: v.periodMonths,
    end_action: v.endAction,
    state,
    proposed_by: ctx.actor.id,
    proposed_at: nowIso(ctx),
    reason: v.reason ?? null,
    decided_by: null,
    decided_at: null,
  };
  await ctx.tx("retention_policy_versions").insert(row);
  return row;
}

async function activate(ctx: CommandContext, policyId: string, v: PolicyVersionRow, retire = false) {
  await ctx
    .tx("retention_policy_versions")
    .where({ policy_id: policyId, state: "active" })
    .update({ state: "superseded" });
  await ctx
    .tx("retention_policy_versions")
    .where({ id: v.id })
    .update({ state: retire ? "superseded" : "active" });
  await ctx
    .tx("retention_policies")
    .where({ id: policyId })
    .update({ current_version: v.version, status: retire ? "retired" : "active", updated_at: nowIso(ctx) });
  await bumpEpoch(ctx.tx);
}

/** A new rule. Shorter than the default period it waits for a second officer: documents it covers would otherwise go sooner. */
export async function policyCreator(ctx: CommandContext, input: PolicyInput) {
  authorizeCompliance(ctx.actor, "retention.manage");
  if (input.organizationId && !(await ctx.tx("organizations").where({ id: input.organizationId }).first("id")))
    throw notFound();
  const id = randomUUID();
  const now = nowIso(ctx);
  await ctx
    .tx("retention_policies")
    .insert({ id, current_version: null, locked: input.locked, status: "active", created_at: now, updated_at: now });
  // Only a rule from registration at least as long as the default can never make a document go sooner.
  const needsApproval = input.trigger !== "registration" || input.periodMonths < ctx.config.retention.defaultMonths;
  const v = await insertVersion(ctx, id, 1, input, needsApproval ? "pending" : "active");
  if (!needsApproval) await activate(ctx, id, v);
  await audit(ctx, {
    action: "retention.policy_create",
    target: { type: "retention_policy", id },
    organizationId: input.organizationId,
    details: {
      version: 1,
      state: v.state,
      kind: input.kind,
      trigger: input.trigger,
      event: input.event,
      periodMonths: input.periodMonths,
      endAction: input.endAction,
      locked: input.locked,
    },
  });
  return policyById(ctx.tx, id);
}

const shortens = (from: PolicyVersionRow, to: Omit<PolicyInput, "locked">, retire: boolean) =>
  retire ||
  to.periodMonths < Number(from.period_months) ||
  to.trigger !== from.trigger ||
  to.event !== from.event ||
  to.kind !== from.kind ||
  to.organizationId !== from.organization_id ||
  (from.end_action === "review" && to.endAction === "destroy");

/** A new version of a rule: in force at once when it only extends, else pending a second officer (refused outright when locked). */
export async function policyChanger(ctx: CommandContext, policyId: string, change: PolicyChange) {
  authorizeCompliance(ctx.actor, "retention.manage");
  const policy: PolicyRow | undefined = await ctx.tx("retention_policies").where({ id: policyId }).first();
  if (!policy) throw notFound();
  if (policy.status === "retired") throw new StateConflictError("policy_retired", "The policy is retired");
  const versions: PolicyVersionRow[] = await ctx
    .tx("retention_policy_versions")
    .where({ policy_id: policyId })
    .orderBy("version", "desc");
  if (versions.some((v) => v.state === "pending"))
    throw new ConflictError(
      "approval_pending",
      "A change of this policy already waits for approval: approve or reject it first",
    );
  const current = versions.find((v) => v.state === "active")!;
  const next = {
    name: change.name ?? current.name,
    kind: change.kind !== undefined ? change.kind : (current.kind as PolicyInput["kind"]),
    organizationId: change.organizationId !== undefined ? change.organizationId : current.organization_id,
    trigger: change.trigger ?? (current.trigger as PolicyInput["trigger"]),
    event: change.event !== undefined ? change.event : current.event,
    periodMonths: change.periodMonths ?? Number(current.period_months),
    endAction: change.endAction ?? (current.end_action as PolicyInput["endAction"]),
    reason: change.reason,
  };
  if ((next.trigger === "event") !== (next.event !== null))
    throw new ConflictError("invalid_trigger", "An event trigger names its event (and only it does)");
  const retire = change.retire === true;
  const shorter = shortens(current, next, retire);
  if (shorter && policy.locked) {
    throw new StateConflictError(
      "policy_locked",
      "The policy is locked: it may only be extended (a longer period, review instead of destroy)",
      { policyId, currentVersion: current.version },
    );
  }
  if (change.locked) await ctx.tx("retention_policies").where({ id: policyId }).update({ locked: true });
  const v = await insertVersion(ctx, policyId, versions[0].version + 1, next, shorter ? "pending" : "active");
  if (!shorter) await activate(ctx, policyId, v);
  if (shorter && retire)
    await ctx
      .tx("retention_policy_versions")
      .where({ id: v.id })
      .update({ reason: `retire: ${change.reason}` });
  await audit(ctx, {
    action: "retention.policy_change",
    target: { type: "retention_policy", id: policyId },
    organizationId: next.organizationId,
    details: {
      version: v.version,
      state: v.state,
      retire,
      shortens: shorter,
      locked: Boolean(change.locked || policy.locked),
      periodMonths: next.periodMonths,
      endAction: next.endAction,
      reason: change.reason,
    },
  });
  return policyById(ctx.tx, policyId);
}

/** The second officer approves or rejects a pending version. */
export async function policyDecider(
  ctx: CommandContext,
  policyId: string,
  version: number,
  decision: z.infer<typeof Decision>,
) {
  authorizeCompliance(ctx.actor, "retention.approve");
  const v: PolicyVersionRow | undefined = await ctx
    .tx("retention_policy_versions")
    .where({ policy_id: policyId, version })
    .first();
  if (!v) throw notFound();
  if (v.state !== "pending")
    throw new StateConflictError("not_pending", `Version ${version} is ${v.state}, not waiting for approval`, {
      state: v.state,
    });
  assertSecondOfficer(ctx.actor, v.proposed_by, "A retention change that shortens retention");
  const policy: PolicyRow = (await ctx.tx("retention_policies").where({ id: policyId }).first())!;
  const retire = Boolean(v.reason?.startsWith("retire: "));
  if (decision.approve && policy.locked && policy.current_version !== null) {
    // Locked after this change was proposed: it may no longer shorten.
    throw new StateConflictError(
      "policy_locked",
      "The policy was locked after this change was proposed: it may only be extended",
    );
  }
  await ctx
    .tx("retention_policy_versions")
    .where({ id: v.id })
    .update({ decided_by: ctx.actor.id, decided_at: nowIso(ctx), state: decision.approve ? v.state : "rejected" });
  if (decision.approve) await activate(ctx, policyId, v, retire);
  await audit(ctx, {
    action: decision.approve ? "retention.policy_approve" : "retention.policy_reject",
    target: { type: "retention_policy", id: policyId },
    organizationId: v.organization_id,
    details: { version, comment: decision.comment ?? null, proposedBy: v.proposed_by },
  });
  return policyById(ctx.tx, policyId);
}

export async function policyById(db: Tx, id: string) {
  const p: PolicyRow | undefined = await db("retention_policies").where({ id }).first();
  if (!p) throw notFound();
  const versions: PolicyVersionRow[] = await db("retention_policy_versions")
    .where({ policy_id: id })
    .orderBy("version", "desc");
  return presentPolicy(p, versions);
}

export async function policiesList(db: Tx) {
  const [policies, versions]: [PolicyRow[], PolicyVersionRow[]] = await Promise.all([
    db("retention_policies").orderBy("created_at"),
    db("retention_policy_versions").orderBy([{ column: "policy_id" }, { column: "version", order: "desc" }]),
  ]);
  return policies.map((p) =>
    presentPolicy(
      p,
      versions.filter((v) => v.policy_id === p.id),
    ),
  );
}

export const presentVersion = (v: PolicyVersionRow) => ({
  id: v.id,
  version: Number(v.version),
  name: v.name,
  kind: v.kind,
  organizationId: v.organization_id,
  trigger: v.trigger,
  event: v.event,
  periodMonths: Number(v.period_months),
  endAction: v.end_action,
  state: v.state,
  proposedBy: v.proposed_by,
  proposedAt: v.proposed_at,
  reason: v.reason,
  decidedBy: v.decided_by,
  decidedAt: v.decided_at,
});

function presentPolicy(p: PolicyRow, versions: PolicyVersionRow[]) {
  const current = versions.find((v) => v.state === "active") ?? null;
  return {
    id: p.id,
    status: p.status,
    locked: Boolean(p.locked),
    currentVersion: p.current_version === null ? null : Number(p.current_version),
    current: current ? presentVersion(current) : null,
    pending: versions.filter((v) => v.state === "pending").map(presentVersion),
    versions: versions.map(presentVersion),
    createdAt: p.created_at,
    updatedAt: p.updated_at,
  };
}

// ---------- events, contract ends, early destruction ----------
