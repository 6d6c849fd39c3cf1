// Tariff plans (SPEC R4.1, R4.6): the billing operator creates them, changes a price (applied on the
// 1st of a month announced at least a week ahead) and closes one with a successor, to which its
// subscribers move after 3 days unless they chose another plan.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { ConflictError, notFound, StateConflictError, UnprocessableError, ValidationError } from "../../errors.js";
import type { Clock } from "../../clock.js";
import { notificationWriter, type Notification } from "../../mail/outbox.js";
import { type Tx } from "../../storage/db.js";
import { inSlices } from "../../storage/statements.js";
import { audit, nowIso, type CommandContext } from "../context.js";
import { authorize } from "../identity/policy.js";
import { addDays, firstOfMonthAfterNotice } from "../shared/days.js";
import { CURRENCY, formatAmount, parseAmount } from "../shared/money.js";
import { isIsoCurrency } from "../shared/currencies.js";
import { applianceDay } from "../shared/zones.js";
import { displayName } from "../shared/text.js";

export interface PlanRow {
  id: string;
  code: string;
  name: string;
  price_minor: number | string;
  currency: string;
  term_months: number;
  /** days of notice a participant gives to end it; null: billing.terminationNoticeDays (SPEC R4.7) */
  termination_notice_days?: number | null;
  /** billed without VAT (SPEC R4.1) */
  vat_exempt?: boolean | number;
  quota_documents: number | string | null;
  quota_storage_bytes: number | string | null;
  quota_users: number | null;
  package: boolean | number;
  status: "active" | "closed";
  successor_id: string | null;
  closed_at: string | null;
  migrate_on: string | null;
  created_at: string;
  updated_at: string;
}

const Quota = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).nullable();
export const PlanInput = z.strictObject({
  code: z.string().regex(/^[a-z0-9][a-z0-9_-]{1,63}$/, "lower-case letters, digits, - and _"),
  name: displayName(200),
  /** the price of one term, VAT excluded, as a decimal string */
  price: z.string().max(20),
  currency: z
    .string()
    .regex(CURRENCY, "an ISO 4217 code such as KZT, UAH or USD")
    .refine(isIsoCurrency, "not an ISO 4217 currency code"),
  termMonths: z.number().int().min(1).max(120).optional(),
  /** null or absent: unlimited */
  quotas: z
    .strictObject({ documents: Quota.optional(), storageBytes: Quota.optional(), users: Quota.optional() })
    .optional(),
  /** 30 (KZ, 000 §14.5), 15 (E-DOC, 002 §10.2.2), 0: at any time (UA, 004 §8.2.2); default billing.terminationNoticeDays */
  terminationNoticeDays: z.number().int().min(0).max(365).optional(),
  /** billed without VAT whatever the payer's country */
  vatExempt: z.boolean().optional(),
  /** a transaction package: the subscription ends early when its documents are used up (R4.2) */
  package: z.boolean().optional(),
});

export const presentPlan = (p: PlanRow) => ({
  id: p.id,
  code: p.code,
  name: p.name,
  price: formatAmount(p.price_minor),
  currency: p.currency,
  termMonths: Number(p.term_months),
  terminationNoticeDays: p.termination_notice_days ?? null,
  vatExempt: Boolean(p.vat_exempt),
  quotas: {
    documents: p.quota_documents === null ? null : Number(p.quota_documents),
    storageBytes: p.quota_storage_bytes === null ? null : Number(p.quota_storage_bytes),
    users: p.quota_users === null ? null : Number(p.quota_users),
  },
  package: Boolean(p.package),
  status: p.status,
  successorId: p.successor_id,
  closedAt: p.closed_at,
  migrateOn: p.migrate_on,
});

export async function planById(tx: Tx, id: string): Promise<PlanRow> {
  const plan: PlanRow | undefined = await tx("tariff_plans").where({ id }).first();
  if (!plan) throw notFound();
  return plan;
}

/** A plan subscribers may move to now: active, billed in the subscription's currency. */
export async function choosablePlan(tx: Tx, id: string, currency: string): Promise<PlanRow> {
  const plan = await planById(tx, id);
  if (plan.status !== "active")
    throw new StateConflictError("plan_closed", `Plan ${plan.code} is closed; choose an active plan`, {
      planId: id,
      successorId: plan.successor_id,
    });
  if (plan.currency !== currency)
    throw new UnprocessableError(
      "currency_mismatch",
      `Plan ${plan.code} is billed in ${plan.currency}, the subscription in ${currency}`,
      { planCurrency: plan.currency, currency },
    );
  return plan;
}

export async function planCreator(ctx: CommandContext, input: z.infer<typeof PlanInput>): Promise<PlanRow> {
  authorize(ctx.actor, "billing.manage", { type: "appliance" });
  const price = parseAmount(input.price, "price");
  if (await ctx.tx("tariff_plans").where({ code: input.code }).first("id"))
    throw new ConflictError("plan_code_taken", `A plan with code ${input.code} exists`);
  const now = nowIso(ctx);
  const row: PlanRow = {
    id: randomUUID(),
    code: input.code,
    name: input.name,
    price_minor: price.toString(),
    currency: input.currency,
    term_months: input.termMonths ?? ctx.config.billing.defaultTermMonths,
    termination_notice_days: input.terminationNoticeDays ?? null,
    vat_exempt: input.vatExempt ?? false,
    quota_documents: input.quotas?.documents ?? null,
    quota_storage_bytes: input.quotas?.storageBytes ?? null,
    quota_users: input.quotas?.users ?? null,
    package: input.package ?? false,
    status: "active",
    successor_id: null,
    closed_at: null,
    migrate_on: null,
    created_at: now,
    updated_at: now,
  };
  if (row.package && row.quota_documents === null)
    throw new ValidationError(
      "package_needs_quota",
      "A package plan needs a documents quota (the package's transactions)",
      { field: "quotas.documents" },
    );
  await ctx.tx("tariff_plans").insert(row);
  await audit(ctx, {
    action: "billing.plan_create",
    target: { type: "tariff_plan", id: row.id },
    details: presentPlan(row),
  });
  return row;
}

/** Live subscriptions of a plan, with who is told of a change: the branch and, if another, the payer. */
async function subscribersOf(tx: Tx, planId: string) {
  return tx("subscriptions as s")
    .join("branches as pb", function () {
      this.on("pb.organization_id", "=", "s.payer_organization_id").andOnNull("pb.parent_id");
    })
    .where("s.plan_id", planId)
    .whereIn("s.status", ["active", "suspended"])
    .select(
      "s.id",
      "s.organization_id",
      "s.branch_id",
      "s.payer_organization_id",
      "s.pending_plan_id",
      "pb.id as payer_branch_id",
    ) as Promise<
    Array<{
      id: string;
      organization_id: string;
      branch_id: string;
      payer_organization_id: string;
      pending_plan_id: string | null;
      payer_branch_id: string;
    }>
  >;
}

/** The head office of each organization. */
export async function rootBranches(tx: Tx, orgIds: string[]): Promise<Map<string, string>> {
  const ids = [...new Set(orgIds)];
  const rows = await inSlices(
    ids,
    500,
    (slice) =>
      tx("branches")
        .whereIn("organization_id", slice)
        .whereNull("parent_id")
        .select("id", "organization_id") as Promise<Array<{ id: string; organization_id: string }>>,
  );
  return new Map(rows.map((r) => [r.organization_id, r.id]));
}

interface Billed {
  /** the invoice's id: its notices carry "invoice:<id>" so billing can count from their delivery */
  id?: string;
  organization_id: string;
  branch_id: string;
  payer_organization_id: string;
  payer_branch_id?: string | null;
}

/**
 * Writes a billing notice for each row: to the owing branch and, when a sponsor pays, to the
 * sponsor's head office too (looked up here unless the row carries it as `payer_branch_id`).
 */
export async function billingNoticeWriter<R extends Billed>(
  tx: Tx,
  clock: Clock,
  topic: string,
  rows: R[],
  payload: (r: R) => Record<string, unknown>,
) {
  const sponsored = rows.filter((r) => r.payer_organization_id !== r.organization_id);
  const roots = await rootBranches(
    tx,
    sponsored.filter((r) => !r.payer_branch_id).map((r) => r.payer_organization_id),
  );
  await notificationWriter(
    tx,
    clock,
    rows.flatMap((r): Notification[] => {
      const p = payload(r);
      const ref = r.id ? `invoice:${r.id}` : null;
      const payerBranch =
        r.payer_organization_id === r.organization_id
          ? null
          : (r.payer_branch_id ?? roots.get(r.payer_organization_id));
      return [
        { topic, ref, to: { organizationId: r.organization_id, branchId: r.branch_id }, payload: p },
        ...(payerBranch
          ? [{ topic, ref, to: { organizationId: r.payer_organization_id, branchId: payerBranch }, payload: p }]
          : []),
      ];
    }),
  );
}

/** The 1st a change may apply: `effectiveOn` if given (a 1st, far enough ahead), else the first such day. */
export function changeDay(ctx: CommandContext, effectiveOn: string | undefined): string {
  const today = applianceDay(ctx.clock.now());
  const earliest = firstOfMonthAfterNotice(today, ctx.config.billing.planChange.noticeDays);
  if (effectiveOn === undefined) return earliest;
  if (effectiveOn <= today)
    throw new ValidationError("date_in_past", "effectiveOn must be a future date", { field: "effectiveOn" });
  if (!effectiveOn.endsWith("-01"))
    throw new ValidationError("not_first_of_month", "A plan change takes effect on the 1st of a month (SPEC R4.6)", {
      field: "effectiveOn",
    });
  if (effectiveOn < earliest) {
    throw new ValidationError(
      "notice_too_short",
      `Participants must be told ${ctx.config.billing.planChange.noticeDays} days ahead: the earliest is ${earliest}`,
      { field: "effectiveOn", earliest },
    );
  }
  return effectiveOn;
}

/** Schedules a new price for a plan and tells its subscribers now. */
export async function planPriceChanger(
  ctx: CommandContext,
  p: { planId: string; price: string; effectiveOn?: string },
) {
  authorize(ctx.actor, "billing.manage", { type: "appliance" });
  const plan = await planById(ctx.tx, p.planId);
  if (plan.status !== "active") throw new StateConflictError("plan_closed", "A closed plan's price does not change");
  const price = parseAmount(p.price, "price");
  const effectiveOn = changeDay(ctx, p.effectiveOn);
  const change = {
    id: randomUUID(),
    plan_id: plan.id,
    price_minor: price.toString(),
    effective_on: effectiveOn,
    announced_at: nowIso(ctx),
    applied_at: null,
  };
  await ctx.tx("plan_price_changes").insert(change);
  const subscribers = await subscribersOf(ctx.tx, plan.id);
  const payload = {
    planName: plan.name,
    oldPrice: formatAmount(plan.price_minor),
    newPrice: formatAmount(price),
    currency: plan.currency,
    effectiveOn,
  };
  await billingNoticeWriter(ctx.tx, ctx.clock, "billing.plan_change", subscribers, () => payload);
  await audit(ctx, {
    action: "billing.plan_price_change",
    target: { type: "tariff_plan", id: plan.id },
    details: { price: formatAmount(price), effectiveOn, subscribers: subscribers.length },
  });
  return {
    id: change.id,
    planId: plan.id,
    price: formatAmount(price),
    currency: plan.currency,
    effectiveOn,
    notified: subscribers.length,
  };
}

/** Closes a plan: no new subscriptions; its subscribers move to the successor in 3 days unless they choose another. */
export async function planCloser(ctx: CommandContext, p: { planId: string; successorId: string }) {
  authorize(ctx.actor, "billing.manage", { type: "appliance" });
  const plan = await planById(ctx.tx, p.planId);
  if (plan.status !== "active") throw new StateConflictError("plan_closed", "The plan is already closed");
  if (p.successorId === plan.id)
    throw new ValidationError("successor_is_plan", "A plan cannot succeed itself", { field: "successorId" });
  const successor = await choosablePlan(ctx.tx, p.successorId, plan.currency);
  const today = applianceDay(ctx.clock.now());
  const migrateOn = addDays(today, ctx.config.billing.planChange.closedPlanMigrationDays);
  await ctx
    .tx("tariff_plans")
    .where({ id: plan.id })
    .update({
      status: "closed",
      successor_id: successor.id,
      closed_at: nowIso(ctx),
      migrate_on: migrateOn,
      updated_at: nowIso(ctx),
    });
  const subscribers = await subscribersOf(ctx.tx, plan.id);
  const payload = {
    planName: plan.name,
    successorName: successor.name,
    newPrice: formatAmount(successor.price_minor),
    currency: successor.currency,
    effectiveOn: migrateOn,
    closed: true,
  };
  await billingNoticeWriter(
    ctx.tx,
    ctx.clock,
    "billing.plan_change",
    subscribers.filter((s) => !s.pending_plan_id),
    () => payload,
  );
  await audit(ctx, {
    action: "billing.plan_close",
    target: { type: "tariff_plan", id: plan.id },
    details: { successorId: successor.id, migrateOn, subscribers: subscribers.length },
  });
  return planById(ctx.tx, plan.id);
}

/** Tariff plans, active first, by code. */
export function plansListed(db: Tx, status?: "active" | "closed"): Promise<PlanRow[]> {
  const q = db("tariff_plans").orderBy([
    { column: "status", order: "asc" },
    { column: "code", order: "asc" },
  ]);
  if (status) q.where({ status });
  return q;
}

/** Plans by id. */
export async function plansByIds(db: Tx, ids: string[]): Promise<Map<string, PlanRow>> {
  const rows: PlanRow[] = await db("tariff_plans").whereIn("id", [...new Set(ids)]);
  return new Map(rows.map((p) => [p.id, p]));
}
