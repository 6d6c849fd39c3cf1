/**
 * <q-notices-page>: the notice centre (SPEC R6.2) — every notice the person gets by mail, in his
 * language, newest first, with its read state. Showing a notice here is its delivery when mail has
 * not delivered it (no SMTP, a bounced address): the page tells the server which it showed.
 */
import { html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { api } from "../api/client.js";
import { QScreen } from "../components/shared/base.js";
import { renderProblem } from "../components/shared/problem.js";
import { formatDate, t } from "../i18n/i18n.js";

interface Notice {
  id: number;
  topic: string;
  subject: string;
  text: string;
  documentId: string | null;
  createdAt: string;
  readAt: string | null;
  shownAt: string | null;
}

@customElement("q-notices-page")
export class QNoticesPage extends QScreen {
  @state() private items: Notice[] = [];

  protected async load() {
    const r = await this.act("load", () => api<{ items: Notice[] }>("GET", "/notices", undefined, { limit: 100 }));
    if (!r) return;
    this.items = r.items;
    await this.updateComplete; // on screen first, then recorded as shown
    const fresh = r.items.filter((n) => !n.shownAt).map((n) => n.id);
    if (fresh.length) await api("POST", "/notices/shown", { ids: fresh }).catch(() => undefined);
  }

  private async markRead(id: number) {
    await this.run("read", "POST", `/notices/${id}/read`);
  }

  render() {
    return html`<h1>${t("nav.notices")}</h1>
      ${renderProblem(this.problems.load)}${renderProblem(this.problems.read)}
      ${this.items.length === 0 ? html`<p class="muted">${t("notices.none")}</p>` : nothing}
      <ul class="notices">
        ${this.items.map(
          (n) =>
            html`<li class="card ${n.readAt ? "read" : "unread"}" data-topic=${n.topic}>
              <h2>${n.subject}</h2>
              <p class="muted">${formatDate(n.createdAt)}</p>
              ${n.text.split("\n").map((l) => html`<p>${l}</p>`)}
              ${n.documentId ? html`<a href=${`/documents/${n.documentId}`}>${t("notices.openDocument")}</a>` : nothing}
              ${
                n.readAt
                  ? html`<span class="badge good">${t("notices.read")}</span>`
                  : html`<button class="secondary" @click=${() => this.markRead(n.id)}>
                      ${t("notices.markRead")}
                    </button>`
              }
            </li>`,
        )}
      </ul>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-notices-page": QNoticesPage;
  }
}
