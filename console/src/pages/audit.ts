/**
 * <q-audit-page>: audit log search (action, actor, target, period) with keyset paging, export as
 * CSV or JSON (each export carries the chain's verification and the signed checkpoint), and the
 * chain's verification run on demand.
 */
import { dayField } from "../components/shared/fields.js";
import { html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { api, apiUrl, type Page } from "../api/client.js";
import "../components/q-paged-table/q-paged-table.js";
import type { Column } from "../components/q-paged-table/q-paged-table.js";
import { QScreen, hasRole } from "../components/shared/base.js";
import { formValues, renderProblem } from "../components/shared/problem.js";
import { en, type MessageKey } from "../i18n/en.js";
import { formatDate, t } from "../i18n/i18n.js";
import { dayBound } from "./types.js";

interface Entry {
  seq: number;
  at: string;
  actor: { type: string; id: string | null; name?: string };
  action: string;
  target: { type: string; id: string | null; name?: string } | null;
  organizationId?: string | null;
  outcome?: string;
  details: Record<string, unknown> | null;
}

/** The console's word for an audit key, or null when it has none (then the server's code shows). */
const word = (key: string) => (key in en ? t(key as MessageKey) : null);

/** Who did it: the person's name, else the kind of actor (and a short id, to tell two apart). */
function actorOf(e: Entry) {
  if (e.actor.name) return html`<span translate="no">${e.actor.name}</span>`;
  const kind = word(`audit.actorType.${e.actor.type}`) ?? e.actor.type;
  return e.actor.id ? html`${kind} <span translate="no">${e.actor.id.slice(0, 8)}</span>` : kind;
}

/** What it was done to: a person or an organization by name; a document links to its page. */
function targetOf(e: Entry) {
  if (!e.target) return nothing;
  if (e.target.name) return html`<em translate="no">${e.target.name}</em>`;
  const kind = word(`audit.target.${e.target.type}`) ?? e.target.type;
  if (e.target.type === "document" && e.target.id)
    return html`<a href=${`/documents/${e.target.id}`}
      >${kind} <span translate="no">${e.target.id.slice(0, 8)}</span></a
    >`;
  return html`${kind}${e.target.id ? html` <span translate="no">${e.target.id.slice(0, 8)}</span>` : ""}`;
}

/** The people's own words an entry carries (a reason, a comment), which need no translation. */
const said = (e: Entry) =>
  [e.details?.reason, e.details?.comment].filter((x): x is string => typeof x === "string" && x.trim() !== "");
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
      {
        label: t("audit.entry"),
        render: (e) =>
          html`<span data-testid="audit-sentence"
              ><strong>${actorOf(e)}</strong> ${word(`audit.action.${e.action}`) ?? e.action} ${targetOf(e)}</span
            >${said(e).map((x) => html`<br /><q>${x}</q>`)}`,
      },
      {
        label: t("audit.outcome"),
        render: (e) => (e.outcome ? (word(`audit.outcome.${e.outcome}`) ?? e.outcome) : ""),
      },
      {
        label: t("audit.details"),
        render: (e) =>
          html`<details>
            <summary>${t("audit.technical")}</summary>
            <code>${e.action}</code>
            <pre>${JSON.stringify(e.details, null, 1)}</pre>
          </details>`,
      },
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
        ${dayField(t("doc.from"), "from")} ${dayField(t("doc.to"), "to")}
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
