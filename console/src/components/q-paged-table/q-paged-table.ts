/**
 * <q-paged-table>: a table over a keyset-paged API listing. It keeps the cursor of every page
 * it has shown, so "previous" goes back without offsets and "next" asks only for the following
 * page — a page costs the same at row 50 as at row 1,000,000. A new `fetchPage` (new filters)
 * starts again from the first page. Fires `q-page-show` after each page is on screen.
 */
import { html, nothing, type TemplateResult, type PropertyValues } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import type { Page, Problem } from "../../api/client.js";
import { PageShowEvent } from "../../events/events.js";
import { t } from "../../i18n/i18n.js";
import { QElement } from "../shared/base.js";
import { problemOf, renderProblem } from "../shared/problem.js";
import { shared } from "../shared/shared.styles.js";
import { styles } from "./q-paged-table.styles.js";

export interface Column<T> {
  label: string;
  render: (row: T) => TemplateResult | string | number | null | undefined;
}

@customElement("q-paged-table")
export class QPagedTable<T = unknown> extends QElement {
  static styles = [shared, styles];

  @property() caption = "";
  /** what an empty list says (what would be here, and how it gets here); default: "Nothing here yet." */
  @property() empty = "";
  @property({ attribute: false }) columns: Column<T>[] = [];
  @property({ attribute: false }) fetchPage: ((cursor: string | null) => Promise<Page<T>>) | null = null;

  @state() private rows: T[] = [];
  /** cursors[i] fetched page i+1 (null: the first page) */
  @state() private cursors: Array<string | null> = [null];
  @state() private next: string | null = null;
  @state() private loading = false;
  /** the page whose rows are on screen: the label names it, not the one being fetched */
  @state() private shown = 1;
  @state() private problem: Problem | null = null;
  private seq = 0;

  get page() {
    return this.cursors.length;
  }

  protected willUpdate(changed: PropertyValues<this>) {
    if (changed.has("fetchPage") && this.fetchPage) {
      this.cursors = [null];
      void this.show();
    }
  }

  /** Shows the first page again (after the data changed). */
  reload() {
    this.cursors = [null];
    return this.show();
  }

  private async show() {
    if (!this.fetchPage) return;
    const seq = ++this.seq; // a slower earlier answer must not overwrite a later one
    const page = this.cursors.length;
    this.loading = true;
    try {
      const r = await this.fetchPage(this.cursors[this.cursors.length - 1]);
      if (seq !== this.seq) return;
      this.rows = r.items;
      this.shown = page;
      this.next = r.next;
      this.problem = null;
    } catch (e) {
      if (seq !== this.seq) return;
      this.problem = problemOf(e);
      this.rows = [];
      this.shown = page;
      this.next = null;
    } finally {
      if (seq === this.seq) this.loading = false;
    }
    await this.updateComplete;
    this.dispatchEvent(new PageShowEvent(this.page, this.rows.length));
  }

  private handleNext() {
    if (!this.next) return;
    this.cursors = [...this.cursors, this.next];
    void this.show();
  }

  private handlePrevious() {
    if (this.cursors.length < 2) return;
    this.cursors = this.cursors.slice(0, -1);
    void this.show();
  }

  render() {
    return html`${renderProblem(this.problem)}
      <div class="wrap">
        <table aria-busy=${this.loading ? "true" : "false"}>
          ${
            this.caption
              ? html`<caption>
                  ${this.caption}
                </caption>`
              : nothing
          }
          <thead>
            <tr>
              ${this.columns.map((c) => html`<th scope="col">${c.label}</th>`)}
            </tr>
          </thead>
          <tbody>
            ${
              this.rows.length === 0 && !this.loading
                ? html`<tr>
                    <td colspan=${this.columns.length} class="muted" data-testid="empty">
                      ${this.empty || t("table.empty")}
                    </td>
                  </tr>`
                : this.rows.map(
                    (r) =>
                      html`<tr>
                        ${this.columns.map((c) => html`<td data-label=${c.label}>${c.render(r)}</td>`)}
                      </tr>`,
                  )
            }
          </tbody>
        </table>
      </div>
      <div class="pager">
        <button class="secondary" @click=${this.handlePrevious} ?disabled=${this.cursors.length < 2 || this.loading}>
          ${t("table.previous")}
        </button>
        <span aria-live="polite">${t("table.page", { n: this.shown })}</span>
        <button class="secondary" @click=${this.handleNext} ?disabled=${!this.next || this.loading}>
          ${t("table.next")}
        </button>
      </div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-paged-table": QPagedTable;
  }
}
