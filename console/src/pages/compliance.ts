/**
 * <q-compliance-page>: retention policies with every version (propose, change, and a second
 * officer's decision on what could shorten retention), legal holds (place, release), and
 * disposition: preview with counts per organization and kind and a chart, approval by a second
 * officer, execution with progress, and the signed certificate to download.
 */
import { dayField } from "../components/shared/fields.js";
import { html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { api, apiUrl, type Page } from "../api/client.js";
import { QScreen, hasRole } from "../components/shared/base.js";
import { fieldError, formValues, renderProblem } from "../components/shared/problem.js";
import type { MessageKey } from "../i18n/en.js";
import { enumLabel, formatBytes, formatDate, formatDay, t } from "../i18n/i18n.js";
import { KINDS, type Organization } from "./types.js";

interface Version {
  id: string;
  version: number;
  name: string;
  kind: string | null;
  organizationId: string | null;
  trigger: string;
  event: string | null;
  periodMonths: number;
  endAction: string;
  state: string;
  proposedBy: string;
  proposedAt: string;
  reason: string | null;
}
interface Policy {
  id: string;
  status: string;
  locked: boolean;
  current: Version | null;
  pending: Version[];
  versions: Version[];
}
interface Hold {
  id: string;
  name: string;
  reason: string;
  scope: string;
  organizationId: string | null;
  kind: string | null;
  documents: number;
  status: string;
  createdAt: string;
  releasedAt: string | null;
}
interface Group {
  organizationId: string;
  kind: string;
  documents: number;
  bytes: number;
  oldestRegisteredAt: string;
  newestRegisteredAt: string;
}
interface Bucket {
  documents: number;
  bytes: number;
  oldestRegisteredAt: string | null;
  newestRegisteredAt: string | null;
  byOrganizationAndKind: Group[];
}
interface Batch {
  id: string;
  state: string;
  asOf: string;
  preview: { destroy: Bucket; held: Bucket; review: Bucket };
  documents: number;
  bytes: number;
  previewedBy: string;
  previewedAt: string;
  approvedBy: string | null;
  progress: { destroyed: number; bytes: number; skippedHeld: number };
  executedAt: string | null;
  certificate: { sha256: string; timestampedAt: string | null } | null;
}

const TRIGGERS = ["registration", "document_date", "contract_end", "event"];

@customElement("q-compliance-page")
export class QCompliancePage extends QScreen {
  @state() private policies: Policy[] = [];
  @state() private holds: Hold[] = [];
  @state() private batches: Batch[] = [];
  @state() private organizations: Organization[] = [];
  @state() private trigger = "registration";
  @state() private holdScope = "organization";

  protected async load() {
    await this.act("load", async () => {
      [this.policies, this.holds, this.batches, this.organizations] = await Promise.all([
        api<{ items: Policy[] }>("GET", "/retention/policies").then((r) => r.items),
        api<{ items: Hold[] }>("GET", "/retention/holds").then((r) => r.items),
        api<{ items: Batch[] }>("GET", "/retention/disposition").then((r) => r.items),
        api<Page<Organization>>("GET", "/organizations", undefined, { limit: 500 }).then((r) => r.items),
      ]);
    });
  }

  private orgName(id: string | null) {
    return id ? (this.organizations.find((o) => o.id === id)?.name ?? id.slice(0, 8)) : t("common.all");
  }
  private kindName(k: string | null) {
    return k ? t(`kind.${k}` as MessageKey) : t("common.all");
  }

  /** Executes a batch in slices so the page can show progress between them. */
  private async execute(b: Batch) {
    // Destruction cannot be taken back: the person confirms what exactly will happen (SPEC R5.5).
    if (
      b.state === "approved" &&
      !window.confirm(t("compliance.confirmExecute", { documents: b.documents, size: formatBytes(b.bytes) }))
    )
      return;
    let batch: Batch | undefined = b;
    while (batch && batch.state !== "executed") {
      batch = await this.act(`exec-${b.id}`, () =>
        api<Batch>("POST", `/retention/disposition/${b.id}/execute`, { maxSteps: 4 }),
      );
      if (batch) this.batches = this.batches.map((x) => (x.id === b.id ? batch! : x));
    }
    await this.load();
  }

  private renderPolicies() {
    return html`<h2>${t("compliance.policies")}</h2>
      <p class="muted">${t("compliance.longestWins")}</p>
      <table>
        <caption class="sr-only">
          ${t("compliance.policies")}
        </caption>
        <thead>
          <tr>
            <th>${t("field.name")}</th>
            <th>${t("doc.kind")}</th>
            <th>${t("billing.organization")}</th>
            <th>${t("compliance.trigger")}</th>
            <th>${t("compliance.period")}</th>
            <th>${t("compliance.endAction")}</th>
            <th>${t("compliance.versions")}</th>
          </tr>
        </thead>
        <tbody>
          ${this.policies.map((pol) => {
            const v = pol.current ?? pol.versions[0];
            return html`<tr>
              <td>
                <span translate="no">${v?.name}</span>
                ${pol.locked ? html`<span class="badge">${t("compliance.locked")}</span>` : nothing}
                ${pol.current ? nothing : html`<span class="badge wait" data-testid="not-in-effect">${t("compliance.notInEffect")}</span>`}
              </td>
              <td>${this.kindName(v?.kind ?? null)}</td>
              <td>${this.orgName(v?.organizationId ?? null)}</td>
              <td>${enumLabel(v?.trigger)}${v?.event ? html` (<span translate="no">${v.event}</span>)` : ""}</td>
              <td>${v?.periodMonths} ${t("compliance.months")}</td>
              <td>${enumLabel(v?.endAction)}</td>
              <td>
                <details>
                  <summary>${pol.versions.length}</summary>
                  <ol>
                    ${pol.versions.map((x) => html`<li>v${x.version}: ${x.periodMonths} ${t("compliance.months")}, ${enumLabel(x.endAction)} — <span class="badge">${enumLabel(x.state)}</span> ${formatDate(x.proposedAt)}</li>`)}
                  </ol>
                </details>
                ${pol.pending.map(
                  (x) =>
                    html`<div class="card">
                      <strong>${t("compliance.pending", { v: x.version })}</strong>: ${x.periodMonths}
                      ${t("compliance.months")}, ${enumLabel(x.endAction)}
                      ${
                        this.officer
                          ? html`<div class="row">
                              <button
                                @click=${() => this.run(`decide-${x.id}`, "POST", `/retention/policies/${pol.id}/versions/${x.version}/decision`, { approve: true })}
                              >
                                ${t("compliance.approve")}
                              </button>
                              <button
                                class="secondary"
                                @click=${() => this.run(`decide-${x.id}`, "POST", `/retention/policies/${pol.id}/versions/${x.version}/decision`, { approve: false })}
                              >
                                ${t("compliance.reject")}
                              </button>
                            </div>`
                          : nothing
                      }
                      ${renderProblem(this.problems[`decide-${x.id}`])}
                    </div>`,
                )}
                ${
                  pol.status !== "retired" && this.officer
                    ? html`<form
                          class="inline"
                          @submit=${(e: Event) => {
                            const f = formValues(e);
                            void this.run(`change-${pol.id}`, "POST", `/retention/policies/${pol.id}/versions`, {
                              periodMonths: Number(f.periodMonths),
                              reason: f.reason ?? "",
                            });
                          }}
                        >
                          <label
                            >${t("compliance.newPeriod")}
                            <input name="periodMonths" type="number" min="1" required size="5"
                          /></label>
                          <label>${t("doc.reason")} <input name="reason" size="12" required /></label>
                          <button type="submit" class="secondary">${t("compliance.propose")}</button>
                        </form>
                        ${renderProblem(this.problems[`change-${pol.id}`])}`
                    : nothing
                }
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
      ${this.officer ? this.renderNewPolicy() : nothing}`;
  }

  private renderNewPolicy() {
    const p = this.problems.policy;
    return html`<details class="card">
      <summary>${t("compliance.newPolicy")}</summary>
      <form
        class="grid"
        @submit=${(e: Event) => {
          const f = formValues(e);
          void this.run("policy", "POST", "/retention/policies", {
            name: f.name,
            kind: f.kind ?? null,
            organizationId: f.organizationId ?? null,
            trigger: f.trigger,
            event: f.trigger === "event" ? (f.event ?? "") : null,
            periodMonths: Number(f.periodMonths),
            endAction: f.endAction,
            locked: f.locked === "on",
            ...(f.reason ? { reason: f.reason } : {}),
          });
        }}
      >
        <label>${t("field.name")} <input name="name" required /></label>
        <div class="row">
          <label
            >${t("doc.kind")}
            <select name="kind">
              <option value="">${t("common.all")}</option>
              ${KINDS.map((k) => html`<option value=${k}>${this.kindName(k)}</option>`)}
            </select></label
          >
          <label
            >${t("billing.organization")}
            <select name="organizationId">
              <option value="">${t("common.all")}</option>
              ${this.organizations.map((o) => html`<option value=${o.id}>${o.name}</option>`)}
            </select></label
          >
        </div>
        <div class="row">
          <label
            >${t("compliance.trigger")}
            <select
              name="trigger"
              @change=${(e: Event) => {
                this.trigger = (e.target as HTMLSelectElement).value;
              }}
            >
              ${TRIGGERS.map((x) => html`<option value=${x}>${t(`trigger.${x}` as MessageKey)}</option>`)}
            </select></label
          >
          ${this.trigger === "event" ? html`<label>${t("compliance.event")} <input name="event" required placeholder="counterparty_relationship_ended" /></label>` : nothing}
          <label
            >${t("compliance.period")} <input name="periodMonths" type="number" min="1" value="120" required
          /></label>
          <label
            >${t("compliance.endAction")}
            <select name="endAction">
              <option value="destroy">${t("compliance.destroy")}</option>
              <option value="review">${t("compliance.review")}</option>
            </select></label
          >
        </div>
        ${fieldError(p, "event")}
        <label class="check"><input type="checkbox" name="locked" /> ${t("compliance.lockHint")}</label>
        <label>${t("doc.reason")} <input name="reason" /></label>
        ${renderProblem(p)}<button type="submit">${t("compliance.newPolicy")}</button>
      </form>
    </details>`;
  }

  private renderHolds() {
    return html`<h2>${t("compliance.holds")}</h2>
      <table>
        <caption class="sr-only">
          ${t("compliance.holds")}
        </caption>
        <thead>
          <tr>
            <th>${t("field.name")}</th>
            <th>${t("doc.reason")}</th>
            <th>${t("compliance.scope")}</th>
            <th>${t("compliance.documents")}</th>
            <th>${t("doc.status")}</th>
            <th><span class="sr-only">${t("common.actions")}</span></th>
          </tr>
        </thead>
        <tbody>
          ${this.holds.map(
            (h) =>
              html`<tr>
                <td>${h.name}</td>
                <td>${h.reason}</td>
                <td>
                  ${enumLabel(h.scope)}: ${h.organizationId ? this.orgName(h.organizationId) : ""}
                  ${h.kind ? this.kindName(h.kind) : ""}
                </td>
                <td>${h.documents}</td>
                <td><span class="badge ${h.status === "active" ? "bad" : ""}">${enumLabel(h.status)}</span></td>
                <td>
                  ${
                    h.status === "active" && this.officer
                      ? html`<form
                            class="inline"
                            @submit=${(e: Event) => this.run(`release-${h.id}`, "POST", `/retention/holds/${h.id}/release`, { reason: formValues(e).reason })}
                          >
                            <label>${t("doc.reason")} <input name="reason" required size="12" /></label
                            ><button type="submit" class="secondary">${t("compliance.release")}</button>
                          </form>
                          ${renderProblem(this.problems[`release-${h.id}`])}`
                      : h.status === "active"
                        ? ""
                        : formatDate(h.releasedAt)
                  }
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${this.officer ? this.renderPlaceHold() : nothing}`;
  }

  private renderPlaceHold() {
    const p = this.problems.hold;
    return html`<details class="card">
      <summary>${t("compliance.placeHold")}</summary>
      <form
        class="grid"
        @submit=${(e: Event) => {
          const f = formValues(e);
          const ids = (f.documentIds ?? "").split(/[\s,]+/).filter(Boolean);
          void this.run("hold", "POST", "/retention/holds", {
            name: f.name,
            reason: f.reason,
            scope: f.scope,
            ...(f.organizationId ? { organizationId: f.organizationId } : {}),
            ...(f.kind ? { kind: f.kind } : {}),
            ...(ids.length ? { documentIds: ids } : {}),
          });
        }}
      >
        <label>${t("field.name")} <input name="name" required /></label>
        <label>${t("doc.reason")} <input name="reason" required /></label>
        <label
          >${t("compliance.scope")}
          <select
            name="scope"
            @change=${(e: Event) => {
              this.holdScope = (e.target as HTMLSelectElement).value;
            }}
          >
            ${["organization", "documents", "kind", "query"].map((s) => html`<option value=${s}>${t(`scope.${s}` as MessageKey)}</option>`)}
          </select></label
        >
        ${
          this.holdScope === "organization" || this.holdScope === "query"
            ? html`<label
                >${t("billing.organization")}
                <select name="organizationId">
                  ${this.organizations.map((o) => html`<option value=${o.id}>${o.name}</option>`)}
                </select></label
              >`
            : nothing
        }
        ${
          this.holdScope === "kind" || this.holdScope === "query"
            ? html`<label
                >${t("doc.kind")}
                <select name="kind">
                  ${KINDS.map((k) => html`<option value=${k}>${this.kindName(k)}</option>`)}
                </select></label
              >`
            : nothing
        }
        ${this.holdScope === "documents" ? html`<label>${t("compliance.documentIds")} <textarea name="documentIds" required></textarea></label>` : nothing}
        ${renderProblem(p)}<button type="submit">${t("compliance.placeHold")}</button>
      </form>
    </details>`;
  }

  private renderBucket(label: string, b: Bucket) {
    const max = Math.max(1, ...b.byOrganizationAndKind.map((g) => g.documents));
    return html`<h4>
        ${label}: ${b.documents}
        (${formatBytes(b.bytes)})${b.oldestRegisteredAt ? html` <span class="muted">${formatDay(b.oldestRegisteredAt)} – ${formatDay(b.newestRegisteredAt)}</span>` : nothing}
      </h4>
      ${
        b.byOrganizationAndKind.length
          ? html`<table>
              <caption class="sr-only">
                ${label}
              </caption>
              <thead>
                <tr>
                  <th>${t("billing.organization")}</th>
                  <th>${t("doc.kind")}</th>
                  <th>${t("compliance.documents")}</th>
                  <th>${t("compliance.bytes")}</th>
                  <th aria-hidden="true"></th>
                </tr>
              </thead>
              <tbody>
                ${b.byOrganizationAndKind.map(
                  (g) =>
                    html`<tr>
                      <td>${this.orgName(g.organizationId)}</td>
                      <td>${this.kindName(g.kind)}</td>
                      <td>${g.documents}</td>
                      <td>${formatBytes(g.bytes)}</td>
                      <td aria-hidden="true">
                        <svg width="160" height="12">
                          <rect width=${(g.documents / max) * 160} height="12" fill="#0b5cad"></rect>
                        </svg>
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : nothing
      }`;
  }

  private renderDisposition() {
    return html`<h2>${t("compliance.disposition")}</h2>
      ${
        this.officer
          ? html`<form
              class="inline"
              @submit=${(e: Event) => {
                const f = formValues(e);
                void this.run("preview", "POST", "/retention/disposition", f.asOf ? { asOf: f.asOf } : {});
              }}
            >
              ${dayField(t("compliance.asOf"), "asOf")}
              <button type="submit">${t("compliance.preview")}</button>
            </form>`
          : nothing
      }
      ${renderProblem(this.problems.preview)}
      ${this.batches.map(
        (b) =>
          html`<section class="card" data-batch=${b.id}>
            <h3>${t("compliance.batch")} ${formatDay(b.asOf)} <span class="badge">${enumLabel(b.state)}</span></h3>
            <p class="muted">${t("compliance.previewedAt", { at: formatDate(b.previewedAt) })}</p>
            ${this.renderBucket(t("compliance.toDestroy"), b.preview.destroy)}
            ${this.renderBucket(t("compliance.skippedHeld"), b.preview.held)}
            ${this.renderBucket(t("compliance.forReview"), b.preview.review)}
            ${
              b.state === "executing" || b.state === "executed"
                ? html`<p>
                    ${t("compliance.progress")}:
                    <progress max=${Math.max(1, b.documents)} .value=${b.progress.destroyed}></progress>
                    ${b.progress.destroyed} / ${b.documents}
                  </p>`
                : nothing
            }
            <div class="row">
              ${b.state === "previewed" && this.officer ? html`<button @click=${() => this.run(`approve-${b.id}`, "POST", `/retention/disposition/${b.id}/approve`, {})}>${t("compliance.approveBatch")}</button>` : nothing}
              ${(b.state === "approved" || b.state === "executing") && this.officer ? html`<button class="danger" @click=${() => this.execute(b)}>${t("compliance.execute")}</button>` : nothing}
              ${(b.state === "previewed" || b.state === "approved") && this.officer ? html`<button class="secondary" @click=${() => this.run(`cancel-${b.id}`, "POST", `/retention/disposition/${b.id}/cancel`, {})}>${t("compliance.cancel")}</button>` : nothing}
              ${
                b.certificate
                  ? html`<a
                        class="button secondary"
                        href=${apiUrl(`/retention/disposition/${b.id}/certificate`)}
                        download
                        >${t("compliance.certificate")}</a
                      >
                      <a href=${apiUrl(`/retention/disposition/${b.id}/certificate.p7s`)} download>.p7s</a>`
                  : nothing
              }
            </div>
            ${renderProblem(this.problems[`approve-${b.id}`] ?? this.problems[`exec-${b.id}`] ?? this.problems[`cancel-${b.id}`])}
          </section>`,
      )}`;
  }

  /** SPEC R5.5: retention, holds and disposition are the compliance officers'; a system administrator reads them. */
  private get officer() {
    return hasRole(this.me, "compliance_officer");
  }

  render() {
    return html`<h1>${t("nav.compliance")}</h1>
      ${this.officer ? nothing : html`<p class="notice" role="note" data-testid="read-only">${t("compliance.readOnly")}</p>`}
      ${renderProblem(this.problems.load)} ${this.renderDisposition()} ${this.renderHolds()} ${this.renderPolicies()}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-compliance-page": QCompliancePage;
  }
}
