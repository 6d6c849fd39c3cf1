// The daily billing run (SPEC R4.2, R4.4-R4.7), in steps that each work through their rows in
// batches sized to a write budget (billing.writeBudgetMs), one short write transaction per batch,
// so API writes interleave and a write lock is never held long:
//   prices and plan changes due today → closed plans' subscribers to the successor → suspensions
//   on request begin/end → terminations → exhausted packages end early → renewal invoices ahead of
//   the term's end → terms roll over (or end) → overdue notices (the day after the due date) →
//   blocks (3 days after the notice) → optional suspension (15 days) and full block (3 months).
// Every step is audited and notified; the clock is injected, so tests run a year in seconds.
import type { Knex } from "knex";
import type { Clock } from "../../clock.js";
import type { Config } from "../../config/index.js";
import type { Db, Tx } from "../../storage/db.js";
import { auditBatchAppender, type AuditEvent } from "../audit/commands.js";
import type { CommandContext } from "../context.js";
import { systemActor } from "../identity/roles.js";
import { bumpEpoch } from "../retention/facts.js";
import { billingCalendar } from "./calendar.js";
import { addDays, addMonths, daysBetween } from "../shared/days.js";
import { invoicePayload, invoicesIssuer, type InvoiceDraft, type InvoiceRow } from "./invoices.js";
import { divRound, formatAmount } from "../shared/money.js";
import { billingNoticeWriter, type PlanRow } from "./plans.js";
import { LIVE, termInvoice, type SubscriptionRow } from "./subscriptions.js";
import { BatchSizer, yieldToRequests } from "../../storage/writeBudget.js";
import { organizationFactsWriter } from "../identity/records.js";
import { noticeDeliveries } from "../../mail/outbox.js";
import { storageReleaser } from "./metering.js";
import { serviceActsIssuer } from "./serviceActs.js";
import { localDay } from "../shared/zones.js";
import { applianceDay } from "../shared/zones.js";

export interface DailyResult {
  [step: string]: number | string;
}
/** A run's counts per step, its longest write transaction, and how long each step took (ms). */
export interface DailyRun {
  [step: string]: number | string | Record<string, number>;
  maxWriteMs: number;
  slowestStep: string;
  stepMs: Record<string, number>;
}

/**
 * Sets per-row values on many rows in one UPDATE (`col = CASE id WHEN … THEN … END`): a statement
 * per row would cost a round trip each, and the write lock is held meanwhile.
 */
async function updateEach(
  tx: Tx,
  table: string,
  rows: Array<{ id: string } & Record<string, unknown>>,
  same: Record<string, unknown> = {},
) {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0]).filter((c) => c !== "id");
  const set: Record<string, unknown> = { ...same };
  for (const c of columns) {
    set[c] = tx.raw(
      `CASE id ${rows.map(() => "WHEN ? THEN ?").join(" ")} END`,
      rows.flatMap((r) => [r.id, r[c] as any]),
    );
  }
  await tx(table)
    .whereIn(
      "id",
      rows.map((r) => r.id),
    )
    .update(set);
}

export class BillingDay {
  /** the day of the pass running now: the appliance's, or an organization zone's (SPEC R2.6) */
  today: string;
  private zone: string;
  /** which organizations this pass works on; null: all (an appliance whose organizations share its zone) */
  private scope: { in: string[] } | { notIn: string[] } | null = null;
  readonly result: DailyResult = {};
  /** the longest write transaction of the run, ms, and its step */
  maxWriteMs = 0;
  slowestStep = "";
  private plans = new Map<string, PlanRow>();

  constructor(
    private db: Db,
    private clock: Clock,
    private config: Config,
  ) {
    this.today = applianceDay(clock.now());
    this.zone = config.server.timeZone;
  }

  /** Restricts a query to the organizations of this pass (a no-op when every organization shares the appliance's zone). */
  private scoped<Q extends Knex.QueryBuilder>(q: Q, column: string): Q {
    if (!this.scope) return q;
    if ("in" in this.scope) return q.whereIn(column, this.scope.in) as Q;
    return (this.scope.notIn.length ? q.whereNotIn(column, this.scope.notIn) : q) as Q;
  }

  private ctx(tx: Tx): CommandContext {
    return { tx, actor: systemActor, clock: this.clock, config: this.config, meta: { ip: null, requestId: null } };
  }

  /**
   * Works through a step's rows in batches, one write transaction each, until `next` finds none.
   * The batch adapts to the machine: each next one is sized so its transaction takes about
   * billing.writeBudgetMs (at most billing.batchSize rows; see BatchSizer), so a write lock stays
   * short whatever a row of this step costs here.
   * `next(limit)` returns the rows' work: loading (inside the transaction, or given) and applying.
   */
  private async inBatches(
    step: string,
    next: (limit: number) => Promise<{ size: number; write: (tx: Tx) => Promise<number> } | null>,
  ) {
    const { batchSize, writeBudgetMs } = this.config.billing;
    const sizer = new BatchSizer(writeBudgetMs, batchSize); // starts small: a step's first batch runs cold
    this.result[step] ??= 0;
    for (let batch = await next(sizer.limit); batch; batch = await next(sizer.limit)) {
      // Timed from inside the transaction (not from the wait for the connection) to its commit.
      let t0 = 0;
      const n = await this.db.transaction((tx) => {
        t0 = performance.now();
        return batch!.write(tx);
      });
      const ms = performance.now() - t0;
      if (ms > this.maxWriteMs) {
        this.maxWriteMs = ms;
        this.slowestStep = step;
      }
      this.result[step] = Number(this.result[step]) + n;
      if (batch.size < sizer.limit) return;
      sizer.record(batch.size, ms);
      await yieldToRequests();
    }
  }

  /** Rows found by `select` (up to a batch; a row a batch changed no longer matches), then `apply`. */
  private batches<T>(
    step: string,
    select: (tx: Tx, limit: number) => Promise<T[]>,
    apply: (ctx: CommandContext, rows: T[]) => Promise<void>,
  ) {
    return this.inBatches(step, async (limit) => {
      const rows = await select(this.db, limit);
      return rows.length === 0
        ? null
        : {
            size: rows.length,
            write: async (tx) => {
              await apply(this.ctx(tx), rows);
              return rows.length;
            },
          };
    });
  }

  /**
   * For steps whose finding query is a join worth running once: the candidates' ids are found up
   * front, and each batch loads its rows by id and checks them again in its transaction (`load`
   * drops a row that changed meanwhile).
   */
  private batchesOf<T>(
    step: string,
    ids: string[],
    load: (tx: Tx, ids: string[]) => Promise<T[]>,
    apply: (ctx: CommandContext, rows: T[]) => Promise<void>,
  ) {
    let at = 0;
    return this.inBatches(step, async (limit) => {
      if (at >= ids.length) return null;
      const chunk = ids.slice(at, (at += limit));
      return {
        size: chunk.length,
        write: async (tx) => {
          const rows = await load(tx, chunk);
          if (rows.length) await apply(this.ctx(tx), rows);
          return rows.length;
        },
      };
    });
  }

  private async plan(tx: Tx, id: string): Promise<PlanRow> {
    let p = this.plans.get(id);
    if (!p) this.plans.set(id, (p = (await tx("tariff_plans").where({ id }).first())!));
    return p!;
  }

  private async audit(ctx: CommandContext, events: AuditEvent[]) {
    await auditBatchAppender(ctx.tx, ctx.clock, [{ meta: { actor: systemActor, ip: null, requestId: null }, events }]);
  }

  /** The steps whose day binds an organization, for the organizations of this pass. */
  private async organizationSteps(step: (name: string, run: () => Promise<void>) => Promise<void>) {
    await step("planChanges", () => this.planChanges());
    await step("closedPlanMigrations", () => this.closedPlanMigrations());
    await step("suspensions", () => this.suspensions());
    await step("terminations", () => this.terminations());
    await step("exhaustedPackages", () => this.exhaustedPackages());
    await step("renewalInvoices", () => this.renewalInvoices());
    await step("termsRolled", () => this.rollTerms());
    await step("overdueNotices", () => this.overdueNotices());
    await step("noticesDelivered", () => this.noticesDelivered());
    await step("blocks", () => this.blocks());
    if (this.config.billing.overdue.suspendStep)
      await step("suspendedForDebt", () => this.escalate("suspended", this.config.billing.overdue.suspendAfterDays));
    if (this.config.billing.overdue.fullBlockStep)
      await step("fullBlocks", () => this.escalate("full", this.config.billing.overdue.fullBlockAfterDays));
  }

  async run(): Promise<DailyRun> {
    const stepMs: Record<string, number> = {};
    const step = async (name: string, run: () => Promise<void>) => {
      const t0 = performance.now();
      await run();
      stepMs[name] = (stepMs[name] ?? 0) + Math.round(performance.now() - t0);
    };
    // SPEC R2.6: a day binds an organization in its own zone. Organizations with a zone of their
    // own are run in passes of their zone's day; the rest on the appliance's.
    const appliance = this.config.server.timeZone;
    const zoned: Array<{ id: string; time_zone: string }> = await this.db("organizations")
      .whereNotNull("time_zone")
      .whereNot("time_zone", appliance)
      .select("id", "time_zone");
    const zones = [...new Set(zoned.map((o) => o.time_zone))];
    this.scope = zones.length ? { notIn: zoned.map((o) => o.id) } : null;
    // Plan-wide and day-free steps, once.
    await step("priceChanges", () => this.priceChanges());
    await step("storageReleased", () => this.storageReleased());
    if (this.config.billing.serviceActs) await step("serviceActs", () => this.serviceActs());
    await this.organizationSteps(step);
    for (const zone of zones) {
      this.zone = zone;
      this.today = localDay(this.clock.now(), zone);
      this.scope = { in: zoned.filter((o) => o.time_zone === zone).map((o) => o.id) };
      await this.organizationSteps(step);
    }
    this.zone = appliance;
    this.today = applianceDay(this.clock.now());
    this.scope = null;
    return { ...this.result, maxWriteMs: Math.round(this.maxWriteMs), slowestStep: this.slowestStep, stepMs };
  }

  /** SPEC R4.6: announced price changes apply on their day (to invoices issued from then on). */
  private async priceChanges() {
    await this.batches(
      "priceChanges",
      (tx, limit) =>
        tx("plan_price_changes")
          .whereNull("applied_at")
          .where("effective_on", "<=", this.today)
          .orderBy("effective_on")
          .limit(limit),
      async (ctx, rows: Array<{ id: string; plan_id: string; price_minor: string | number; effective_on: string }>) => {
        for (const c of rows) {
          await ctx
            .tx("tariff_plans")
            .where({ id: c.plan_id })
            .update({ price_minor: c.price_minor, updated_at: ctx.clock.now().toISOString() });
          await ctx.tx("plan_price_changes").where({ id: c.id }).update({ applied_at: ctx.clock.now().toISOString() });
          this.plans.delete(c.plan_id);
        }
        await this.audit(
          ctx,
          rows.map((c) => ({
            action: "billing.plan_price_apply",
            target: { type: "tariff_plan", id: c.plan_id },
            details: { price: formatAmount(c.price_minor), effectiveOn: c.effective_on },
          })),
        );
      },
    );
  }

  /**
   * SPEC R4.6: a chosen plan applies on its 1st. The rest of the term is settled at once: the
   * difference in price for the days left is invoiced, or kept as the payer's credit when lower.
   */
  private async planChanges() {
    await this.batches(
      "planChanges",
      (tx, limit) =>
        this.scoped(
          tx("subscriptions")
            .whereIn("status", LIVE)
            .whereNotNull("pending_plan_id")
            .where("pending_plan_on", "<=", this.today)
            .limit(limit),
          "organization_id",
        ),
      async (ctx, rows: SubscriptionRow[]) => {
        const drafts: InvoiceDraft[] = [];
        const events: AuditEvent[] = [];
        for (const s of rows) {
          const from = await this.plan(ctx.tx, s.plan_id);
          const to = await this.plan(ctx.tx, s.pending_plan_id!);
          const left = Math.max(0, daysBetween(s.pending_plan_on!, s.period_end));
          const term = Math.max(1, daysBetween(s.period_start, s.period_end));
          const diff = divRound((BigInt(to.price_minor) - BigInt(from.price_minor)) * BigInt(left), BigInt(term));
          await ctx.tx("subscriptions").where({ id: s.id }).update({
            plan_id: to.id,
            pending_plan_id: null,
            pending_plan_on: null,
            updated_at: ctx.clock.now().toISOString(),
          });
          if (diff > 0n) {
            drafts.push({
              kind: "plan_change",
              subscription: s,
              currency: to.currency,
              vatExempt: Boolean(to.vat_exempt),
              periodFrom: s.pending_plan_on,
              periodTo: s.period_end,
              lines: [
                {
                  description: `Change from the "${from.name}" plan to "${to.name}" for ${left} of ${term} days of the term`,
                  unitPriceMinor: diff,
                },
              ],
            });
          } else if (diff < 0n) {
            await ctx.tx("credit_ledger").insert({
              organization_id: s.payer_organization_id,
              currency: to.currency,
              amount_minor: (-diff).toString(),
              payment_id: null,
              invoice_id: null,
              at: ctx.clock.now().toISOString(),
            });
          }
          events.push({
            action: "billing.plan_change_apply",
            target: { type: "subscription", id: s.id },
            organizationId: s.organization_id,
            details: { from: from.id, to: to.id, settlement: formatAmount(diff) },
          });
        }
        await invoicesIssuer(ctx, drafts);
        await this.audit(ctx, events);
      },
    );
  }

  /** SPEC R4.6 [000 §4.10]: subscribers of a closed plan who chose nothing else move to its successor. */
  private async closedPlanMigrations() {
    await this.batches(
      "closedPlanMigrations",
      (tx, limit) =>
        this.scoped(
          tx("subscriptions as s")
            .join("tariff_plans as p", "p.id", "s.plan_id")
            .where("p.status", "closed")
            .where("p.migrate_on", "<=", this.today)
            .whereIn("s.status", LIVE)
            .whereNull("s.pending_plan_id")
            .select("s.*", "p.successor_id", "p.name as plan_name")
            .limit(limit),
          "s.organization_id",
        ),
      async (ctx, rows: Array<SubscriptionRow & { successor_id: string; plan_name: string }>) => {
        const now = ctx.clock.now().toISOString();
        await updateEach(
          ctx.tx,
          "subscriptions",
          rows.map((s) => ({ id: s.id, plan_id: s.successor_id })),
          { updated_at: now },
        );
        await this.audit(
          ctx,
          rows.map((s) => ({
            action: "billing.plan_migrate",
            target: { type: "subscription", id: s.id },
            organizationId: s.organization_id,
            details: { from: s.plan_id, to: s.successor_id },
          })),
        );
      },
    );
  }

  /** SPEC R4.7: suspensions asked for begin and end on their days. */
  private async suspensions() {
    const now = this.clock.now().toISOString();
    await this.db.transaction(async (tx) => {
      const begun = await this.scoped(tx("subscriptions"), "organization_id")
        .where({ status: "active" })
        .whereNotNull("suspended_from")
        .where("suspended_from", "<=", this.today)
        .where((w) => w.whereNull("suspended_until").orWhere("suspended_until", ">", this.today))
        .update({ status: "suspended", updated_at: now });
      const ended = await this.scoped(tx("subscriptions"), "organization_id")
        .where({ status: "suspended" })
        .where("suspended_until", "<=", this.today)
        .update({ status: "active", suspended_from: null, suspended_until: null, updated_at: now });
      this.result.suspensions = Number(this.result.suspensions ?? 0) + begun + ended;
    });
  }

  private async terminations() {
    await this.batches(
      "terminations",
      (tx, limit) =>
        this.scoped(
          tx("subscriptions")
            .whereIn("status", LIVE)
            .whereNotNull("terminates_on")
            .where("terminates_on", "<=", this.today)
            .limit(limit),
          "organization_id",
        ),
      async (ctx, rows: SubscriptionRow[]) => {
        await ctx
          .tx("subscriptions")
          .whereIn(
            "id",
            rows.map((s) => s.id),
          )
          .update({ status: "terminated", ended_reason: "terminated", updated_at: ctx.clock.now().toISOString() });
        await this.audit(
          ctx,
          rows.map((s) => ({
            action: "billing.subscription_end",
            target: { type: "subscription", id: s.id },
            organizationId: s.organization_id,
            details: { reason: "terminated", on: s.terminates_on },
          })),
        );
        // A head office's subscription terminated is the participant's contract ended (R5.2): its
        // documents stay readable for retention.afterContractMonths, then fall to retention.
        const heads: Array<{ id: string }> = await ctx
          .tx("branches")
          .whereIn(
            "id",
            rows.map((s) => s.branch_id),
          )
          .whereNull("parent_id")
          .select("id");
        const ended = rows.filter((s) => heads.some((b) => b.id === s.branch_id));
        for (const s of ended)
          await organizationFactsWriter(
            ctx.tx,
            s.organization_id,
            { contract_ended_on: s.terminates_on },
            ctx.clock.now().toISOString(),
            "contract_ended_on",
          );
        if (ended.length) await bumpEpoch(ctx.tx);
      },
    );
  }

  /** SPEC R4.2: a package whose transactions are used up ends early: its term ends today. */
  private async exhaustedPackages() {
    await this.batches(
      "exhaustedPackages",
      (tx, limit) =>
        this.scoped(tx("subscriptions as s"), "s.organization_id")
          .join("tariff_plans as p", "p.id", "s.plan_id")
          .where("p.package", true)
          .whereNotNull("p.quota_documents")
          .whereIn("s.status", LIVE)
          .where("s.period_end", ">", this.today)
          .whereRaw("s.used_documents >= p.quota_documents")
          .select("s.*")
          .limit(limit),
      async (ctx, rows: SubscriptionRow[]) => {
        await ctx
          .tx("subscriptions")
          .whereIn(
            "id",
            rows.map((s) => s.id),
          )
          .update({ period_end: this.today, updated_at: ctx.clock.now().toISOString() });
        await this.audit(
          ctx,
          rows.map((s) => ({
            action: "billing.package_exhausted",
            target: { type: "subscription", id: s.id },
            organizationId: s.organization_id,
            details: { used: Number(s.used_documents) },
          })),
        );
      },
    );
  }

  /** SPEC R4.2: a renewing subscription's next term is invoiced `renewalLeadDays` before its end. */
  private async renewalInvoices() {
    const horizon = addDays(this.today, this.config.billing.renewalLeadDays);
    const calendar = await billingCalendar(this.db, this.today);
    const due = (tx: Tx) =>
      this.scoped(tx("subscriptions"), "subscriptions.organization_id")
        .whereIn("subscriptions.status", LIVE)
        .where("subscriptions.auto_renew", true)
        .whereNull("subscriptions.terminates_on")
        .where("subscriptions.period_end", "<=", horizon);
    const ids: string[] = await due(this.db)
      .leftJoin("invoices as i", function () {
        this.on("i.subscription_id", "=", "subscriptions.id")
          .andOn("i.period_from", "=", "subscriptions.period_end")
          .andOnVal("i.kind", "=", "renewal");
      })
      .whereNull("i.id")
      .pluck("subscriptions.id");
    await this.batchesOf(
      "renewalInvoices",
      ids,
      async (tx, chunk) => {
        // By primary key, conditions checked here: SQLite, without statistics, would rather scan the status index.
        const rows = ((await tx("subscriptions").whereIn("id", chunk)) as SubscriptionRow[]).filter(
          (s) => LIVE.includes(s.status) && Boolean(s.auto_renew) && !s.terminates_on && s.period_end <= horizon,
        );
        const invoiced = new Set(
          (
            await tx("invoices")
              .whereIn("subscription_id", chunk)
              .where("kind", "renewal")
              .select("subscription_id", "period_from")
          ).map((v) => `${v.subscription_id} ${v.period_from}`),
        );
        return rows.filter((s) => !invoiced.has(`${s.id} ${s.period_end}`));
      },
      async (ctx, rows: SubscriptionRow[]) => {
        const drafts: InvoiceDraft[] = [];
        for (const s of rows) {
          // The plan of the next term: a chosen change that applies by then, else the current one.
          const planId = s.pending_plan_id && s.pending_plan_on! <= s.period_end ? s.pending_plan_id : s.plan_id;
          const plan = await this.plan(ctx.tx, planId);
          const next = addMonths(s.period_end, Number(plan.term_months));
          drafts.push(
            BigInt(plan.price_minor) > 0n
              ? termInvoice(s, plan, "renewal", s.period_end, next)
              : {
                  ...termInvoice(s, plan, "renewal", s.period_end, next),
                  lines: [{ description: `Free "${plan.name}" plan`, unitPriceMinor: 0n }],
                },
          );
        }
        // A free plan's renewal still gets its (zero, paid) invoice: it marks the term as renewed.
        const issued = await invoicesIssuer(ctx, drafts, calendar);
        const free = issued.filter((v) => BigInt(v.total_minor) === 0n).map((v) => v.id);
        if (free.length) await ctx.tx("invoices").whereIn("id", free).update({ status: "paid", paid_on: this.today });
      },
    );
  }

  /** Terms that reached their end renew (new period, counters reset) or end. */
  private async rollTerms() {
    await this.batches(
      "termsRolled",
      (tx, limit) =>
        this.scoped(tx("subscriptions"), "organization_id")
          .whereIn("status", LIVE)
          .where("period_end", "<=", this.today)
          .limit(limit),
      async (ctx, rows: SubscriptionRow[]) => {
        const now = ctx.clock.now().toISOString();
        const events: AuditEvent[] = [];
        const ended: string[] = [];
        const renewed: Array<{ id: string; period_start: string; period_end: string }> = [];
        for (const s of rows) {
          if (!s.auto_renew || s.terminates_on) {
            ended.push(s.id);
            events.push({
              action: "billing.subscription_end",
              target: { type: "subscription", id: s.id },
              organizationId: s.organization_id,
              details: { reason: "term_end", on: s.period_end },
            });
            continue;
          }
          const plan = await this.plan(ctx.tx, s.plan_id);
          let start = s.period_end;
          let end = addMonths(start, Number(plan.term_months));
          while (end <= this.today) {
            start = end;
            end = addMonths(start, Number(plan.term_months));
          }
          renewed.push({ id: s.id, period_start: start, period_end: end });
          events.push({
            action: "billing.renew",
            target: { type: "subscription", id: s.id },
            organizationId: s.organization_id,
            details: { periodStart: start, periodEnd: end },
          });
        }
        if (ended.length)
          await ctx
            .tx("subscriptions")
            .whereIn("id", ended)
            .update({ status: "ended", ended_reason: "term_end", updated_at: now });
        await updateEach(ctx.tx, "subscriptions", renewed, { used_documents: 0, updated_at: now });
        await this.audit(ctx, events);
      },
    );
  }

  /** The operator's acts of services rendered for each ended month of a term (000 §4.8, 004 §3.5). */
  private async serviceActs() {
    this.result.serviceActs ??= 0;
    for (;;) {
      const n = await this.db.transaction((tx) => serviceActsIssuer(this.ctx(tx), this.today));
      this.result.serviceActs = Number(this.result.serviceActs) + n;
      if (n === 0) return;
    }
  }

  /** SPEC R4.3: content destroyed by disposition no longer counts as stored bytes. */
  private async storageReleased() {
    this.result.storageReleased ??= 0;
    for (;;) {
      const { released } = await this.db.transaction((tx) => storageReleaser(tx, 1000));
      this.result.storageReleased = Number(this.result.storageReleased) + released;
      if (released === 0) return;
    }
  }

  /** SPEC R4.4: on the day after the due date, an e-mail notice of the coming block. */
  private async overdueNotices() {
    const blockOn = addDays(this.today, this.config.billing.overdue.blockAfterNoticeDays);
    await this.batches(
      "overdueNotices",
      (tx, limit) =>
        this.scoped(tx("invoices"), "organization_id")
          .where({ status: "issued" })
          .where("due_on", "<", this.today)
          .limit(limit),
      async (ctx, rows: InvoiceRow[]) => {
        await ctx
          .tx("invoices")
          .whereIn(
            "id",
            rows.map((v) => v.id),
          )
          // notice_on is set when the notice reaches someone (noticesDelivered), not when it is queued.
          .update({ status: "overdue", notice_on: null, updated_at: ctx.clock.now().toISOString() });
        await billingNoticeWriter(ctx.tx, ctx.clock, "billing.overdue_notice", rows, (v) => ({
          ...invoicePayload(v),
          blockOn,
        }));
        await this.audit(
          ctx,
          rows.map((v) => ({
            action: "billing.overdue_notice",
            target: { type: "invoice", id: v.id },
            organizationId: v.organization_id,
            details: { number: v.number, dueOn: v.due_on, blockOn },
          })),
        );
      },
    );
  }

  /**
   * SPEC R4.4, R6.2: the overdue notice counts from its delivery — the SMTP server took it, or the
   * console first showed it to one of its addressees — on that moment's day in the appliance's zone.
   * A notice nobody received starts no count, so no block follows it.
   */
  private async noticesDelivered() {
    const waiting: string[] = await this.scoped(this.db("invoices"), "organization_id")
      .where({ status: "overdue" })
      .whereNull("notice_on")
      .pluck("id");
    await this.batchesOf(
      "noticesDelivered",
      waiting,
      async (tx, chunk) => {
        const delivered = await noticeDeliveries(
          tx,
          "billing.overdue_notice",
          chunk.map((id) => `invoice:${id}`),
        );
        const rows = ((await tx("invoices").whereIn("id", chunk)) as InvoiceRow[]).filter(
          (v) => v.status === "overdue" && !v.notice_on && delivered.has(`invoice:${v.id}`),
        );
        return rows.map((v) => ({
          ...v,
          notice_on: localDay(new Date(delivered.get(`invoice:${v.id}`)!), this.zone),
        }));
      },
      async (ctx, rows: InvoiceRow[]) => {
        const now = ctx.clock.now().toISOString();
        for (const v of rows)
          await ctx.tx("invoices").where({ id: v.id }).update({ notice_on: v.notice_on, updated_at: now });
      },
    );
  }

  /** SPEC R4.4: 3 days after the notice reached the branch, its outgoing work is blocked. */
  private async blocks() {
    const noticedBy = addDays(this.today, -this.config.billing.overdue.blockAfterNoticeDays);
    const owing = (tx: Tx) =>
      this.scoped(tx("invoices as i"), "i.organization_id")
        .join("subscriptions as s", "s.id", "i.subscription_id")
        .where("i.status", "overdue")
        .whereNotNull("i.notice_on")
        .where("i.notice_on", "<=", noticedBy)
        .whereNull("s.block_stage")
        .whereIn("s.status", LIVE);
    await this.batchesOf(
      "blocks",
      await owing(this.db).pluck("i.id"),
      async (tx, chunk) => {
        // By primary key, conditions checked here (see renewalInvoices).
        const rows = ((await tx("invoices").whereIn("id", chunk)) as InvoiceRow[]).filter(
          (v) => v.status === "overdue",
        );
        const subs: SubscriptionRow[] = await tx("subscriptions").whereIn("id", [
          ...new Set(rows.map((v) => v.subscription_id!)),
        ]);
        const open = new Set(subs.filter((s) => !s.block_stage && LIVE.includes(s.status)).map((s) => s.id));
        return rows.filter((v) => open.has(v.subscription_id!));
      },
      async (ctx, rows: InvoiceRow[]) => {
        const now = ctx.clock.now().toISOString();
        const first = new Map<string, InvoiceRow>();
        for (const v of rows) if (!first.has(v.subscription_id!)) first.set(v.subscription_id!, v);
        await updateEach(
          ctx.tx,
          "subscriptions",
          [...first].map(([id, v]) => ({ id, blocked_invoice_id: v.id })),
          { block_stage: "blocked", blocked_at: now, updated_at: now },
        );
        const owing = [...first.values()];
        await billingNoticeWriter(ctx.tx, ctx.clock, "billing.block_applied", owing, (v) => ({
          ...invoicePayload(v),
          stage: "blocked",
        }));
        await this.audit(
          ctx,
          owing.map((v) => ({
            action: "billing.block",
            target: { type: "branch", id: v.branch_id },
            organizationId: v.organization_id,
            details: { subscriptionId: v.subscription_id, invoiceId: v.id, number: v.number, stage: "blocked" },
          })),
        );
      },
    );
  }

  /**
   * SPEC R4.5 [002 §4.2], optional: longer delays suspend all work (15 days) or block the branch
   * itself (3 months). Both are billing's own block stage on the subscription: the gate and
   * metering read it; the branch's status stays identity's (an operator's administrative block).
   */
  private async escalate(stage: "suspended" | "full", afterDays: number) {
    const dueBy = addDays(this.today, -afterDays);
    const from = stage === "suspended" ? ["blocked"] : ["blocked", "suspended"];
    await this.batches(
      stage === "suspended" ? "suspendedForDebt" : "fullBlocks",
      (tx, limit) =>
        this.scoped(tx("subscriptions as s"), "s.organization_id")
          .join("invoices as i", "i.id", "s.blocked_invoice_id")
          .whereIn("s.block_stage", from)
          .where("i.status", "overdue")
          .where("i.due_on", "<=", dueBy)
          .select("s.*", "i.number as invoice_number", "i.due_on as invoice_due_on")
          .limit(limit),
      async (ctx, rows: Array<SubscriptionRow & { invoice_number: string; invoice_due_on: string }>) => {
        const now = ctx.clock.now().toISOString();
        await ctx
          .tx("subscriptions")
          .whereIn(
            "id",
            rows.map((s) => s.id),
          )
          .update({ block_stage: stage, updated_at: now });
        await billingNoticeWriter(ctx.tx, ctx.clock, "billing.block_applied", rows, (s) => ({
          number: s.invoice_number,
          dueOn: s.invoice_due_on,
          stage,
        }));
        await this.audit(
          ctx,
          rows.map((s) => ({
            action: "billing.block",
            target: { type: "branch", id: s.branch_id },
            organizationId: s.organization_id,
            details: { subscriptionId: s.id, number: s.invoice_number, stage },
          })),
        );
      },
    );
  }
}
