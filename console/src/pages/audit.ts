/**
 * <q-audit-page>: audit log search (action, actor, target, period) with keyset paging, export as
 * CSV or JSON (each export carries the chain's verification and the signed checkpoint), and the
 * chain's verification run on demand.
 */
import { html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { api, apiUrl, type Page } from "../api/client.js";
import "../components/q-paged-table/q-paged-table.js";
import type { Column } from "../components/q-paged-table/q-paged-table.js";
import { QScreen, hasRole } from "../components/shared/base.js";
import { formValues, renderProblem } from "../components/shared/problem.js";
import { formatDate, t } from "../i18n/i18n.js";
import { dayBound } from "./types.js";

interface Entry {
  seq: number;
  at: string;
  actor: { type: string; id: string | null };
  action: string;
  target: { type: string; id: string | null } | null;
  organizationId?: string | null;
  details: unknown;
}
interface Verification {
  ok: boolean;
  count: number;
  checkpoint: { seq: number; hash: string };
  firstBrokenSeq?: number;
  reason?: string;
}

@customElement("q-audit-page")
export class QAuditPage extends QScreen {
  @state() private filters: Record<string, string> = {};
  @state() private verification: Verification | null = null;

  private fetcher = this.makeFetcher();
  private makeFetcher() {
    const f = this.filters;
    return async (cursor: string | null): Promise<Page<Entry>> => {
      const r = await api<{ items: Entry[]; next: number | null }>("GET", "/audit", undefined, {
        action: f.action,
        actorId: f.actorId,
        targetId: f.targetId,
        from: dayBound(f.from),
        to: dayBound(f.to, true),
        before: cursor,
        limit: 50,
      });
      return { items: r.items, next: r.next === null ? null : String(r.next) };
    };
  }
  protected willUpdate(changed: Map<string, unknown>) {
    if (changed.has("filters")) this.fetcher = this.makeFetcher();
  }

  private get columns(): Column<Entry>[] {
    return [
      { label: "#", render: (e) => e.seq },
      { label: t("audit.at"), render: (e) => formatDate(e.at) },
      { label: t("audit.action"), render: (e) => html`<code>${e.action}</code>` },
      { label: t("audit.actor"), render: (e) => `${e.actor.type}${e.actor.id ? ` ${e.actor.id.slice(0, 8)}` : ""}` },
      { label: t("audit.target"), render: (e) => (e.target ? `${e.target.type} ${e.target.id ?? ""}` : "") },
      { label: t("audit.details"), render: (e) => html`<code>${JSON.stringify(e.details)}</code>` },
    ];
  }

  private exportUrl(format: "csv" | "json") {
    const f = this.filters;
    return apiUrl("/audit/export", {
      format,
      action: f.action,
      actorId: f.actorId,
      targetId: f.targetId,
      from: dayBound(f.from),
      to: dayBound(f.to, true),
    });
  }

  render() {
    const officer = hasRole(this.me, "compliance_officer");
    const v = this.verification;
    return html`<h1>${t("nav.audit")}</h1>
      ${
        officer
          ? html`<section class="card">
              <h2>${t("audit.verification")}</h2>
              <button
                @click=${async () => {
                  this.verification =
                    (await this.act("verify", () => api<Verification>("GET", "/audit/verify"))) ?? null;
                }}
              >
                ${t("audit.verify")}
              </button>
              ${renderProblem(this.problems.verify)}
              ${v ? html`<p role="status" class=${v.ok ? "ok" : "error"}>${v.ok ? t("audit.intact", { n: v.count }) : t("audit.broken", { seq: v.firstBrokenSeq ?? "?", reason: v.reason ?? "" })}</p>` : nothing}
              <p>
                <a class="button secondary" href=${this.exportUrl("csv")} download>${t("audit.exportCsv")}</a>
                <a class="button secondary" href=${this.exportUrl("json")} download>${t("audit.exportJson")}</a>
              </p>
            </section>`
          : nothing
      }
      <form
        class="inline"
        role="search"
        @submit=${(e: Event) => {
          this.filters = formValues(e);
        }}
      >
        <label>${t("audit.action")} <input name="action" placeholder="document.send" /></label>
        <label>${t("audit.actorId")} <input name="actorId" /></label>
        <label>${t("audit.targetId")} <input name="targetId" /></label>
        <label>${t("doc.from")} <input name="from" type="date" /></label>
        <label>${t("doc.to")} <input name="to" type="date" /></label>
        <button type="submit">${t("common.apply")}</button>
      </form>
      <q-paged-table .caption=${t("nav.audit")} .columns=${this.columns} .fetchPage=${this.fetcher}></q-paged-table>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-audit-page": QAuditPage;
  }
}
