// Subscriptions (SPEC R4.2, R4.6-R4.8): a branch — or the head office, for the whole organization —
// on a plan for a term, paid by itself or by a sponsor. The subscription that covers a branch is the
// nearest one on its path to the head office. Participants ask for suspension (still billed),
// a plan change (on the 1st after a week's notice) or termination (with notice).
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { ConflictError, notFound, StateConflictError, ValidationError } from "../../errors.js";
import type { Tx } from "../../storage/db.js";
import { audit, nowIso, type CommandContext } from "../context.js";
import { authorize, billingReadScope, can } from "../identity/policy.js";
import type { Actor } from "../identity/roles.js";
import { branchWithOrganization, orWhereInScope } from "../identity/queries.js";
import { addDays, addMonths } from "../shared/days.js";
import { invoicesIssuer, type InvoiceDraft, type InvoiceRow, type PaymentTerms } from "./invoices.js";
import { formatAmount } from "../shared/money.js";
import { billingNoticeWriter, changeDay, choosablePlan, planById, type PlanRow } from "./plans.js";
import type { AuditRow } from "../audit/chain.js";
import { presentAuditEntry } from "../audit/queries.js";
import { applianceDay } from "../shared/zones.js";

export type SubscriptionStatus = "active" | "suspended" | "ended" | "terminated";
export type BlockStage = "blocked" | "suspended" | "full";

export interface SubscriptionRow {
  id: string;
  organization_id: string;
  branch_id: string;
  branch_path: string;
  payer_organization_id: string;
  plan_id: string;
  payment_terms: PaymentTerms;
  status: SubscriptionStatus;
  period_start: string;
  period_end: string;
  auto_renew: boolean | number;
  used_documents: number | string;
  used_bytes: number | string;
  suspended_from: string | null;
  suspended_until: string | null;
  terminates_on: string | null;
  pending_plan_id: string | null;
  pending_plan_on: string | null;
  block_stage: BlockStage | null;
  blocked_at: string | null;
  blocked_invoice_id: string | null;
  ended_reason: string | null;
  created_at: string;
  updated_at: string;
}

export const LIVE: SubscriptionStatus[] = ["active", "suspended"];

export const presentSubscription = (s: SubscriptionRow, plan?: PlanRow) => ({
  id: s.id,
  organizationId: s.organization_id,
  branchId: s.branch_id,
  payerOrganizationId: s.payer_organization_id,
  planId: s.plan_id,
  ...(plan ? { planCode: plan.code, planName: plan.name } : {}),
  paymentTerms: s.payment_terms,
  status: s.status,
  periodStart: s.period_start,
  periodEnd: s.period_end,
  autoRenew: Boolean(s.auto_renew),
  usage: { documents: Number(s.used_documents), storageBytes: Number(s.used_bytes) },
  suspension: s.suspended_from ? { from: s.suspended_from, until: s.suspended_until } : null,
  terminatesOn: s.terminates_on,
  pendingPlan: s.pending_plan_id ? { planId: s.pending_plan_id, effectiveOn: s.pending_plan_on } : null,
  block: s.block_stage ? { stage: s.block_stage, since: s.blocked_at, invoiceId: s.blocked_invoice_id } : null,
  endedReason: s.ended_reason,
});

/** The branch ids on a materialized path "/root/child/…/" (the branch itself last). */
export const pathIds = (path: string) => path.split("/").filter(Boolean);

/**
 * The subscription that covers a branch: the newest one on the nearest branch of its path (itself,
 * then up to the head office) that has any. Null: billing is not used for this branch.
 */
export async function coveringSubscription(tx: Tx, branchPath: string): Promise<SubscriptionRow | null> {
  const ids = pathIds(branchPath);
  const rows: SubscriptionRow[] = await tx("subscriptions").whereIn("branch_id", ids).orderBy("created_at", "desc");
  if (rows.length === 0) return null;
  for (const id of ids.reverse()) {
    const own = rows.filter((r) => r.branch_id === id);
    if (own.length) return own.find((r) => LIVE.includes(r.status)) ?? own[0];
  }
  return null;
}

export async function subscriptionById(tx: Tx, id: string): Promise<SubscriptionRow> {
  const s: SubscriptionRow | undefined = await tx("subscriptions").where({ id }).first();
  if (!s) throw notFound();
  return s;
}

async function authorizeSubscription(
  ctx: CommandContext,
  s: SubscriptionRow,
  action: "billing.read" | "billing.manage" | "subscription.request",
) {
  const branch = { type: "branch" as const, id: s.branch_id, organizationId: s.organization_id, path: s.branch_path };
  // A subscription the actor may not read is not revealed by a 403 for what he may not do with it.
  // Its own organization's people (and the appliance's staff) learn it exists; no one else does.
  const visible =
    can(ctx.actor, "billing.read", branch) ||
    ctx.actor.grants.some((g) => g.organizationId === null || g.organizationId === s.organization_id);
  authorize(ctx.actor, action, branch, action !== "billing.read" && visible);
}

export async function readableSubscription(ctx: CommandContext, id: string) {
  const s = await subscriptionById(ctx.tx, id);
  await authorizeSubscription(ctx, s, "billing.read");
  return s;
}

/**
 * What billing did to a subscription, newest first: subscribing, renewals, suspensions, its
 * invoices (issued, noticed overdue, paid), blocks and their lifting (recorded against the branch,
 * naming the subscription).
 */
export async function subscriptionHistory(tx: Tx, s: SubscriptionRow, limit = 200) {
  const branchId = (await branchWithOrganization(tx, { organizationId: s.organization_id, branchId: s.branch_id }))
    ?.branch.id;
  const invoices: string[] = (
    await tx("invoices").where({ subscription_id: s.id }).orderBy("created_at", "desc").limit(limit).select("id")
  ).map((r: { id: string }) => r.id);
  const rows: AuditRow[] = await tx("audit_log")
    .whereIn(
      "target_id",
      [s.id, ...invoices, branchId].filter((x): x is string => Boolean(x)),
    )
    .where("action", "like", "billing.%")
    .orderBy("seq", "desc")
    .limit(limit * 2);
  // Entries about the branch count when they name this subscription (a branch may change subscriptions).
  return rows
    .filter((r) => r.target_id !== branchId || JSON.parse(r.details ?? "{}").subscriptionId === s.id)
    .slice(0, limit)
    .map((r) => presentAuditEntry(r));
}

export const SubscriptionInput = z.strictObject({
  organizationId: z.uuid(),
  /** the branch subscribed; absent: the head office (the whole organization) */
  branchId: z.uuid().optional(),
  planId: z.uuid(),
  /** a sponsor organization paying for this one (R4.8); absent: the organization itself */
  payerOrganizationId: z.uuid().optional(),
  paymentTerms: z.enum(["standard", "prepaid", "credit"]).optional(),
  startOn: z.iso.date().optional(),
  autoRenew: z.boolean().optional(),
});

/** Subscribes a branch (the billing operator) and issues the first term's invoice. */
export async function subscriptionCreator(
  ctx: CommandContext,
  p: z.infer<typeof SubscriptionInput>,
): Promise<{ subscription: SubscriptionRow; invoice: InvoiceRow | null }> {
  authorize(ctx.actor, "billing.manage", { type: "appliance" });
  return subscriptionInserter(ctx, p);
}

/**
 * SPEC R4.1: a new participant is on the default plan (Demo) until the operator chooses another,
 * so every participant is metered. Its head office is subscribed now; nothing when no default plan
 * is configured or active, or the branch already has a live subscription.
 */
export async function defaultPlanSubscriber(
  ctx: CommandContext,
  organizationId: string,
): Promise<SubscriptionRow | null> {
  const code = ctx.config.billing.defaultPlanCode;
  if (!code) return null;
  const plan: PlanRow | undefined = await ctx.tx("tariff_plans").where({ code, status: "active" }).first();
  if (!plan) return null;
  const found = await branchWithOrganization(ctx.tx, { organizationId, branchId: null });
  if (!found) return null;
  if (await ctx.tx("subscriptions").where({ branch_id: found.branch.id }).whereIn("status", LIVE).first("id"))
    return null;
  return (await subscriptionInserter(ctx, { organizationId, planId: plan.id })).subscription;
}

async function subscriptionInserter(
  ctx: CommandContext,
  p: z.infer<typeof SubscriptionInput>,
): Promise<{ subscription: SubscriptionRow; invoice: InvoiceRow | null }> {
  const found = await branchWithOrganization(ctx.tx, {
    organizationId: p.organizationId,
    branchId: p.branchId ?? null,
  });
  if (!found) throw notFound();
  const plan = await planById(ctx.tx, p.planId);
  if (plan.status !== "active")
    throw new StateConflictError(
      "plan_closed",
      `Plan ${plan.code} is closed; subscribe to ${plan.successor_id ? "its successor" : "an active plan"}`,
      { successorId: plan.successor_id },
    );
  const payer = p.payerOrganizationId ?? p.organizationId;
  if (!(await ctx.tx("organizations").where({ id: payer }).first("id"))) throw notFound();
  const today = applianceDay(ctx.clock.now());
  const start = p.startOn ?? today;
  if (start < today) throw new ValidationError("date_in_past", "startOn cannot be in the past", { field: "startOn" });
  const now = nowIso(ctx);
  const live: SubscriptionRow | undefined = await ctx
    .tx("subscriptions")
    .where({ branch_id: found.branch.id })
    .whereIn("status", LIVE)
    .first();
  // The default plan a participant was given is replaced by the operator's choice; its stored
  // bytes go with the branch to the new subscription.
  const defaultPlan = ctx.config.billing.defaultPlanCode;
  const replaceable =
    live && defaultPlan && (await ctx.tx("tariff_plans").where({ id: live.plan_id, code: defaultPlan }).first("id"));
  if (live && !replaceable) {
    throw new ConflictError(
      "subscription_exists",
      "This branch already has a live subscription; change its plan instead",
    );
  }
  if (live)
    await ctx
      .tx("subscriptions")
      .where({ id: live.id })
      .update({ status: "ended", ended_reason: `replaced by plan ${plan.code}`, updated_at: now });
  const row: SubscriptionRow = {
    id: randomUUID(),
    organization_id: found.org.id,
    branch_id: found.branch.id,
    branch_path: found.branch.path,
    payer_organization_id: payer,
    plan_id: plan.id,
    payment_terms: p.paymentTerms ?? "standard",
    status: "active",
    period_start: start,
    period_end: addMonths(start, Number(plan.term_months)),
    auto_renew: p.autoRenew ?? true,
    used_documents: 0,
    used_bytes: live ? Number(live.used_bytes) : 0,
    suspended_from: null,
    suspended_until: null,
    terminates_on: null,
    pending_plan_id: null,
    pending_plan_on: null,
    block_stage: null,
    blocked_at: null,
    blocked_invoice_id: null,
    ended_reason: null,
    created_at: now,
    updated_at: now,
  };
  await ctx.tx("subscriptions").insert(row);
  await audit(ctx, {
    action: "billing.subscribe",
    target: { type: "subscription", id: row.id },
    organizationId: row.organization_id,
    details: {
      branchId: row.branch_id,
      planId: plan.id,
      payerOrganizationId: payer,
      periodStart: row.period_start,
      periodEnd: row.period_end,
      paymentTerms: row.payment_terms,
    },
  });
  const [invoice] =
    BigInt(plan.price_minor) > 0n
      ? await invoicesIssuer(ctx, [termInvoice(row, plan, "subscription", row.period_start, row.period_end)])
      : [null];
  return { subscription: row, invoice: invoice ?? null };
}

export function termInvoice(
  s: SubscriptionRow,
  plan: PlanRow,
  kind: "subscription" | "renewal",
  from: string,
  to: string,
): InvoiceDraft {
  return {
    kind,
    subscription: s,
    currency: plan.currency,
    vatExempt: Boolean(plan.vat_exempt),
    periodFrom: from,
    periodTo: to,
    lines: [
      {
        description: `Subscription to the "${plan.name}" plan, ${from} – ${addDays(to, -1)}`,
        unitPriceMinor: BigInt(plan.price_minor),
      },
    ],
  };
}

export const SuspensionInput = z.strictObject({
  from: z.iso.date(),
  until: z.iso.date(),
  reason: z.string().trim().min(1).max(1000),
});

/**
 * SPEC R4.7 [000 §14.4]: on the participant's request, service is suspended for the period asked —
 * no outgoing work, incoming still readable — without terminating, and still billed for it.
 */
export async function subscriptionSuspender(ctx: CommandContext, p: { id: string } & z.infer<typeof SuspensionInput>) {
  const s = await subscriptionById(ctx.tx, p.id);
  await authorizeSubscription(ctx, s, "subscription.request");
  if (!LIVE.includes(s.status))
    throw new StateConflictError("subscription_not_live", `The subscription is ${s.status}`);
  const today = applianceDay(ctx.clock.now());
  if (p.from < today) throw new ValidationError("date_in_past", "from cannot be in the past", { field: "from" });
  if (p.until <= p.from) throw new ValidationError("invalid_period", "until must be after from", { field: "until" });
  const status = p.from <= today ? "suspended" : s.status;
  await ctx
    .tx("subscriptions")
    .where({ id: s.id })
    .update({ suspended_from: p.from, suspended_until: p.until, status, updated_at: nowIso(ctx) });
  await audit(ctx, {
    action: "billing.suspend",
    target: { type: "subscription", id: s.id },
    organizationId: s.organization_id,
    details: { from: p.from, until: p.until, reason: p.reason },
  });
  return subscriptionById(ctx.tx, s.id);
}

/** Ends a suspension now (the participant changed its mind, or the operator). */
export async function subscriptionResumer(ctx: CommandContext, p: { id: string }) {
  const s = await subscriptionById(ctx.tx, p.id);
  await authorizeSubscription(ctx, s, "subscription.request");
  if (!s.suspended_from) throw new StateConflictError("not_suspended", "The subscription has no suspension");
  await ctx
    .tx("subscriptions")
    .where({ id: s.id })
    .update({
      suspended_from: null,
      suspended_until: null,
      status: s.status === "suspended" ? "active" : s.status,
      updated_at: nowIso(ctx),
    });
  await audit(ctx, {
    action: "billing.resume",
    target: { type: "subscription", id: s.id },
    organizationId: s.organization_id,
  });
  return subscriptionById(ctx.tx, s.id);
}

export const TerminationInput = z.strictObject({
  on: z.iso.date().optional(),
  reason: z.string().trim().min(1).max(1000),
});

/** Termination with notice [000 §14.5]: the subscription ends on the day asked, at least the notice period away; no renewal. */
export async function subscriptionTerminator(
  ctx: CommandContext,
  p: { id: string } & z.infer<typeof TerminationInput>,
) {
  const s = await subscriptionById(ctx.tx, p.id);
  await authorizeSubscription(ctx, s, "subscription.request");
  if (!LIVE.includes(s.status))
    throw new StateConflictError("subscription_not_live", `The subscription is ${s.status}`);
  const today = applianceDay(ctx.clock.now());
  // The notice is the plan's (its contract's), else billing's default: 0 ends it at once.
  const plan = await planById(ctx.tx, s.plan_id);
  const noticeDays = plan.termination_notice_days ?? ctx.config.billing.terminationNoticeDays;
  const earliest = addDays(today, noticeDays);
  if (p.on !== undefined && (noticeDays > 0 ? p.on <= today : p.on < today))
    throw new ValidationError("date_in_past", "on must be a future date", { field: "on" });
  if (p.on !== undefined && p.on < earliest)
    throw new ValidationError(
      "notice_too_short",
      `Termination needs ${noticeDays} days' notice under plan ${plan.code}: the earliest is ${earliest}`,
      { field: "on", earliest, noticeDays },
    );
  const on = p.on ?? earliest;
  await ctx
    .tx("subscriptions")
    .where({ id: s.id })
    .update({ terminates_on: on, auto_renew: false, updated_at: nowIso(ctx) });
  await audit(ctx, {
    action: "billing.terminate",
    target: { type: "subscription", id: s.id },
    organizationId: s.organization_id,
    details: { on, reason: p.reason },
  });
  return subscriptionById(ctx.tx, s.id);
}

export const PlanChangeInput = z.strictObject({ planId: z.uuid(), effectiveOn: z.iso.date().optional() });

/** SPEC R4.6: a plan change applies on the 1st of a month at least a week away; the participant is told now. */
export async function subscriptionPlanChanger(
  ctx: CommandContext,
  p: { id: string } & z.infer<typeof PlanChangeInput>,
) {
  const s = await subscriptionById(ctx.tx, p.id);
  await authorizeSubscription(ctx, s, "subscription.request");
  if (!LIVE.includes(s.status))
    throw new StateConflictError("subscription_not_live", `The subscription is ${s.status}`);
  const current = await planById(ctx.tx, s.plan_id);
  if (p.planId === s.plan_id)
    throw new ValidationError("same_plan", "The subscription is already on this plan", { field: "planId" });
  const plan = await choosablePlan(ctx.tx, p.planId, current.currency);
  const effectiveOn = changeDay(ctx, p.effectiveOn);
  await ctx
    .tx("subscriptions")
    .where({ id: s.id })
    .update({ pending_plan_id: plan.id, pending_plan_on: effectiveOn, updated_at: nowIso(ctx) });
  await billingNoticeWriter(ctx.tx, ctx.clock, "billing.plan_change", [s], () => ({
    planName: current.name,
    successorName: plan.name,
    newPrice: formatAmount(plan.price_minor),
    currency: plan.currency,
    effectiveOn,
  }));
  await audit(ctx, {
    action: "billing.plan_change_request",
    target: { type: "subscription", id: s.id },
    organizationId: s.organization_id,
    details: { from: current.id, to: plan.id, effectiveOn },
  });
  return subscriptionById(ctx.tx, s.id);
}

/** Subscriptions the actor may read (billing.read), newest first: scoped in SQL. */
export function subscriptionsVisibleTo(
  db: Tx,
  actor: Actor,
  f: { organizationId?: string; status?: SubscriptionStatus; limit: number },
): Promise<SubscriptionRow[]> {
  const scope = billingReadScope(actor);
  if (scope !== "all" && scope.length === 0) return Promise.resolve([]);
  const q = db("subscriptions").orderBy("created_at", "desc").limit(f.limit);
  if (f.organizationId) q.where({ organization_id: f.organizationId });
  if (f.status) q.where({ status: f.status });
  if (scope !== "all") q.where((w) => orWhereInScope(w, scope, "organization_id", "branch_path"));
  return q;
}
