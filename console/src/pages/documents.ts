/**
 * <q-documents-page>: the boxes (inbox, outbox, internal, drafts) and the person's work queues (to
 * approve, to sign, to answer, answer due soon) with filters by status, kind,
 * counterparty, period and a search over number, title and counterparty name. The filters live in
 * the URL's query, so a filtered box can be bookmarked and the back button restores it.
 */
import { dayFields } from "../components/shared/problem.js";
import { dayField } from "../components/shared/fields.js";
import { html } from "lit";
import { customElement, state } from "lit/decorators.js";
import { api, type Page } from "../api/client.js";
import "../components/q-paged-table/q-paged-table.js";
import type { Column } from "../components/q-paged-table/q-paged-table.js";
import { QScreen, hasRole, navigate } from "../components/shared/base.js";
import { formatAmount, formatDate, t } from "../i18n/i18n.js";
import type { MessageKey } from "../i18n/en.js";
import { KINDS, NO_QUEUES, STATUSES, dayBound, statusTone, titleOf, type DocumentView, type Queues } from "./types.js";

const BOXES = ["inbox", "outbox", "internal", "drafts", "approval", "signing", "answer", "deemed"] as const;
/** Boxes that list what the organization received (the other side is the sender). */
const RECEIVED = new Set(["inbox", "answer", "deemed"]);

@customElement("q-documents-page")
export class QDocumentsPage extends QScreen {
  @state() private filters = new URLSearchParams(location.search);
  /** how many documents wait in each of this person's work queues */
  @state() private queues: Queues = NO_QUEUES;

  protected async load() {
    this.queues = await api<Queues>("GET", "/queues").catch(() => NO_QUEUES);
  }

  // The filters follow the URL: back and forward, and the menu's plain /documents, restore them.
  private readonly handlePop = () => {
    if (location.pathname === "/documents" && location.search.slice(1) !== this.filters.toString())
      this.filters = new URLSearchParams(location.search);
  };
  connectedCallback() {
    super.connectedCallback();
    window.addEventListener("popstate", this.handlePop);
  }
  disconnectedCallback() {
    window.removeEventListener("popstate", this.handlePop);
    super.disconnectedCallback();
  }

  private get box() {
    const b = this.filters.get("box");
    return (BOXES as readonly string[]).includes(b ?? "") ? b! : "inbox";
  }

  private setFilters(f: URLSearchParams) {
    this.filters = f;
    navigate(`/documents?${f.toString()}`);
  }

  private handleFilter(e: Event) {
    e.preventDefault();
    const f = new URLSearchParams({ box: this.box });
    for (const [k, v] of new FormData(e.target as HTMLFormElement))
      if (typeof v === "string" && v.trim()) f.set(k, v.trim());
    for (const [k, v] of dayFields(e.target as HTMLFormElement)) f.set(k, v);
    this.setFilters(f);
  }

  /** A new function (and so a first page) whenever the filters change. */
  private fetcher = this.makeFetcher();
  private makeFetcher() {
    const f = this.filters;
    return (cursor: string | null) =>
      api<Page<DocumentView>>("GET", "/documents", undefined, {
        box: this.box,
        status: f.get("status"),
        kind: f.get("kind"),
        counterparty: f.get("counterparty"),
        q: f.get("q"),
        from: dayBound(f.get("from")),
        to: dayBound(f.get("to"), true),
        limit: 50,
        cursor,
      });
  }

  protected willUpdate(changed: Map<string, unknown>) {
    if (changed.has("filters")) this.fetcher = this.makeFetcher();
  }

  private columns(): Column<DocumentView>[] {
    const received = RECEIVED.has(this.box);
    const counterparty = (d: DocumentView) => (received ? d.sender.name : (d.recipient?.name ?? "—"));
    return [
      {
        label: t("doc.number"),
        render: (d) => html`<a href=${`/documents/${d.id}`}>${d.number ?? d.title ?? d.id.slice(0, 8)}</a>`,
      },
      { label: t("doc.kind"), render: (d) => t(`kind.${d.kind}` as MessageKey) },
      {
        label: t("doc.title"),
        render: (d) => {
          const title = titleOf(d);
          return title.own ? html`<span translate="no">${title.text}</span>` : title.text;
        },
      },
      { label: received ? t("doc.sender") : t("doc.recipient"), render: counterparty },
      {
        label: t("doc.status"),
        render: (d) =>
          html`<span class="badge ${statusTone(d.status)}">${t(`status.${d.status}` as MessageKey)}</span>`,
      },
      { label: t("doc.total"), render: (d) => (d.total ? `${formatAmount(d.total)} ${d.currency ?? ""}` : "") },
      { label: t("doc.created"), render: (d) => formatDate(d.createdAt) },
      ...(this.box === "answer" || this.box === "deemed"
        ? [{ label: t("doc.respondBy"), render: (d: DocumentView) => (d.respondBy ? formatDate(d.respondBy) : "") }]
        : []),
    ];
  }

  render() {
    const f = this.filters;
    const canWrite = hasRole(this.me, "org_admin", "head", "signer", "accountant", "clerk");
    return html`<h1>${t("nav.documents")}</h1>
      <div class="row" style="justify-content: space-between">
        <nav class="tabs" aria-label=${t("doc.boxes")}>
          ${BOXES.map(
            (b) =>
              html`<a
                href=${`/documents?box=${b}`}
                aria-current=${this.box === b ? "page" : "false"}
                @click=${(e: Event) => {
                  e.preventDefault();
                  this.setFilters(new URLSearchParams({ box: b }));
                }}
                >${t(`box.${b}` as MessageKey)}${
                  b in this.queues && this.queues[b as keyof Queues]
                    ? html` <span class="badge ${b === "deemed" ? "bad" : "wait"}" data-testid=${`${b}-count`}
                        >${this.queues[b as keyof Queues]}</span
                      >`
                    : ""
                }</a
              >`,
          )}
        </nav>
        ${canWrite ? html`<a class="button" href="/documents/new">${t("doc.register")}</a>` : ""}
      </div>
      <form class="inline" role="search" @submit=${this.handleFilter}>
        <label>${t("doc.search")} <input name="q" type="search" .value=${f.get("q") ?? ""} /></label>
        <label
          >${t("doc.status")}
          <select name="status">
            <option value="">${t("common.any")}</option>
            ${STATUSES.map((s) => html`<option value=${s} ?selected=${f.get("status") === s}>${t(`status.${s}` as MessageKey)}</option>`)}
          </select></label
        >
        <label
          >${t("doc.kind")}
          <select name="kind">
            <option value="">${t("common.any")}</option>
            ${KINDS.map((k) => html`<option value=${k} ?selected=${f.get("kind") === k}>${t(`kind.${k}` as MessageKey)}</option>`)}
          </select></label
        >
        ${dayField(t("doc.from"), "from", { value: f.get("from"), follow: true })}
        ${dayField(t("doc.to"), "to", { value: f.get("to"), follow: true })}
        <button type="submit">${t("common.apply")}</button>
      </form>
      <q-paged-table
        .caption=${t(`box.${this.box}` as MessageKey)}
        .empty=${this.filters.size > 1 ? t("empty.filtered") : t(`empty.${this.box}` as MessageKey)}
        .columns=${this.columns()}
        .fetchPage=${this.fetcher}
      ></q-paged-table>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-documents-page": QDocumentsPage;
  }
}
