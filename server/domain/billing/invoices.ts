// Invoices and payments (SPEC R4.4, R4.5, R4.8). An invoice is numbered per year, due by the
// subscription's payment terms (7 calendar days; prepaid: 5 banking days; credit: 3 working days),
// and issued → paid | overdue | cancelled. The billing operator records payments: partial payments
// add up, an overpayment is kept as the payer's credit and used on its next invoices. Full payment
// lifts the branch's block at once; a late one is followed by a penalty invoice.
import type { Actor } from "../identity/roles.js";
import { orWhereInScope } from "../identity/queries.js";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { ConflictError, notFound, StateConflictError, UnprocessableError, ValidationError } from "../../errors.js";
import { isPostgres, type Tx } from "../../storage/db.js";
import { inSlices } from "../../storage/statements.js";
import { auditBatchAppender, type AuditEvent } from "../audit/commands.js";
import { actorRef, audit, nowIso, type CommandContext } from "../context.js";
import { authorize, can, billingReadScope } from "../identity/policy.js";
import { billingCalendar, type BillingCalendar } from "./calendar.js";
import { addBusinessDays, addDays, daysBetween } from "../shared/days.js";
import { CURRENCY, formatAmount, parseAmount, percentOf, percentScaled, divRound } from "../shared/money.js";
import { isIsoCurrency } from "../shared/currencies.js";
import { billingNoticeWriter } from "./plans.js";
import { billingVatPercent } from "../shared/vat.js";
import { rateOn, toTenge, type ExchangeRateRow } from "./exchangeRates.js";
import type { SubscriptionRow } from "./subscriptions.js";
import { applianceDay } from "../shared/zones.js";

export type InvoiceKind = "subscription" | "renewal" | "plan_change" | "penalty";
export type InvoiceStatus = "issued" | "paid" | "overdue" | "cancelled";
export type PaymentTerms = "standard" | "prepaid" | "credit";

export interface InvoiceRow {
  id: string;
  number: string;
  year: number;
  kind: InvoiceKind;
  subscription_id: string | null;
  payer_organization_id: string;
  organization_id: string;
  branch_id: string;
  currency: string;
  subtotal_minor: number | string;
  vat_minor: number | string;
  /** the VAT rate it was issued with; null: without VAT */
  vat_percent?: string | null;
  /** a foreign-currency plan billed in tenge: its currency, the rate (tenge per unit), its day and source */
  original_currency?: string | null;
  exchange_rate?: string | null;
  exchange_rate_day?: string | null;
  exchange_rate_source?: string | null;
  total_minor: number | string;
  paid_minor: number | string;
  penalty_minor: number | string;
  status: InvoiceStatus;
  issued_on: string;
  due_on: string;
  period_from: string | null;
  period_to: string | null;
  notice_on: string | null;
  paid_on: string | null;
  penalty_for_invoice_id: string | null;
  document_id: string | null;
  created_at: string;
  updated_at: string;
}
export interface InvoiceLineRow {
  invoice_id: string;
  position: number;
  description: string;
  quantity: string;
  unit_price_minor: number | string;
  amount_minor: number | string;
}
export interface PaymentRow {
  id: string;
  invoice_id: string;
  payer_organization_id: string;
  amount_minor: number | string;
  currency: string;
  paid_on: string;
  reference: string;
  source: "transfer" | "credit";
  recorded_by: string | null;
  created_at: string;
}

export interface InvoiceDraft {
  kind: InvoiceKind;
  subscription: Pick<
    SubscriptionRow,
    "id" | "organization_id" | "branch_id" | "payer_organization_id" | "payment_terms"
  >;
  currency: string;
  /** the plan is billed without VAT */
  vatExempt?: boolean;
  periodFrom?: string | null;
  periodTo?: string | null;
  penaltyFor?: string | null;
  lines: Array<{ description: string; quantity?: number; unitPriceMinor: bigint }>;
}

/** When an invoice issued on `issuedOn` is due under the terms (SPEC R4.4). */
export function dueDate(
  issuedOn: string,
  terms: PaymentTerms,
  config: CommandContext["config"],
  calendar: BillingCalendar,
): string {
  const d = config.billing.dueDays;
  if (terms === "prepaid") return addBusinessDays(issuedOn, d.prepaidBankingDays, calendar.bankHolidays);
  if (terms === "credit") return addBusinessDays(issuedOn, d.creditWorkingDays, calendar.holidays);
  return addDays(issuedOn, d.standard);
}

/** Takes `n` numbers of the year; returns the first. */
async function allocateNumbers(tx: Tx, year: number, n: number): Promise<number> {
  // One statement: the year's row is created or advanced, and its new last number returned.
  const [row] = await tx("invoice_counters")
    .insert({ year, last: n })
    .onConflict("year")
    .merge({ last: tx.raw("invoice_counters.last + ?", [n]) })
    .returning("last");
  return Number(row.last) - n + 1;
}

const creditKey = (org: string, currency: string) => `${org}|${currency}`;

async function creditBalances(tx: Tx, payers: Array<{ org: string; currency: string }>): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  const orgs = [...new Set(payers.map((p) => p.org))];
  const rows = await inSlices(
    orgs,
    500,
    (slice) =>
      tx("credit_ledger")
        .whereIn("organization_id", slice)
        .groupBy("organization_id", "currency")
        .select("organization_id", "currency")
        .sum({ balance: "amount_minor" }) as Promise<
        Array<{ organization_id: string; currency: string; balance: string | number }>
      >,
  );
  for (const r of rows)
    if (BigInt(r.balance) > 0n) out.set(creditKey(r.organization_id, r.currency), BigInt(r.balance));
  return out;
}

/**
 * Issues invoices — one or a whole batch of the daily job — with numbers, lines, VAT, due dates,
 * credit applied, notices to the owing branch and the payer, and audit entries, in the caller's
 * transaction with multi-row inserts.
 */
export async function invoicesIssuer(
  ctx: CommandContext,
  drafts: InvoiceDraft[],
  calendar?: BillingCalendar,
): Promise<InvoiceRow[]> {
  if (drafts.length === 0) return [];
  const today = applianceDay(ctx.clock.now());
  const now = nowIso(ctx);
  const year = Number(today.slice(0, 4));
  calendar ??= await billingCalendar(ctx.tx, today);
  let seq = await allocateNumbers(ctx.tx, year, drafts.length);
  const payers = [...new Set(drafts.map((d) => d.subscription.payer_organization_id))];
  const countries = new Map<string, string>(
    (await ctx.tx("organizations").whereIn("id", payers).select("id", "country")).map(
      (o: { id: string; country: string }) => [o.id, o.country],
    ),
  );
  const prefix = ctx.config.billing.invoiceNumberPrefix;
  const invoices: InvoiceRow[] = [];
  const lines: InvoiceLineRow[] = [];
  // A plan priced in another currency bills a Kazakh payer in tenge, at the latest rate the
  // operator recorded on or before today (SPEC R4.1, 002 §5.1); the invoice keeps rate and source.
  const rates = new Map<string, ExchangeRateRow>();
  for (const d of drafts) {
    if (d.currency === "KZT" || countries.get(d.subscription.payer_organization_id) !== "KZ" || rates.has(d.currency))
      continue;
    const r = await rateOn(ctx.tx, d.currency, today);
    if (!r)
      throw new StateConflictError(
        "exchange_rate_missing",
        `No tenge rate of ${d.currency} is recorded on or before ${today}: record one (POST /api/v1/billing/exchange-rates) before billing in ${d.currency}`,
        { currency: d.currency, day: today },
      );
    rates.set(d.currency, r);
  }
  for (const d of drafts) {
    const id = randomUUID();
    let subtotal = 0n;
    const rate = countries.get(d.subscription.payer_organization_id) === "KZ" ? rates.get(d.currency) : undefined;
    d.lines.forEach((l, i) => {
      const unit = rate ? toTenge(l.unitPriceMinor, rate.kzt_per_unit) : l.unitPriceMinor;
      l = { ...l, unitPriceMinor: unit };
      const amount = l.unitPriceMinor * BigInt(l.quantity ?? 1);
      subtotal += amount;
      lines.push({
        invoice_id: id,
        position: i + 1,
        description: l.description,
        quantity: String(l.quantity ?? 1),
        unit_price_minor: l.unitPriceMinor.toString(),
        amount_minor: amount.toString(),
      });
    });
    // SPEC R4.1: prices exclude VAT; penalties are not subject to it; the rate is the payer
    // country's on the day (none where the operator is exempt).
    const s = d.subscription;
    const vatPercent =
      d.kind === "penalty" || d.vatExempt
        ? null
        : billingVatPercent(
            countries.get(s.payer_organization_id) ?? "KZ",
            today,
            ctx.config.billing.vatExemptCountries,
          );
    const vat = vatPercent === null ? 0n : percentOf(subtotal, vatPercent);
    invoices.push({
      id,
      number: `${prefix ? prefix + "-" : ""}${year}-${String(seq++).padStart(6, "0")}`,
      year,
      kind: d.kind,
      subscription_id: s.id,
      payer_organization_id: s.payer_organization_id,
      organization_id: s.organization_id,
      branch_id: s.branch_id,
      currency: rate ? "KZT" : d.currency,
      original_currency: rate ? d.currency : null,
      exchange_rate: rate?.kzt_per_unit ?? null,
      exchange_rate_day: rate?.day ?? null,
      exchange_rate_source: rate?.source ?? null,
      subtotal_minor: subtotal.toString(),
      vat_minor: vat.toString(),
      vat_percent: vatPercent,
      total_minor: (subtotal + vat).toString(),
      paid_minor: "0",
      penalty_minor: "0",
      status: "issued",
      issued_on: today,
      due_on: dueDate(today, d.kind === "penalty" ? "standard" : s.payment_terms, ctx.config, calendar),
      period_from: d.periodFrom ?? null,
      period_to: d.periodTo ?? null,
      notice_on: null,
      paid_on: null,
      penalty_for_invoice_id: d.penaltyFor ?? null,
      document_id: null,
      created_at: now,
      updated_at: now,
    });
  }
  // SQLite binds at most 32,766 values per statement: 25 columns × 1,000 rows stays below.
  await inSlices(invoices, 1000, (slice) => ctx.tx("invoices").insert(slice));
  await inSlices(lines, 4000, (slice) => ctx.tx("invoice_lines").insert(slice));

  // The payer's credit (earlier overpayments) pays what it can at once.
  const balances = await creditBalances(
    ctx.tx,
    invoices.map((v) => ({ org: v.payer_organization_id, currency: v.currency })),
  );
  const payments: PaymentRow[] = [];
  const ledger: Record<string, unknown>[] = [];
  for (const v of invoices) {
    const key = creditKey(v.payer_organization_id, v.currency);
    const available = balances.get(key) ?? 0n;
    if (available <= 0n) continue;
    const use = available < BigInt(v.total_minor) ? available : BigInt(v.total_minor);
    balances.set(key, available - use);
    const paymentId = randomUUID();
    payments.push({
      id: paymentId,
      invoice_id: v.id,
      payer_organization_id: v.payer_organization_id,
      amount_minor: use.toString(),
      currency: v.currency,
      paid_on: today,
      reference: `credit:${v.number}`,
      source: "credit",
      recorded_by: null,
      created_at: now,
    });
    ledger.push({
      organization_id: v.payer_organization_id,
      currency: v.currency,
      amount_minor: (-use).toString(),
      payment_id: paymentId,
      invoice_id: v.id,
      at: now,
    });
    v.paid_minor = use.toString();
    if (use === BigInt(v.total_minor)) {
      v.status = "paid";
      v.paid_on = today;
    }
    await ctx
      .tx("invoices")
      .where({ id: v.id })
      .update({ paid_minor: v.paid_minor, status: v.status, paid_on: v.paid_on });
  }
  if (payments.length) {
    await ctx.tx("payments").insert(payments);
    await ctx.tx("credit_ledger").insert(ledger);
  }

  await billingNoticeWriter(
    ctx.tx,
    ctx.clock,
    "billing.invoice_issued",
    invoices.filter((v) => BigInt(v.total_minor) > 0n),
    invoicePayload,
  );
  await auditBatchAppender(ctx.tx, ctx.clock, [
    {
      meta: { actor: actorRef(ctx.actor), ...ctx.meta },
      events: invoices.map((v): AuditEvent => ({
        action: "billing.invoice_issue",
        target: { type: "invoice", id: v.id },
        organizationId: v.organization_id,
        details: {
          number: v.number,
          kind: v.kind,
          total: formatAmount(v.total_minor),
          currency: v.currency,
          dueOn: v.due_on,
          payerOrganizationId: v.payer_organization_id,
          creditApplied: formatAmount(v.paid_minor),
        },
      })),
    },
  ]);
  return invoices;
}

export const invoicePayload = (v: InvoiceRow) => ({
  invoiceId: v.id,
  number: v.number,
  total: formatAmount(v.total_minor),
  outstanding: formatAmount(BigInt(v.total_minor) - BigInt(v.paid_minor)),
  currency: v.currency,
  dueOn: v.due_on,
  issuedOn: v.issued_on,
});

export async function invoiceById(tx: Tx, id: string): Promise<InvoiceRow> {
  const row: InvoiceRow | undefined = await tx("invoices").where({ id }).first();
  if (!row) throw notFound();
  return row;
}

/** Invoices with the branches their readers are checked against: the owing branch and the payer's head office. */
export const invoicesWithBranches = (tx: Tx) =>
  tx("invoices as i")
    .join("branches as b", "b.id", "i.branch_id")
    .join("branches as pb", function () {
      this.on("pb.organization_id", "=", "i.payer_organization_id").andOnNull("pb.parent_id");
    })
    .select("i.*", "b.path as branch_path", "pb.id as payer_branch_id", "pb.path as payer_branch_path");
export type InvoiceWithBranches = InvoiceRow & {
  branch_path: string;
  payer_branch_id: string;
  payer_branch_path: string;
};

const owingBranch = (v: InvoiceWithBranches) => ({
  type: "branch" as const,
  id: v.branch_id,
  organizationId: v.organization_id,
  path: v.branch_path,
});

/** Who may see an invoice: the operator, and the owing branch's and the payer's administrators, heads and accountants. */
export const canReadInvoice = (actor: Actor, v: InvoiceWithBranches) =>
  can(actor, "billing.read", owingBranch(v)) ||
  can(actor, "billing.read", {
    type: "branch",
    id: v.payer_branch_id,
    organizationId: v.payer_organization_id,
    path: v.payer_branch_path,
  });

/** Invoices the actor may read (canReadInvoice), newest first: scoped in SQL, as owing branch or payer. */
export function invoicesVisibleTo(
  db: Tx,
  actor: Actor,
  f: { organizationId?: string; status?: InvoiceStatus; limit: number },
): Promise<InvoiceWithBranches[]> {
  const scope = billingReadScope(actor);
  if (scope !== "all" && scope.length === 0) return Promise.resolve([]);
  const q = invoicesWithBranches(db).orderBy("i.created_at", "desc").limit(f.limit);
  if (f.organizationId)
    q.where((w) =>
      w.where("i.organization_id", f.organizationId!).orWhere("i.payer_organization_id", f.organizationId!),
    );
  if (f.status) q.where("i.status", f.status);
  if (scope !== "all") {
    q.where((w) => {
      orWhereInScope(w, scope, "i.organization_id", "b.path");
      orWhereInScope(w, scope, "i.payer_organization_id", "pb.path");
    });
  }
  return q;
}

/** The invoice, or 404 (audited) when the actor may not see it. */
export async function readableInvoice(
  ctx: Pick<CommandContext, "tx" | "actor">,
  id: string,
): Promise<InvoiceWithBranches> {
  const v: InvoiceWithBranches | undefined = await invoicesWithBranches(ctx.tx).where("i.id", id).first();
  if (!v) throw notFound();
  if (!canReadInvoice(ctx.actor, v)) authorize(ctx.actor, "billing.read", owingBranch(v), false);
  return v;
}

/**
 * SPEC R4.5: 0.1 % of the unpaid amount per day of delay — each paid part counted for the days it
 * was late — plus an optional fixed fine, never more than the cap (a share of the invoice total).
 */
export function penaltyOf(
  v: Pick<InvoiceRow, "due_on" | "total_minor">,
  payments: Array<{ amount_minor: number | string; paid_on: string }>,
  asOf: string,
  config: CommandContext["config"],
): bigint {
  const o = config.billing.overdue;
  let paid = 0n;
  let dayAmount = 0n; // Σ amount × days late
  for (const p of payments) {
    paid += BigInt(p.amount_minor);
    dayAmount += BigInt(p.amount_minor) * BigInt(Math.max(0, daysBetween(v.due_on, p.paid_on)));
  }
  const unpaid = BigInt(v.total_minor) - paid;
  const lateToday = Math.max(0, daysBetween(v.due_on, asOf));
  if (unpaid > 0n) dayAmount += unpaid * BigInt(lateToday);
  if (dayAmount === 0n) return 0n;
  let penalty =
    divRound(dayAmount * percentScaled(o.penaltyPercentPerDay), 100_000_000n) +
    parseAmount(o.fixedFine, "billing.overdue.fixedFine");
  if (o.penaltyCapPercent !== "") {
    const cap = percentOf(BigInt(v.total_minor), o.penaltyCapPercent);
    if (penalty > cap) penalty = cap;
  }
  return penalty;
}

export const PaymentInput = z.strictObject({
  amount: z.string().max(20),
  currency: z
    .string()
    .regex(CURRENCY, "an ISO 4217 code such as KZT, UAH or USD")
    .refine(isIsoCurrency, "not an ISO 4217 currency code"),
  paidOn: z.iso.date(),
  /** the bank's reference; one payment per reference and payer (a repeated recording is refused) */
  reference: z.string().trim().min(1).max(100),
});

/** Records a payment to an invoice (the billing operator). */
export async function paymentRecorder(ctx: CommandContext, p: { invoiceId: string } & z.infer<typeof PaymentInput>) {
  authorize(ctx.actor, "billing.manage", { type: "appliance" });
  const amount = parseAmount(p.amount, "amount");
  if (amount === 0n) throw new ValidationError("invalid_amount", "amount must be more than zero", { field: "amount" });
  const v = await invoiceById(ctx.tx, p.invoiceId);
  if (v.status === "cancelled")
    throw new StateConflictError("invoice_cancelled", `Invoice ${v.number} is cancelled; it takes no payments`);
  if (v.status === "paid") throw new StateConflictError("invoice_paid", `Invoice ${v.number} is paid in full`);
  if (p.currency !== v.currency)
    throw new UnprocessableError(
      "currency_mismatch",
      `Invoice ${v.number} is in ${v.currency}, the payment in ${p.currency}`,
      { invoiceCurrency: v.currency },
    );
  const today = applianceDay(ctx.clock.now());
  if (p.paidOn > today)
    throw new ValidationError("date_in_future", "paidOn cannot be later than today", { field: "paidOn" });
  if (p.paidOn < v.issued_on)
    throw new ValidationError("paid_before_issue", `paidOn is before the invoice was issued (${v.issued_on})`, {
      field: "paidOn",
    });
  if (
    await ctx
      .tx("payments")
      .where({ payer_organization_id: v.payer_organization_id, reference: p.reference })
      .first("id")
  ) {
    throw new ConflictError(
      "duplicate_payment",
      `A payment with reference ${p.reference} is already recorded for this payer`,
    );
  }
  const outstanding = BigInt(v.total_minor) - BigInt(v.paid_minor);
  const applied = amount < outstanding ? amount : outstanding;
  const excess = amount - applied;
  const now = nowIso(ctx);
  const payment: PaymentRow = {
    id: randomUUID(),
    invoice_id: v.id,
    payer_organization_id: v.payer_organization_id,
    amount_minor: applied.toString(),
    currency: v.currency,
    paid_on: p.paidOn,
    reference: p.reference,
    source: "transfer",
    recorded_by: ctx.actor.userId,
    created_at: now,
  };
  await ctx.tx("payments").insert(payment);
  if (excess > 0n)
    await ctx.tx("credit_ledger").insert({
      organization_id: v.payer_organization_id,
      currency: v.currency,
      amount_minor: excess.toString(),
      payment_id: payment.id,
      invoice_id: v.id,
      at: now,
    });
  const paid = BigInt(v.paid_minor) + applied;
  const full = paid === BigInt(v.total_minor);
  const update: Partial<InvoiceRow> = {
    paid_minor: paid.toString(),
    updated_at: now,
    ...(full ? { status: "paid" as const, paid_on: p.paidOn } : {}),
  };
  let penaltyInvoice: InvoiceRow | null = null;
  if (full && v.kind !== "penalty") {
    const payments: PaymentRow[] = await ctx.tx("payments").where({ invoice_id: v.id }).orderBy("paid_on");
    const penalty = penaltyOf(v, payments, p.paidOn, ctx.config);
    if (penalty > 0n) {
      update.penalty_minor = penalty.toString();
      const sub = (await ctx.tx("subscriptions").where({ id: v.subscription_id! }).first())!;
      [penaltyInvoice] = await invoicesIssuer(ctx, [
        {
          kind: "penalty",
          subscription: sub,
          currency: v.currency,
          penaltyFor: v.id,
          lines: [
            {
              description: `Penalty for late payment of invoice ${v.number} (due ${v.due_on}, paid ${p.paidOn})`,
              unitPriceMinor: penalty,
            },
          ],
        },
      ]);
    }
  }
  await ctx.tx("invoices").where({ id: v.id }).update(update);
  await audit(ctx, {
    action: "billing.payment_record",
    target: { type: "invoice", id: v.id },
    organizationId: v.organization_id,
    details: {
      paymentId: payment.id,
      amount: formatAmount(amount),
      applied: formatAmount(applied),
      credit: formatAmount(excess),
      currency: v.currency,
      paidOn: p.paidOn,
      reference: p.reference,
      full,
    },
  });
  const lifted = full && v.subscription_id ? await blockLifter(ctx, v.subscription_id) : false;
  return { invoice: await invoiceById(ctx.tx, v.id), payment, credit: excess, penaltyInvoice, blockLifted: lifted };
}

/** Cancels an unpaid invoice (the operator); what was paid on it becomes the payer's credit. */
export async function invoiceCanceller(ctx: CommandContext, p: { invoiceId: string; reason: string }) {
  authorize(ctx.actor, "billing.manage", { type: "appliance" });
  const v = await invoiceById(ctx.tx, p.invoiceId);
  if (v.status === "cancelled" || v.status === "paid")
    throw new StateConflictError("invoice_not_open", `Invoice ${v.number} is ${v.status}`);
  const now = nowIso(ctx);
  await ctx.tx("invoices").where({ id: v.id }).update({ status: "cancelled", updated_at: now });
  if (BigInt(v.paid_minor) > 0n)
    await ctx.tx("credit_ledger").insert({
      organization_id: v.payer_organization_id,
      currency: v.currency,
      amount_minor: String(v.paid_minor),
      payment_id: null,
      invoice_id: v.id,
      at: now,
    });
  await audit(ctx, {
    action: "billing.invoice_cancel",
    target: { type: "invoice", id: v.id },
    organizationId: v.organization_id,
    details: { number: v.number, reason: p.reason, credited: formatAmount(v.paid_minor) },
  });
  if (v.subscription_id) await blockLifter(ctx, v.subscription_id);
  return invoiceById(ctx.tx, v.id);
}

/**
 * SPEC R4.4: full repayment lifts the block at once — when the subscription has no overdue invoice
 * left — whatever its stage (blocked, suspended, full).
 */
export async function blockLifter(ctx: CommandContext, subscriptionId: string): Promise<boolean> {
  const sub: SubscriptionRow | undefined = await ctx.tx("subscriptions").where({ id: subscriptionId }).first();
  if (!sub || !sub.block_stage) return false;
  if (await ctx.tx("invoices").where({ subscription_id: subscriptionId, status: "overdue" }).first("id")) return false;
  const now = nowIso(ctx);
  await ctx
    .tx("subscriptions")
    .where({ id: subscriptionId })
    .update({ block_stage: null, blocked_at: null, blocked_invoice_id: null, updated_at: now });
  await billingNoticeWriter(ctx.tx, ctx.clock, "billing.block_lifted", [sub], () => ({ stage: sub.block_stage }));
  await audit(ctx, {
    action: "billing.block_lift",
    target: { type: "branch", id: sub.branch_id },
    organizationId: sub.organization_id,
    details: { subscriptionId, stage: sub.block_stage },
  });
  return true;
}

// --- publishing invoices as documents (R4.9): what the publishing process reads and records -----

/** Issued invoices with an amount and no document yet, oldest first (the operator's own excluded). */
export function unpublishedInvoices(db: Tx, operatorId: string, limit: number): Promise<InvoiceRow[]> {
  return db("invoices")
    .whereNull("document_id")
    .whereNot("status", "cancelled")
    .where("total_minor", ">", 0)
    .whereNot("payer_organization_id", operatorId)
    .orderBy("created_at")
    .limit(limit);
}

export function invoiceLines(db: Tx, invoiceId: string): Promise<InvoiceLineRow[]> {
  return db("invoice_lines").where({ invoice_id: invoiceId }).orderBy("position");
}

/**
 * Locks an invoice still to be published, first thing in the publishing transaction (PostgreSQL:
 * FOR UPDATE): the daily run locks invoices before the audit head, so the publisher must too, or
 * the two deadlock. False when it was published meanwhile.
 */
export async function invoiceForPublishing(tx: Tx, invoiceId: string): Promise<boolean> {
  const q = tx("invoices").where({ id: invoiceId }).whereNull("document_id").first("id");
  return Boolean(await (isPostgres(tx) ? q.forUpdate() : q));
}

/** Links an invoice to the document that publishes it; false when another run linked it first. */
export async function invoiceDocumentLinker(tx: Tx, invoiceId: string, documentId: string): Promise<boolean> {
  return (
    (await tx("invoices").where({ id: invoiceId }).whereNull("document_id").update({ document_id: documentId })) === 1
  );
}

export function invoicePayments(db: Tx, invoiceId: string): Promise<PaymentRow[]> {
  return db("payments").where({ invoice_id: invoiceId }).orderBy("created_at");
}

/** A subscription's issued and overdue invoices, soonest due first. */
export function openInvoicesOf(db: Tx, subscriptionId: string): Promise<InvoiceRow[]> {
  return db("invoices")
    .where({ subscription_id: subscriptionId })
    .whereIn("status", ["issued", "overdue"])
    .orderBy("due_on");
}

/** An organization's credit balance per currency (minor units). */
export function creditBalancesOf(
  db: Tx,
  organizationId: string,
): Promise<Array<{ currency: string; balance: string | number }>> {
  return db("credit_ledger")
    .where({ organization_id: organizationId })
    .groupBy("currency")
    .select("currency")
    .sum({ balance: "amount_minor" });
}
