/**
 * <q-billing-page>: tariff plans, subscriptions with their use against the plan's quotas, usage over
 * the last six months per branch (a chart with the same figures as a table beside it for screen
 * readers), invoices with payments recorded by the billing operator, and blocks with their history
 * (what billing did to the subscription: notices, blocks, lifts).
 */
import { dayField } from "../components/shared/fields.js";
import { html, nothing, svg } from "lit";
import { customElement, state } from "lit/decorators.js";
import { api, type Page } from "../api/client.js";
import { QScreen, hasRole } from "../components/shared/base.js";
import { fieldError, formValues, renderProblem } from "../components/shared/problem.js";
import {
  amountInput,
  auditPhrase,
  enumLabel,
  formatAmount,
  formatBytes,
  formatDate,
  formatDay,
  t,
} from "../i18n/i18n.js";
import type { Organization } from "./types.js";

interface Plan {
  id: string;
  code: string;
  name: string;
  price: string;
  currency: string;
  termMonths: number;
  quotas: { documents: number | null; storageBytes: number | null; users: number | null };
  package: boolean;
  status: string;
}
interface Subscription {
  id: string;
  organizationId: string;
  branchId: string | null;
  planId: string;
  planName?: string;
  paymentTerms: string;
  status: string;
  periodStart: string;
  periodEnd: string;
  autoRenew: boolean;
  usage: { documents: number; storageBytes: number };
  block: { stage: string; since: string } | null;
  suspension: { from: string; until: string | null } | null;
}
interface Invoice {
  id: string;
  number: string;
  status: string;
  organizationId: string;
  currency: string;
  total: string;
  paid: string;
  outstanding: string;
  issuedOn: string;
  dueOn: string;
  penalty: string;
}
interface Usage {
  from: string;
  to: string;
  outgoingDocuments: number;
  bytes: number;
  activeUsers: number;
  branches: Array<{ branchId: string; outgoingDocuments: number; bytes: number }>;
}
interface AuditEntry {
  seq: number;
  at: string;
  action: string;
  details: Record<string, unknown>;
}

const monthStart = (d: Date, back: number) =>
  new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - back, 1)).toISOString().slice(0, 10);

@customElement("q-billing-page")
export class QBillingPage extends QScreen {
  @state() private plans: Plan[] = [];
  @state() private subscriptions: Subscription[] = [];
  @state() private invoices: Invoice[] = [];
  /** the appliance's business day: what a payment is dated by default (the browser's date may differ near midnight) */
  private today = new Date().toISOString().slice(0, 10);
  @state() private organizations: Organization[] = [];
  @state() private usageOrg = "";
  @state() private usage: Usage[] = [];
  @state() private history: { subscriptionId: string; entries: AuditEntry[] } | null = null;

  /** SPEC R4.7, R4.6: the participant's own head or administrator asks; the billing operator may too. */
  private mayRequest(s: Subscription) {
    return (
      hasRole(this.me, "billing_operator") ||
      Boolean(
        this.me?.roles.some(
          (g) => (g.role === "org_admin" || g.role === "head") && g.organizationId === s.organizationId,
        ),
      )
    );
  }

  /** A participant's own requests about a subscription: suspend for a while, change the plan, terminate. */
  private renderRequests(s: Subscription) {
    const live = s.status === "active" || s.status === "suspended";
    if (!live) return nothing;
    const name = `${this.orgName(s.organizationId)} — ${s.planName ?? ""}`;
    const other = this.plans.filter((p) => p.status === "active" && p.id !== s.planId);
    return html`<details class="card" data-testid="requests">
      <summary>${t("billing.requests", { name })}</summary>
      ${
        s.suspension
          ? html`<p>
                ${t("billing.suspendedFor", { from: formatDay(s.suspension.from), until: formatDay(s.suspension.until) })}
                <button
                  class="secondary"
                  @click=${() => this.run(`resume-${s.id}`, "DELETE", `/billing/subscriptions/${s.id}/suspension`)}
                >
                  ${t("billing.resume")}
                </button>
              </p>
              ${renderProblem(this.problems[`resume-${s.id}`])}`
          : html`<form
              class="grid"
              @submit=${(e: Event) => {
                const f = formValues(e);
                void this.run(`suspend-${s.id}`, "POST", `/billing/subscriptions/${s.id}/suspension`, {
                  from: f.from,
                  until: f.until,
                  reason: f.reason ?? "",
                });
              }}
            >
              <h3>${t("billing.suspend")}</h3>
              <p class="muted">${t("billing.suspendHint")}</p>
              <div class="row">
                ${dayField(t("billing.from"), "from", { required: true })}
                ${dayField(t("billing.until"), "until", { required: true })}
              </div>
              <label>${t("billing.suspendReason")} <input name="reason" required /></label>
              ${renderProblem(this.problems[`suspend-${s.id}`])}<button type="submit">${t("billing.suspend")}</button>
            </form>`
      }
      <form
        class="grid"
        @submit=${(e: Event) => {
          const f = formValues(e);
          void this.run(`change-${s.id}`, "POST", `/billing/subscriptions/${s.id}/plan-change`, {
            planId: f.planId,
            ...(f.effectiveOn ? { effectiveOn: f.effectiveOn } : {}),
          });
        }}
      >
        <h3>${t("billing.changePlan")}</h3>
        <p class="muted">${t("billing.changePlanHint")}</p>
        <div class="row">
          <label
            >${t("billing.newPlan")}
            <select name="planId" required>
              ${other.map((p) => html`<option value=${p.id}>${p.name} (${formatAmount(p.price)} ${p.currency})</option>`)}
            </select></label
          >
          ${dayField(t("billing.effectiveOn"), "effectiveOn")}
        </div>
        ${renderProblem(this.problems[`change-${s.id}`])}<button type="submit" ?disabled=${!other.length}>
          ${t("billing.changePlan")}
        </button>
      </form>
      <form
        class="grid"
        @submit=${(e: Event) => {
          const f = formValues(e);
          if (!confirm(t("billing.terminateConfirm", { name }))) return;
          void this.run(`terminate-${s.id}`, "POST", `/billing/subscriptions/${s.id}/termination`, {
            reason: f.reason ?? "",
            ...(f.on ? { on: f.on } : {}),
          });
        }}
      >
        <h3>${t("billing.terminate")}</h3>
        <p class="muted">${t("billing.terminateHint")}</p>
        <div class="row">
          ${dayField(t("billing.terminateOn"), "on")}
          <label>${t("billing.terminateReason")} <input name="reason" required /></label>
        </div>
        ${renderProblem(this.problems[`terminate-${s.id}`])}<button type="submit" class="danger">
          ${t("billing.terminate")}
        </button>
      </form>
    </details>`;
  }

  private get operator() {
    return hasRole(this.me, "billing_operator", "system_admin");
  }
  private orgName(id: string) {
    return this.organizations.find((o) => o.id === id)?.name ?? id.slice(0, 8);
  }

  protected async load() {
    await this.act("load", async () => {
      [this.plans, this.subscriptions, this.invoices, this.organizations] = await Promise.all([
        api<{ items: Plan[] }>("GET", "/billing/plans").then((r) => r.items),
        api<{ items: Subscription[] }>("GET", "/billing/subscriptions").then((r) => r.items),
        api<{ items: Invoice[]; today: string }>("GET", "/billing/invoices").then((r) => {
          this.today = r.today;
          return r.items;
        }),
        api<Page<Organization>>("GET", "/organizations", undefined, { limit: 500, external: "false" }).then(
          (r) => r.items,
        ),
      ]);
    });
    const mine = this.me?.roles.find((g) => g.organizationId)?.organizationId;
    if (!this.usageOrg) this.usageOrg = mine ?? this.subscriptions[0]?.organizationId ?? "";
    await this.loadUsage();
  }

  private async loadUsage() {
    if (!this.usageOrg) return;
    const now = new Date();
    await this.act("usage", async () => {
      this.usage = await Promise.all(
        [5, 4, 3, 2, 1, 0].map((back) =>
          api<Usage>("GET", "/billing/usage", undefined, {
            organizationId: this.usageOrg,
            from: monthStart(now, back),
            to: monthStart(now, back - 1),
          }),
        ),
      );
    });
  }

  private async showHistory(subscriptionId: string) {
    const r = await this.act("history", () =>
      api<{ items: AuditEntry[] }>("GET", `/billing/subscriptions/${subscriptionId}/history`),
    );
    this.history = { subscriptionId, entries: r?.items ?? [] };
  }

  private quota(used: number, limit: number | null, bytes = false) {
    const f = (n: number) => (bytes ? formatBytes(n) : String(n));
    if (limit === null) return html`${f(used)} / ∞`;
    return html`<meter
        min="0"
        max=${limit}
        .value=${used}
        high=${limit * 0.9}
        aria-label=${`${f(used)} / ${f(limit)}`}
      ></meter>
      ${f(used)} / ${f(limit)}`;
  }

  private renderChart() {
    if (!this.usage.length) return nothing;
    const months = this.usage.map((u) => u.from.slice(0, 7));
    const branchIds = [...new Set(this.usage.flatMap((u) => u.branches.map((b) => b.branchId)))].slice(0, 6);
    const colors = ["#0b5cad", "#1a7f37", "#bf3989", "#9a6700", "#6639ba", "#57606a"];
    const max = Math.max(1, ...this.usage.flatMap((u) => u.branches.map((b) => b.outgoingDocuments)));
    const W = 640,
      H = 200,
      group = W / months.length,
      bar = Math.max(4, (group - 16) / Math.max(1, branchIds.length));
    return html`<figure>
        <svg
          viewBox="0 0 ${W} ${H + 24}"
          width=${W}
          height=${H + 24}
          style="max-width: 100%; height: auto"
          role="img"
          aria-labelledby="usage-caption"
        >
          ${this.usage.map((u, m) =>
            branchIds.map((id, k) => {
              const v = u.branches.find((b) => b.branchId === id)?.outgoingDocuments ?? 0;
              const h = (v / max) * H;
              return svg`<rect x=${m * group + 8 + k * bar} y=${H - h} width=${bar - 2} height=${h} fill=${colors[k]}><title>${months[m]}: ${v}</title></rect>`;
            }),
          )}
          ${months.map((mo, m) => svg`<text x=${m * group + group / 2} y=${H + 18} text-anchor="middle" font-size="12">${mo}</text>`)}
        </svg>
        <figcaption id="usage-caption">${t("billing.usageChart", { org: this.orgName(this.usageOrg) })}</figcaption>
      </figure>
      <table>
        <caption class="sr-only">
          ${t("billing.usageTable")}
        </caption>
        <thead>
          <tr>
            <th>${t("billing.month")}</th>
            <th>${t("billing.outgoing")}</th>
            <th>${t("billing.storage")}</th>
            <th>${t("billing.activeUsers")}</th>
          </tr>
        </thead>
        <tbody>
          ${this.usage.map(
            (u) =>
              html`<tr>
                <td>${u.from.slice(0, 7)}</td>
                <td>${u.outgoingDocuments}</td>
                <td>${formatBytes(u.bytes)}</td>
                <td>${u.activeUsers}</td>
              </tr>`,
          )}
        </tbody>
      </table>`;
  }

  private renderPlans() {
    const p = this.problems.plan;
    return html`<h2>${t("billing.plans")}</h2>
      <table>
        <caption class="sr-only">
          ${t("billing.plans")}
        </caption>
        <thead>
          <tr>
            <th>${t("field.name")}</th>
            <th>${t("billing.price")}</th>
            <th>${t("billing.term")}</th>
            <th>${t("billing.quotaDocuments")}</th>
            <th>${t("billing.quotaStorage")}</th>
            <th>${t("billing.quotaUsers")}</th>
            <th>${t("doc.status")}</th>
          </tr>
        </thead>
        <tbody>
          ${this.plans.map(
            (pl) =>
              html`<tr>
                <td translate="no">${pl.name} <span class="muted">${pl.code}</span></td>
                <td>${formatAmount(pl.price)} ${pl.currency}</td>
                <td>${pl.termMonths}</td>
                <td>${pl.quotas.documents ?? "∞"}</td>
                <td>${pl.quotas.storageBytes === null ? "∞" : formatBytes(pl.quotas.storageBytes)}</td>
                <td>${pl.quotas.users ?? "∞"}</td>
                <td>${enumLabel(pl.status)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${
        this.operator
          ? html`<details class="card">
                <summary>${t("billing.createPlan")}</summary>
                <form
                  class="grid"
                  @submit=${(e: Event) => {
                    const f = formValues(e);
                    const q = (v?: string) => (v ? Number(v) : undefined);
                    void this.run("plan", "POST", "/billing/plans", {
                      code: f.code,
                      name: f.name,
                      price: amountInput(f.price),
                      currency: f.currency,
                      termMonths: q(f.termMonths),
                      terminationNoticeDays: q(f.terminationNoticeDays),
                      vatExempt: f.vatExempt === "on",
                      quotas: {
                        documents: q(f.documents),
                        storageBytes: f.storageMb ? Number(f.storageMb) * 1024 * 1024 : undefined,
                        users: q(f.users),
                      },
                    });
                  }}
                >
                  <div class="row">
                    <label>${t("billing.code")} <input name="code" required /></label
                    ><label>${t("field.name")} <input name="name" required /></label>
                  </div>
                  <div class="row">
                    <label>${t("billing.price")} <input name="price" required inputmode="decimal" /></label
                    >${fieldError(p, "price")}
                    <label
                      >${t("doc.currency")}
                      <select name="currency">
                        <option>KZT</option>
                        <option>UAH</option>
                        <option>USD</option>
                      </select></label
                    >
                    <label
                      >${t("billing.term")} <input name="termMonths" type="number" min="1" max="120" value="12"
                    /></label>
                    <label
                      >${t("billing.terminationNotice")}
                      <input name="terminationNoticeDays" type="number" min="0" max="365" placeholder="30"
                    /></label>
                  </div>
                  <div class="row">
                    <label>${t("billing.quotaDocuments")} <input name="documents" type="number" min="0" /></label>
                    <label>${t("billing.quotaStorageMb")} <input name="storageMb" type="number" min="0" /></label>
                    <label>${t("billing.quotaUsers")} <input name="users" type="number" min="0" /></label>
                  </div>
                  <label class="check"><input type="checkbox" name="vatExempt" /> ${t("billing.vatExempt")}</label>
                  <small class="muted">${t("billing.unlimitedHint")}</small>
                  ${renderProblem(p)}<button type="submit">${t("billing.createPlan")}</button>
                </form>
              </details>
              <details class="card">
                <summary>${t("billing.priceChange")}</summary>
                <p class="muted">${t("billing.priceChangeHint")}</p>
                <form
                  class="grid"
                  @submit=${(e: Event) => {
                    const f = formValues(e);
                    void this.run("priceChange", "POST", `/billing/plans/${f.planId}/price-changes`, {
                      price: amountInput(f.newPrice),
                      ...(f.effectiveOn ? { effectiveOn: f.effectiveOn } : {}),
                    });
                  }}
                >
                  <div class="row">
                    <label
                      >${t("billing.plan")}
                      <select name="planId">
                        ${this.plans
                          .filter((pl) => pl.status === "active")
                          .map(
                            (pl) =>
                              html`<option value=${pl.id}>
                                ${pl.name} (${formatAmount(pl.price)} ${pl.currency})
                              </option>`,
                          )}
                      </select></label
                    >
                    <label>${t("billing.newPrice")} <input name="newPrice" required inputmode="decimal" /></label>
                    ${dayField(t("billing.effectiveOn"), "effectiveOn")}
                  </div>
                  ${renderProblem(this.problems.priceChange)}<button type="submit">
                    ${t("billing.announcePrice")}
                  </button>
                </form>
              </details>
              <details class="card">
                <summary>${t("billing.exchangeRate")}</summary>
                <form
                  class="grid"
                  @submit=${(e: Event) => {
                    const f = formValues(e);
                    void this.run("rate", "POST", "/billing/exchange-rates", {
                      currency: f.rateCurrency,
                      day: f.rateDay,
                      rate: amountInput(f.rate, 4),
                      source: f.rateSource,
                    });
                  }}
                >
                  <div class="row">
                    <label
                      >${t("doc.currency")}
                      <select name="rateCurrency">
                        <option>USD</option>
                        <option>EUR</option>
                        <option>UAH</option>
                      </select></label
                    >
                    ${dayField(t("billing.rateDay"), "rateDay", { required: true })}
                    <label>${t("billing.rate")} <input name="rate" required inputmode="decimal" /></label>
                    <label>${t("billing.rateSource")} <input name="rateSource" required /></label>
                  </div>
                  ${renderProblem(this.problems.rate)}<button type="submit">${t("billing.recordRate")}</button>
                </form>
              </details>`
          : nothing
      }`;
  }

  private renderSubscriptions() {
    const planOf = (id: string) => this.plans.find((p) => p.id === id);
    return html`<h2>${t("billing.subscriptions")}</h2>
      <table class="cards">
        <caption class="sr-only">
          ${t("billing.subscriptions")}
        </caption>
        <thead>
          <tr>
            <th>${t("billing.organization")}</th>
            <th>${t("billing.plan")}</th>
            <th>${t("billing.period")}</th>
            <th>${t("billing.documentsUsed")}</th>
            <th>${t("billing.storageUsed")}</th>
            <th>${t("doc.status")}</th>
            <th><span class="sr-only">${t("common.actions")}</span></th>
          </tr>
        </thead>
        <tbody>
          ${this.subscriptions.map(
            (s) =>
              html`<tr>
                <td data-label=${t("billing.organization")}>${this.orgName(s.organizationId)}</td>
                <td data-label=${t("billing.plan")} translate="no">${s.planName ?? planOf(s.planId)?.name ?? ""}</td>
                <td data-label=${t("billing.period")}>${formatDay(s.periodStart)} – ${formatDay(s.periodEnd)}</td>
                <td data-label=${t("billing.documentsUsed")}>
                  ${this.quota(s.usage.documents, planOf(s.planId)?.quotas.documents ?? null)}
                </td>
                <td data-label=${t("billing.storageUsed")}>
                  ${this.quota(s.usage.storageBytes, planOf(s.planId)?.quotas.storageBytes ?? null, true)}
                </td>
                <td data-label=${t("doc.status")}>
                  ${enumLabel(s.status)}${s.block ? html` <span class="badge bad">${t("billing.blocked")}: ${enumLabel(s.block.stage)} ${formatDay(s.block.since)}</span>` : nothing}
                </td>
                <td>
                  <button class="secondary" @click=${() => this.showHistory(s.id)}>${t("billing.history")}</button>
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${this.subscriptions.filter((s) => this.mayRequest(s)).map((s) => this.renderRequests(s))}
      ${renderProblem(this.problems.history)}
      ${
        this.history
          ? html`<div class="card">
              <h3>${t("billing.history")}</h3>
              ${
                this.history.entries.length
                  ? html`<ol>
                      ${this.history.entries.map(
                        (e) =>
                          html`<li>
                            ${formatDate(e.at)} —
                            ${auditPhrase(e.action)}${typeof e.details?.reason === "string" ? html`: <q>${e.details.reason}</q>` : nothing}
                          </li>`,
                      )}
                    </ol>`
                  : html`<p class="muted">—</p>`
              }
            </div>`
          : nothing
      }
      ${
        this.operator
          ? html`<details class="card">
              <summary>${t("billing.subscribe")}</summary>
              <form
                class="grid"
                @submit=${(e: Event) => {
                  const f = formValues(e);
                  void this.run("subscribe", "POST", "/billing/subscriptions", {
                    organizationId: f.organizationId,
                    planId: f.planId,
                    paymentTerms: f.paymentTerms,
                    ...(f.startOn ? { startOn: f.startOn } : {}),
                  });
                }}
              >
                <label
                  >${t("billing.organization")}
                  <select name="organizationId">
                    ${this.organizations.map((o) => html`<option value=${o.id}>${o.name}</option>`)}
                  </select></label
                >
                <label
                  >${t("billing.plan")}
                  <select name="planId">
                    ${this.plans.filter((p) => p.status === "active").map((p) => html`<option value=${p.id}>${p.name}</option>`)}
                  </select></label
                >
                <label
                  >${t("billing.terms")}
                  <select name="paymentTerms">
                    <option value="standard">${t("billing.standard")}</option>
                    <option value="prepaid">${t("billing.prepaid")}</option>
                    <option value="credit">${t("billing.credit")}</option>
                  </select></label
                >
                ${dayField(t("billing.startOn"), "startOn")} ${renderProblem(this.problems.subscribe)}<button
                  type="submit"
                >
                  ${t("billing.subscribe")}
                </button>
              </form>
            </details>`
          : nothing
      }`;
  }

  private renderInvoices() {
    return html`<h2>${t("billing.invoices")}</h2>
      <table class="cards">
        <caption class="sr-only">
          ${t("billing.invoices")}
        </caption>
        <thead>
          <tr>
            <th>${t("doc.number")}</th>
            <th>${t("billing.organization")}</th>
            <th>${t("billing.issued")}</th>
            <th>${t("billing.due")}</th>
            <th>${t("doc.total")}</th>
            <th>${t("billing.outstanding")}</th>
            <th>${t("doc.status")}</th>
            ${this.operator ? html`<th>${t("billing.recordPayment")}</th>` : nothing}
          </tr>
        </thead>
        <tbody>
          ${this.invoices.map(
            (v) =>
              html`<tr>
                <td data-label=${t("doc.number")}>${v.number}</td>
                <td data-label=${t("billing.organization")}>${this.orgName(v.organizationId)}</td>
                <td data-label=${t("billing.issued")}>${formatDay(v.issuedOn)}</td>
                <td data-label=${t("billing.due")}>${formatDay(v.dueOn)}</td>
                <td data-label=${t("doc.total")}>${formatAmount(v.total)} ${v.currency}</td>
                <td data-label=${t("billing.outstanding")}>${formatAmount(v.outstanding)}</td>
                <td data-label=${t("doc.status")}>
                  <span class="badge ${v.status === "overdue" ? "bad" : v.status === "paid" ? "good" : ""}"
                    >${enumLabel(v.status)}</span
                  >
                </td>
                ${
                  this.operator
                    ? html`<td data-label=${t("billing.recordPayment")}>
                        ${
                          v.status === "issued" || v.status === "overdue"
                            ? html`<form
                                  class="inline"
                                  @submit=${(e: Event) => {
                                    const f = formValues(e);
                                    void this.run(`pay-${v.id}`, "POST", `/billing/invoices/${v.id}/payments`, {
                                      amount: amountInput(f.amount),
                                      currency: v.currency,
                                      paidOn: f.paidOn,
                                      reference: f.reference,
                                    });
                                  }}
                                >
                                  <label
                                    >${t("billing.amount")}
                                    <input name="amount" required size="10" inputmode="decimal" value=${v.outstanding}
                                  /></label>
                                  ${dayField(t("billing.paidOn"), "paidOn", { required: true, value: this.today })}
                                  <label>${t("billing.reference")} <input name="reference" required size="10" /></label>
                                  <button type="submit">${t("billing.record")}</button>
                                </form>
                                ${renderProblem(this.problems[`pay-${v.id}`])}`
                            : nothing
                        }
                      </td>`
                    : nothing
                }
              </tr>`,
          )}
        </tbody>
      </table>`;
  }

  render() {
    return html`<h1>${t("nav.billing")}</h1>
      ${renderProblem(this.problems.load)} ${this.renderSubscriptions()}
      <h2>${t("billing.usage")}</h2>
      <label
        >${t("billing.organization")}
        <select
          @change=${(e: Event) => {
            this.usageOrg = (e.target as HTMLSelectElement).value;
            void this.loadUsage();
          }}
        >
          ${this.organizations.map((o) => html`<option value=${o.id} ?selected=${o.id === this.usageOrg}>${o.name}</option>`)}
        </select></label
      >
      ${renderProblem(this.problems.usage)}${this.renderChart()} ${this.renderInvoices()} ${this.renderPlans()}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-billing-page": QBillingPage;
  }
}
