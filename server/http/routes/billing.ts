// Billing over HTTP (SPEC R4): plans, subscriptions and participants' requests, invoices and
// payments, metering, the billing calendar, and a branch's billing state.
import { z } from "zod";
import type { AppDeps } from "../../deps.js";
import {
  ExchangeRateInput,
  exchangeRateRecorder,
  exchangeRatesListed,
  presentExchangeRate,
} from "../../domain/billing/exchangeRates.js";
import { BillingCalendarInput, billingCalendarDays, billingCalendarSetter } from "../../domain/billing/calendar.js";
import { addMonths } from "../../domain/shared/days.js";
import { canSendOutgoing } from "../../domain/billing/gate.js";
import {
  PaymentInput,
  creditBalancesOf,
  invoiceCanceller,
  invoiceLines,
  invoicePayments,
  invoicesVisibleTo,
  openInvoicesOf,
  paymentRecorder,
  penaltyOf,
  readableInvoice,
  type InvoiceRow,
} from "../../domain/billing/invoices.js";
import { usageOf } from "../../domain/billing/metering.js";
import { formatAmount } from "../../domain/shared/money.js";
import {
  PlanInput,
  planById,
  planCloser,
  planCreator,
  planPriceChanger,
  plansByIds,
  plansListed,
  presentPlan,
} from "../../domain/billing/plans.js";
import { presentInvoice, presentPayment } from "../../domain/billing/presenters.js";
import {
  PlanChangeInput,
  SubscriptionInput,
  SuspensionInput,
  TerminationInput,
  coveringSubscription,
  presentSubscription,
  readableSubscription,
  subscriptionHistory,
  subscriptionCreator,
  subscriptionPlanChanger,
  subscriptionResumer,
  subscriptionSuspender,
  subscriptionTerminator,
  subscriptionsVisibleTo,
  type SubscriptionRow,
} from "../../domain/billing/subscriptions.js";
import { authorize, can } from "../../domain/identity/policy.js";
import { branchResource, branchWithOrganization } from "../../domain/identity/queries.js";
import { notFound } from "../../errors.js";
import type { Tx } from "../../storage/db.js";
import type { Api } from "../api.js";
import { commandContext } from "../api.js";
import { applianceDay } from "../../domain/shared/zones.js";

export function billingRoutes(api: Api, deps: AppDeps) {
  const publish = () => {
    void deps.invoicePublisher().catch((err) => deps.logger.error({ err }, "invoice publishing failed"));
  };

  // ---------- plans ----------
  api.add({
    method: "get",
    path: "/api/v1/billing/plans",
    tag: "billing",
    auth: "any",
    summary: "Tariff plans (active first), with prices excluding VAT and quotas (null: unlimited)",
    query: z.strictObject({ status: z.enum(["active", "closed"]).optional() }),
    handler: async (ctx, { query }) => {
      ctx.body = { items: (await plansListed(deps.db, query.status)).map(presentPlan) };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/billing/plans",
    tag: "billing",
    auth: "user",
    tx: true,
    body: PlanInput,
    responses: { 201: "Created" },
    summary: "Create a tariff plan (billing operator)",
    handler: async (ctx, { body }) => {
      ctx.status = 201;
      ctx.body = presentPlan(await planCreator(commandContext(ctx, deps), body));
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/billing/exchange-rates",
    tag: "billing",
    auth: "any",
    summary: "Tenge rates recorded for foreign currencies, newest first, with their sources",
    query: z.strictObject({
      currency: z
        .string()
        .regex(/^[A-Z]{3}$/)
        .optional(),
    }),
    handler: async (ctx, { query }) => {
      ctx.body = { items: (await exchangeRatesListed(deps.db, query.currency)).map(presentExchangeRate) };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/billing/exchange-rates",
    tag: "billing",
    auth: "user",
    tx: true,
    body: ExchangeRateInput,
    responses: { 201: "Recorded (a rate already recorded for that day is replaced, audited)" },
    summary: "Record a currency's tenge rate for a day and its source (billing operator)",
    handler: async (ctx, { body }) => {
      ctx.status = 201;
      ctx.body = presentExchangeRate(await exchangeRateRecorder(commandContext(ctx, deps), body));
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/billing/plans/:id/price-changes",
    tag: "billing",
    auth: "user",
    tx: true,
    responses: { 201: "Scheduled; subscribers notified" },
    body: z.strictObject({ price: z.string().max(20), effectiveOn: z.iso.date().optional() }),
    summary:
      "Schedule a new price: on the 1st of a month at least billing.planChange.noticeDays away (default the first such 1st); subscribers are e-mailed now",
    handler: async (ctx, { params, body }) => {
      ctx.status = 201;
      ctx.body = await planPriceChanger(commandContext(ctx, deps), { planId: params.id, ...body });
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/billing/plans/:id/closure",
    tag: "billing",
    auth: "user",
    tx: true,
    body: z.strictObject({ successorId: z.uuid() }),
    summary:
      "Close a plan with a successor: subscribers who choose no other plan move to it after billing.planChange.closedPlanMigrationDays",
    handler: async (ctx, { params, body }) => {
      ctx.body = presentPlan(
        await planCloser(commandContext(ctx, deps), { planId: params.id, successorId: body.successorId }),
      );
    },
  });

  // ---------- subscriptions ----------
  const presentWithPlan = async (s: SubscriptionRow, tx: Tx = deps.reader) =>
    presentSubscription(s, await planById(tx, s.plan_id));
  api.add({
    method: "post",
    path: "/api/v1/billing/subscriptions",
    tag: "billing",
    auth: "user",
    tx: true,
    body: SubscriptionInput,
    responses: { 201: "Subscribed; the first invoice issued" },
    summary:
      "Subscribe an organization (its head office) or a branch to a plan, optionally paid by a sponsor (billing operator)",
    handler: async (ctx, { body }) => {
      const c = commandContext(ctx, deps);
      const { subscription, invoice } = await subscriptionCreator(c, body);
      ctx.status = 201;
      ctx.body = {
        ...presentSubscription(subscription, await planById(c.tx, subscription.plan_id)),
        invoice: invoice ? presentInvoice(invoice) : null,
      };
      ctx.res.once("finish", publish);
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/billing/subscriptions",
    tag: "billing",
    auth: "any",
    summary: "Subscriptions in the caller's reach (operator: all), newest first",
    query: z.strictObject({
      organizationId: z.uuid().optional(),
      status: z.enum(["active", "suspended", "ended", "terminated"]).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
    handler: async (ctx, { query }) => {
      const rows = await subscriptionsVisibleTo(deps.db, ctx.state.actor, query);
      const byId = await plansByIds(
        deps.db,
        rows.map((s) => s.plan_id),
      );
      ctx.body = { items: rows.map((s) => presentSubscription(s, byId.get(s.plan_id))) };
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/billing/subscriptions/:id",
    tag: "billing",
    auth: "any",
    summary: "One subscription with its plan, period, use, suspension, pending change and block",
    handler: async (ctx, { params }) => {
      ctx.body = await presentWithPlan(await readableSubscription(commandContext(ctx, deps), params.id));
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/billing/subscriptions/:id/history",
    tag: "billing",
    auth: "any",
    summary:
      "What billing did to one subscription, newest first: renewals, suspensions, overdue notices, blocks and their lifting (audit entries)",
    handler: async (ctx, { params }) => {
      const s = await readableSubscription(commandContext(ctx, deps), params.id);
      ctx.body = { items: await subscriptionHistory(deps.reader, s) };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/billing/subscriptions/:id/suspension",
    tag: "billing",
    auth: "user",
    tx: true,
    body: SuspensionInput,
    summary:
      "Suspend service for a period at the participant's request: no outgoing work, incoming readable, still billed (SPEC R4.7)",
    handler: async (ctx, { params, body }) => {
      const c = commandContext(ctx, deps);
      ctx.body = await presentWithPlan(await subscriptionSuspender(c, { id: params.id, ...body }), c.tx);
    },
  });
  api.add({
    method: "delete",
    path: "/api/v1/billing/subscriptions/:id/suspension",
    tag: "billing",
    auth: "user",
    tx: true,
    summary: "End a suspension now",
    handler: async (ctx, { params }) => {
      const c = commandContext(ctx, deps);
      ctx.body = await presentWithPlan(await subscriptionResumer(c, { id: params.id }), c.tx);
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/billing/subscriptions/:id/termination",
    tag: "billing",
    auth: "user",
    tx: true,
    body: TerminationInput,
    summary:
      "Terminate with notice (the plan's terminationNoticeDays, else billing.terminationNoticeDays; 0: at once): the subscription ends on that day and does not renew",
    handler: async (ctx, { params, body }) => {
      const c = commandContext(ctx, deps);
      ctx.body = await presentWithPlan(await subscriptionTerminator(c, { id: params.id, ...body }), c.tx);
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/billing/subscriptions/:id/plan-change",
    tag: "billing",
    auth: "user",
    tx: true,
    body: PlanChangeInput,
    summary:
      "Choose another plan: it applies on the 1st of a month at least a week away; the rest of the term is settled then (SPEC R4.6)",
    handler: async (ctx, { params, body }) => {
      const c = commandContext(ctx, deps);
      ctx.body = await presentWithPlan(await subscriptionPlanChanger(c, { id: params.id, ...body }), c.tx);
    },
  });

  // ---------- invoices and payments ----------
  const invoiceDetail = async (v: InvoiceRow) => {
    const [lines, payments] = await Promise.all([invoiceLines(deps.db, v.id), invoicePayments(deps.db, v.id)]);
    const open = v.status === "issued" || v.status === "overdue";
    const penaltyToDate =
      open && v.kind !== "penalty" ? penaltyOf(v, payments, applianceDay(deps.clock.now()), deps.config) : undefined;
    return presentInvoice(v, { lines, payments, penaltyToDate });
  };
  api.add({
    method: "get",
    path: "/api/v1/billing/invoices",
    tag: "billing",
    auth: "any",
    summary:
      "Invoices the caller may see (operator: all; others: their organization's, as owing branch or payer), newest first; `today` is the appliance's business day",
    query: z.strictObject({
      organizationId: z.uuid().optional(),
      status: z.enum(["issued", "paid", "overdue", "cancelled"]).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(100),
    }),
    handler: async (ctx, { query }) => {
      ctx.body = {
        items: (await invoicesVisibleTo(deps.reader, ctx.state.actor, query)).map((v) => presentInvoice(v)),
        // The appliance's business day (server.timeZone): the latest a payment may be dated, and
        // the console's default — a browser's own date may be a day off around midnight (SPEC R4.4).
        today: applianceDay(deps.clock.now()),
      };
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/billing/invoices/:id",
    tag: "billing",
    auth: "any",
    summary: "An invoice with its lines, payments and the penalty accrued so far",
    handler: async (ctx, { params }) => {
      ctx.body = await invoiceDetail(await readableInvoice({ tx: deps.db, actor: ctx.state.actor }, params.id));
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/billing/invoices/:id/payments",
    tag: "billing",
    auth: "user",
    tx: true,
    body: PaymentInput,
    responses: {
      201: "Recorded; a full payment lifts the block at once",
      409: "The invoice is cancelled or paid, or the reference is recorded",
      422: "Currency mismatch",
    },
    summary:
      "Record a payment (billing operator): partial payments add up, an overpayment is kept as the payer's credit",
    handler: async (ctx, { params, body }) => {
      const r = await paymentRecorder(commandContext(ctx, deps), { invoiceId: params.id, ...body });
      ctx.status = 201;
      ctx.body = {
        invoice: presentInvoice(r.invoice),
        payment: presentPayment(r.payment),
        credit: formatAmount(r.credit),
        penaltyInvoice: r.penaltyInvoice ? presentInvoice(r.penaltyInvoice) : null,
        blockLifted: r.blockLifted,
      };
      if (r.penaltyInvoice) ctx.res.once("finish", publish);
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/billing/invoices/:id/cancellation",
    tag: "billing",
    auth: "user",
    tx: true,
    body: z.strictObject({ reason: z.string().trim().min(1).max(1000) }),
    summary: "Cancel an unpaid invoice (billing operator); what was paid on it becomes credit",
    handler: async (ctx, { params, body }) => {
      ctx.body = presentInvoice(
        await invoiceCanceller(commandContext(ctx, deps), { invoiceId: params.id, reason: body.reason }),
      );
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/billing/credit/:id",
    tag: "billing",
    auth: "any",
    summary: "An organization's credit (overpayments not yet used), per currency",
    handler: async (ctx, { params }) => {
      const org = await branchWithOrganization(deps.db, { organizationId: params.id, branchId: null });
      if (!org) throw notFound();
      authorize(ctx.state.actor, "billing.read", branchResource(org.branch), false);
      const rows = await creditBalancesOf(deps.db, params.id);
      ctx.body = { items: rows.map((r) => ({ currency: r.currency, balance: formatAmount(r.balance ?? 0) })) };
    },
  });

  // ---------- metering, branch state ----------
  api.add({
    method: "get",
    path: "/api/v1/billing/usage",
    tag: "billing",
    auth: "any",
    summary:
      "Use of an organization or a branch subtree in [from, to): outgoing documents, all documents, bytes, active users, per branch (default: this month)",
    query: z.strictObject({
      organizationId: z.uuid(),
      branchId: z.uuid().optional(),
      from: z.iso.date().optional(),
      to: z.iso.date().optional(),
    }),
    handler: async (ctx, { query }) => {
      const found = await branchWithOrganization(deps.db, {
        organizationId: query.organizationId,
        branchId: query.branchId ?? null,
      });
      if (!found) throw notFound();
      authorize(ctx.state.actor, "billing.read", branchResource(found.branch), false);
      const today = applianceDay(deps.clock.now());
      const from = query.from ?? today.slice(0, 8) + "01";
      const to = query.to ?? addMonths(from, 1);
      ctx.body = await usageOf(deps.reader, {
        organizationId: query.organizationId,
        branchPath: query.branchId ? found.branch.path : undefined,
        from,
        to,
      });
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/billing/branches/:id",
    tag: "billing",
    auth: "any",
    summary:
      "A branch's billing state: whether it may send now (and why not) for everyone working there (the console's banner); the subscription covering it and its open invoices for those who read its billing",
    handler: async (ctx, { params }) => {
      const found = await branchWithOrganization(deps.db, { branchId: params.id });
      if (!found) throw notFound();
      authorize(ctx.state.actor, "branch.read", branchResource(found.branch), false);
      const gate = await canSendOutgoing(
        deps.db,
        { organizationId: found.org.id, branchId: found.branch.id, path: found.branch.path },
        deps.clock.now(),
      );
      // SPEC R1.9: an organization or branch blocked by the operator sends nothing either (assertSenderActive).
      const blocked =
        found.org.status !== "active" ? found.org : found.branch.status !== "active" ? found.branch : null;
      const outgoing = blocked
        ? {
            allowed: false,
            code: "sender_blocked",
            reason: blocked.block_reason ?? "The sending organization or branch is blocked",
          }
        : { allowed: gate.allowed, code: gate.code ?? null, reason: gate.reason ?? null };
      if (!can(ctx.state.actor, "billing.read", branchResource(found.branch))) {
        ctx.body = { branchId: found.branch.id, branchName: found.branch.name, outgoing };
        return;
      }
      const s = await coveringSubscription(deps.db, found.branch.path);
      const open = s ? await openInvoicesOf(deps.db, s.id) : [];
      ctx.body = {
        branchId: found.branch.id,
        branchName: found.branch.name,
        subscription: s ? presentSubscription(s, await planById(deps.db, s.plan_id)) : null,
        outgoing,
        openInvoices: open.map((v) => presentInvoice(v)),
      };
    },
  });

  // ---------- calendar ----------
  api.add({
    method: "get",
    path: "/api/v1/billing/calendar",
    tag: "billing",
    auth: "any",
    summary: "The billing calendar: holidays (not working days) and bank holidays (not banking days)",
    handler: async (ctx) => {
      ctx.body = { days: await billingCalendarDays(deps.db) };
    },
  });
  api.add({
    method: "put",
    path: "/api/v1/billing/calendar",
    tag: "billing",
    auth: "user",
    tx: true,
    body: BillingCalendarInput,
    summary: "Replace the billing calendar (billing operator)",
    handler: async (ctx, { body }) => {
      ctx.body = { days: await billingCalendarSetter(commandContext(ctx, deps), body) };
    },
  });
}
