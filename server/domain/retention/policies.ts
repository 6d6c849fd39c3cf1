// Retention policies (SPEC R5.1, R5.2): versioned rules set by compliance officers; the events and
// contract ends some of them start from; early destruction at a participant's request; and the
// assignment of every document's retain-until date from them (rules.ts decides the dates).
//
// A change that could make any document go sooner — a shorter period, another trigger, scope or
// end action, a new rule below the default period, retiring a rule — waits for a second compliance
// officer (four eyes); a locked policy refuses such changes (extend-only). Everything that decides
// dates bumps retention_state.epoch; the assigner brings the documents' dates up to that epoch, and
// a disposition previewed under an older epoch must be previewed again.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { Config } from "../../config/index.js";
import { AccessDeniedError, ConflictError, ForbiddenError, notFound, StateConflictError } from "../../errors.js";
import { isPostgres, sqlRows, type Db, type Tx } from "../../storage/db.js";
import { audit, nowIso, type CommandContext } from "../context.js";
import { KINDS } from "../shared/kinds.js";
import type { DocumentRecords } from "./documentRecords.js";
import { covers, hasRole } from "../identity/policy.js";
import { organizationById } from "../identity/queries.js";
import type { Actor } from "../identity/roles.js";
import {
  END_ACTIONS,
  retentionOf,
  TRIGGERS,
  type PartyFacts,
  type RetainedDocument,
  type RetentionFacts,
  type Rule,
} from "./rules.js";
import { organizationFactsWriter } from "../identity/records.js";

const IsoDate = z.iso.date();
const Months = z.number().int().min(1).max(1200);

export const PolicyInput = z
  .strictObject({
    name: z.string().trim().min(1).max(200),
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
  name: z.string().trim().min(1).max(200).optional(),
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

export const isComplianceOfficer = (a: Actor) => a.type === "system" || hasRole(a, "compliance_officer");

/** Retention, holds and disposition are the compliance officers' (R5.5): system administrators only read. */
export function authorizeCompliance(actor: Actor, action: string, read = false): void {
  if (isComplianceOfficer(actor) || (read && hasRole(actor, "system_admin"))) return;
  throw new AccessDeniedError(action, { type: "retention", id: null, organizationId: null }, false);
}

/** Four eyes: whoever proposed may not decide. */
export function assertSecondOfficer(actor: Actor, proposedBy: string | null, what: string): void {
  if (actor.id !== null && actor.id === proposedBy) {
    throw new ForbiddenError(
      "same_officer",
      `${what} must be approved by another compliance officer than the one who proposed it`,
    );
  }
}

// ---------- facts and assignment ----------

export async function bumpEpoch(tx: Tx): Promise<void> {
  await tx("retention_state").where({ id: 1 }).increment("epoch", 1);
}

export async function retentionEpoch(db: Tx): Promise<{ epoch: number; assignedEpoch: number }> {
  const r = await db("retention_state").where({ id: 1 }).first();
  return { epoch: Number(r.epoch), assignedEpoch: Number(r.assigned_epoch) };
}

const ruleOf = (v: PolicyVersionRow): Rule => ({
  versionId: v.id,
  kind: v.kind,
  organizationId: v.organization_id,
  trigger: v.trigger as Rule["trigger"],
  event: v.event,
  periodMonths: Number(v.period_months),
  endAction: v.end_action as Rule["endAction"],
});

/** What decides retain-until dates now: the active rule versions, and each party's contract end, early destruction and events. */
export async function retentionFacts(db: Tx, config: Config): Promise<RetentionFacts> {
  // One after another: inside a transaction they share one connection.
  const versions: PolicyVersionRow[] = await db("retention_policy_versions").where({ state: "active" });
  const orgs = await db("organizations")
    .where((w) => w.whereNotNull("contract_ended_on").orWhereNotNull("early_destruction_on"))
    .select("id", "contract_ended_on", "early_destruction_on", "early_destruction_before");
  const events = await db("retention_events").select(
    "event",
    "organization_id",
    "counterparty_organization_id",
    "occurred_on",
  );
  const parties = new Map<string, PartyFacts>();
  const party = (id: string) => {
    let p = parties.get(id);
    if (!p)
      parties.set(
        id,
        (p = { contractEndedOn: null, earlyDestructionOn: null, earlyDestructionBefore: null, events: new Map() }),
      );
    return p;
  };
  for (const o of orgs)
    Object.assign(party(o.id), {
      contractEndedOn: o.contract_ended_on,
      earlyDestructionOn: o.early_destruction_on,
      earlyDestructionBefore: o.early_destruction_before,
    });
  for (const e of events) {
    const p = party(e.organization_id);
    p.events.set(e.event, [
      ...(p.events.get(e.event) ?? []),
      { on: e.occurred_on, counterpartyId: e.counterparty_organization_id },
    ]);
  }
  return {
    rules: versions.map(ruleOf),
    parties,
    defaultMonths: config.retention.defaultMonths,
    afterContractMonths: config.retention.afterContractMonths,
  };
}

/**
 * The facts of the epoch last read, kept by the appliance for registrations: every change to a
 * fact (rule versions, contract ends, early destruction, events) bumps the epoch in its own
 * transaction, so facts read under an epoch stay true until the epoch moves.
 */
export class RetentionFactsCache {
  private held: { epoch: number; facts: RetentionFacts } | null = null;

  async get(tx: Tx, config: Config, epoch: number): Promise<RetentionFacts> {
    if (this.held?.epoch === epoch) return this.held.facts;
    const facts = await retentionFacts(tx, config);
    this.held = { epoch, facts };
    return facts;
  }

  /** The facts of `epoch` when they are the ones held, else null (nothing is read). */
  at(epoch: number): RetentionFacts | null {
    return this.held?.epoch === epoch ? this.held.facts : null;
  }
}

/** The retention columns of documents being registered, under `facts`. */
export function retentionColumns(facts: RetentionFacts) {
  return (docs: RetainedDocument[]) =>
    docs.map((d) => {
      const r = retentionOf(d, facts);
      return { retain_until: r.retainUntil, retention_version_id: r.versionId, retention_action: r.action };
    });
}

/**
 * The retention columns for documents being registered, as a function of the documents: the facts
 * are read first, so a registration can read them together with its other reads. Reads the epoch
 * FOR SHARE on PostgreSQL, so a policy change (which bumps it) waits for registrations in flight
 * and the assigner that follows it sees their rows. With a cache, the facts are read only when the
 * epoch has moved.
 */
export async function retentionForRegistration(tx: Tx, config: Config, cache?: RetentionFactsCache) {
  const [{ epoch }] = await sqlRows<{ epoch: number | string }>(
    tx,
    `select "epoch" from "retention_state" where "id" = 1${isPostgres(tx) ? " for share" : ""}`,
  );
  return retentionColumns(cache ? await cache.get(tx, config, Number(epoch)) : await retentionFacts(tx, config));
}

const ASSIGN_COLUMNS = [
  "id",
  "kind",
  "created_at",
  "doc_date",
  "fields",
  "sender_organization_id",
  "recipient_organization_id",
  "retain_until",
  "retention_version_id",
  "retention_action",
];

/**
 * Brings every live document's retain-until date up to the current epoch, a page of documents per
 * transaction (keyset by id), writing only the rows whose dates change. Idempotent; safe to run again.
 */
export async function retentionAssigner(
  db: Db,
  config: Config,
  records: DocumentRecords,
  pageSize = 2000,
): Promise<{ epoch: number; changed: number }> {
  const { epoch } = await retentionEpoch(db);
  const facts = await retentionFacts(db, config);
  let after = "";
  let changed = 0;
  for (;;) {
    const rows: Array<
      RetainedDocument & {
        id: string;
        retain_until: string | null;
        retention_version_id: string | null;
        retention_action: string;
      }
    > = await db("documents")
      .select(ASSIGN_COLUMNS)
      .whereNot("status", "destroyed")
      .where("id", ">", after)
      .orderBy("id")
      .limit(pageSize);
    if (rows.length === 0) break;
    after = rows[rows.length - 1].id;
    const updates = rows.flatMap((d) => {
      const r = retentionOf(d, facts);
      return r.retainUntil === d.retain_until &&
        r.versionId === d.retention_version_id &&
        r.action === d.retention_action
        ? []
        : [{ id: d.id, ...r }];
    });
    if (updates.length) {
      await db.transaction((tx) => records.retentionDatesWriter(tx, updates));
      changed += updates.length;
    }
    if (rows.length < pageSize) break;
  }
  await db("retention_state").where({ id: 1 }).where("assigned_epoch", "<", epoch).update({ assigned_epoch: epoch });
  return { epoch, changed };
}

// ---------- policies ----------

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
    throw notFound("Organization");
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
  if (!policy) throw notFound("Retention policy");
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
  if (!v) throw notFound("Policy version");
  if (v.state !== "pending")
    throw new StateConflictError("not_pending", `Version ${version} is ${v.state}, not waiting for approval`, {
      state: v.state,
    });
  assertSecondOfficer(ctx.actor, v.proposed_by, "A retention change that shortens retention");
  const policy: PolicyRow = await ctx.tx("retention_policies").where({ id: policyId }).first();
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
  if (!p) throw notFound("Retention policy");
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

export const RetentionEvent = z.strictObject({
  event: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9_]{1,63}$/, "snake_case, e.g. counterparty_relationship_ended"),
  organizationId: z.uuid(),
  counterpartyOrganizationId: z.uuid().optional(),
  occurredOn: IsoDate,
});

/** Records an event rules may start from (e.g. "the relationship with this counterparty ended"). */
export async function retentionEventRecorder(ctx: CommandContext, p: z.infer<typeof RetentionEvent>) {
  authorizeCompliance(ctx.actor, "retention.manage");
  for (const id of [p.organizationId, p.counterpartyOrganizationId].filter(Boolean) as string[]) {
    if (!(await ctx.tx("organizations").where({ id }).first("id"))) throw notFound("Organization");
  }
  const row = {
    id: randomUUID(),
    event: p.event,
    organization_id: p.organizationId,
    counterparty_organization_id: p.counterpartyOrganizationId ?? null,
    occurred_on: p.occurredOn,
    recorded_by: ctx.actor.id,
    created_at: nowIso(ctx),
  };
  await ctx.tx("retention_events").insert(row);
  await bumpEpoch(ctx.tx);
  await audit(ctx, {
    action: "retention.event",
    target: { type: "organization", id: p.organizationId },
    organizationId: p.organizationId,
    details: { event: p.event, counterpartyOrganizationId: row.counterparty_organization_id, occurredOn: p.occurredOn },
  });
  return {
    id: row.id,
    event: row.event,
    organizationId: row.organization_id,
    counterpartyOrganizationId: row.counterparty_organization_id,
    occurredOn: row.occurred_on,
    createdAt: row.created_at,
  };
}

/** R5.2: the participant's contract with the operator ended on `endedOn` (the billing job records it when a head office's subscription is terminated). */
export async function contractEndRecorder(ctx: CommandContext, p: { organizationId: string; endedOn: string | null }) {
  const n = await organizationFactsWriter(ctx.tx, p.organizationId, { contract_ended_on: p.endedOn }, nowIso(ctx));
  if (n !== 1) throw notFound("Organization");
  await bumpEpoch(ctx.tx);
  await audit(ctx, {
    action: "organization.contract_end",
    target: { type: "organization", id: p.organizationId },
    organizationId: p.organizationId,
    details: { endedOn: p.endedOn },
  });
}

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
  if (!org) throw notFound("Organization");
  const allowed = ctx.actor.grants.some(
    (g) => (g.role === "org_admin" || g.role === "head") && covers(g, p.organizationId, org.root.path),
  );
  if (!allowed)
    throw new AccessDeniedError(
      "retention.early_destruction",
      { type: "organization", id: p.organizationId, organizationId: p.organizationId },
      false,
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
  if (!r) throw notFound("Early destruction request");
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
  return presentEarlyDestruction(await ctx.tx("early_destruction_requests").where({ id }).first());
}

/** Recorded retention events (a contract ended, a dispute opened…), newest first. */
export function retentionEventsListed(db: Tx, limit: number): Promise<Array<Record<string, any>>> {
  return db("retention_events").orderBy("created_at", "desc").limit(limit);
}

/** Early destruction requests, newest first. */
export function earlyDestructionRequests(db: Tx, limit: number): Promise<EarlyDestructionRow[]> {
  return db("early_destruction_requests").orderBy("requested_at", "desc").limit(limit);
}
