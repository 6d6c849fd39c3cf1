/**
 * <q-document-preview>: the document itself on its page (SPEC R2.9) — the content PDF drawn by
 * PDF.js (loaded only when a preview is shown, its worker from the same origin so the strict CSP
 * holds), an image as it is, and an accounting document's printed form built from its structured
 * fields in the reader's language — with the signatures beside it as stamps: who, in which role,
 * for which organization, when, by which algorithm, and whether the signature is valid.
 */
import { html, nothing, type TemplateResult } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { ApiError, apiUrl, type Problem } from "../../api/client.js";
import { en, type MessageKey } from "../../i18n/en.js";
import { formatAmount, formatDate, formatDay, t } from "../../i18n/i18n.js";
import type { DocumentView } from "../../pages/types.js";
import { renderProblem } from "../shared/problem.js";
import { QElement } from "../shared/base.js";
import { shared } from "../shared/shared.styles.js";
import { styles } from "./q-document-preview.styles.js";

/** A signature as the stamp shows it. */
export interface Stamp {
  side: string;
  subject: string;
  iin: string | null;
  bin: string | null;
  roles?: string[];
  at: string;
  algorithm: string;
  valid: boolean | null;
}

/** The kinds whose structured fields make a printed form (R2.2: the approved accounting forms). */
const PRINTED = new Set(["invoice", "act_of_work", "waybill", "reconciliation_act"]);
/** Pages drawn at first; the rest on request, so a long contract does not hold the page. */
const FIRST_PAGES = 5;

type Party = { name?: string; bin?: string; edrpou?: string; rnokpp?: string; address?: string };
type Line = {
  name: string;
  unit?: string;
  quantity: string;
  price: string;
  amount: string;
  vatRate?: string;
  vatAmount?: string;
};

@customElement("q-document-preview")
export class QDocumentPreview extends QElement {
  static styles = [shared, styles];

  @property({ attribute: false }) doc: DocumentView | null = null;
  @property({ attribute: false }) stamps: Stamp[] = [];

  @state() private view: "file" | "form" = "file";
  @state() private pages: HTMLCanvasElement[] = [];
  @state() private pageCount = 0;
  @state() private problem: Problem | null = null;
  @state() private loading = false;
  private pdf: { numPages: number; getPage(n: number): Promise<PdfPage> } | null = null;
  private shownFor = "";

  private get printable() {
    return Boolean(this.doc && PRINTED.has(this.doc.kind) && Object.keys(this.doc.fields ?? {}).length);
  }
  private get isPdf() {
    return this.doc?.content?.mediaType === "application/pdf";
  }

  protected willUpdate(changed: Map<string, unknown>) {
    if (!changed.has("doc") || !this.doc || this.shownFor === this.doc.id) return;
    this.shownFor = this.doc.id;
    this.view = this.doc.content ? "file" : "form";
    this.pages = [];
    this.pdf = null;
    this.problem = null;
    if (this.isPdf) void this.loadPdf();
  }

  private async loadPdf() {
    const d = this.doc!;
    this.loading = true;
    try {
      const response = await fetch(apiUrl(`/documents/${d.id}/content`), { credentials: "same-origin" });
      if (!response.ok) throw new ApiError((await response.json()) as Problem);
      const data = new Uint8Array(await response.arrayBuffer());
      const [pdfjs, worker] = await Promise.all([import("pdfjs-dist"), import("virtual:pdf-worker-url")]);
      pdfjs.GlobalWorkerOptions.workerSrc = worker.default;
      this.pdf = (await pdfjs.getDocument({ data, isEvalSupported: false }).promise) as unknown as typeof this.pdf;
      this.pageCount = this.pdf!.numPages;
      await this.drawPages(Math.min(FIRST_PAGES, this.pageCount));
    } catch (e) {
      this.problem =
        e instanceof ApiError
          ? e.problem
          : { status: 0, code: "preview_failed", title: "", detail: t("preview.unreadable") };
    } finally {
      this.loading = false;
    }
  }

  private async drawPages(upTo: number) {
    const drawn = [...this.pages];
    for (let n = drawn.length + 1; n <= upTo; n++) {
      const page = await this.pdf!.getPage(n);
      const viewport = page.getViewport({ scale: 1.5 });
      const canvas = document.createElement("canvas");
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", t("preview.page", { n, total: this.pageCount }));
      await page.render({ canvasContext: canvas.getContext("2d")!, viewport }).promise;
      drawn.push(canvas);
      this.pages = [...drawn];
    }
  }

  private renderFile(d: DocumentView): TemplateResult | typeof nothing {
    if (!d.content) return html`<p class="muted">${t("preview.noContent")}</p>`;
    if (d.content.mediaType.startsWith("image/"))
      return html`<img class="page" src=${apiUrl(`/documents/${d.id}/content`)} alt=${d.content.name} />`;
    if (!this.isPdf) return html`<p class="muted">${t("preview.notShown", { name: d.content.name })}</p>`;
    if (this.problem) return renderProblem(this.problem);
    return html`<div class="pages" data-testid="pdf-pages" aria-busy=${this.loading ? "true" : "false"}>
      ${this.pages.map((c) => html`<div class="page">${c}</div>`)}
      ${this.loading && !this.pages.length ? html`<p>${t("app.loading")}</p>` : nothing}
      ${
        this.pages.length < this.pageCount && !this.loading
          ? html`<button class="secondary" @click=${() => this.drawPages(this.pageCount)}>
              ${t("preview.more", { n: this.pageCount - this.pages.length })}
            </button>`
          : nothing
      }
    </div>`;
  }

  private party(label: MessageKey, p: Party | undefined) {
    if (!p) return nothing;
    return html`<div class="party">
      <h3>${t(label)}</h3>
      <div><strong>${p.name ?? ""}</strong></div>
      ${p.bin ? html`<div>${t("form.bin")} ${p.bin}</div>` : nothing}
      ${p.edrpou ? html`<div>${t("form.edrpou")} ${p.edrpou}</div>` : nothing}
      ${p.rnokpp ? html`<div>${t("form.rnokpp")} ${p.rnokpp}</div>` : nothing}
      ${p.address ? html`<div>${p.address}</div>` : nothing}
    </div>`;
  }

  /** The printed form of an accounting document, from its fields (the server checked their arithmetic). */
  private renderForm(d: DocumentView) {
    const f = d.fields as Record<string, unknown> & { lines?: Line[]; currency?: string };
    const money = (v: unknown) => (typeof v === "string" ? formatAmount(v) : "");
    const heading = t("form.heading", {
      kind: t(`kind.${d.kind}` as MessageKey),
      number: String(f.number ?? d.number ?? ""),
      date: formatDay((f.date as string) ?? d.date),
    });
    const period =
      f.periodFrom && f.periodTo
        ? html`<p>
            ${t("form.period", { from: formatDay(f.periodFrom as string), to: formatDay(f.periodTo as string) })}
          </p>`
        : nothing;
    return html`<article class="form" data-testid="printed-form" lang=${document.documentElement.lang}>
      <h2>${heading}</h2>
      ${period}
      ${
        d.kind === "reconciliation_act"
          ? html`<div class="parties">
                ${this.party("form.seller", { name: d.sender.name })}${this.party("form.buyer", d.recipient ? { name: d.recipient.name } : undefined)}
              </div>
              <table>
                <caption class="sr-only">
                  ${heading}
                </caption>
                <tbody>
                  <tr>
                    <th scope="row">${t("form.opening")}</th>
                    <td class="num">${money(f.openingBalance)}</td>
                  </tr>
                  <tr>
                    <th scope="row">${t("form.debit")}</th>
                    <td class="num">${money(f.debit)}</td>
                  </tr>
                  <tr>
                    <th scope="row">${t("form.credit")}</th>
                    <td class="num">${money(f.credit)}</td>
                  </tr>
                  <tr>
                    <th scope="row">${t("form.closing")}</th>
                    <td class="num"><strong>${money(f.closingBalance)}</strong></td>
                  </tr>
                </tbody>
              </table>
              <p>${t("form.currency")}: ${f.currency ?? ""}</p>`
          : html`<div class="parties">
                ${this.party("form.seller", f.seller as Party)}${this.party("form.buyer", f.buyer as Party)}
              </div>
              ${f.shipFrom ? html`<p>${t("form.shipFrom")}: ${f.shipFrom}</p>` : nothing}
              ${f.shipTo ? html`<p>${t("form.shipTo")}: ${f.shipTo}</p>` : nothing}
              ${f.basis ? html`<p>${t("form.basis")}: ${f.basis}</p>` : nothing}
              <table>
                <caption class="sr-only">
                  ${heading}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">№</th>
                    <th scope="col">${t("form.item")}</th>
                    <th scope="col">${t("form.unit")}</th>
                    <th scope="col" class="num">${t("form.quantity")}</th>
                    <th scope="col" class="num">${t("form.price")}</th>
                    <th scope="col" class="num">${t("form.amount")}</th>
                    <th scope="col" class="num">${t("form.vatRate")}</th>
                    <th scope="col" class="num">${t("form.vat")}</th>
                  </tr>
                </thead>
                <tbody>
                  ${(f.lines ?? []).map(
                    (l, i) =>
                      html`<tr>
                        <td>${i + 1}</td>
                        <td>${l.name}</td>
                        <td>${l.unit ?? ""}</td>
                        <td class="num">${formatAmount(l.quantity, 3).replace(/[,.]?0+$/, "")}</td>
                        <td class="num">${money(l.price)}</td>
                        <td class="num">${money(l.amount)}</td>
                        <td class="num">${l.vatRate ? `${l.vatRate} %` : ""}</td>
                        <td class="num">${money(l.vatAmount)}</td>
                      </tr>`,
                  )}
                </tbody>
                <tfoot>
                  <tr>
                    <th scope="row" colspan="7">${t("form.vatTotal")}</th>
                    <td class="num">${money(f.vat)}</td>
                  </tr>
                  <tr>
                    <th scope="row" colspan="7">${t("form.total", { currency: f.currency ?? "" })}</th>
                    <td class="num"><strong>${money(f.total)}</strong></td>
                  </tr>
                </tfoot>
              </table>
              ${f.dueDate ? html`<p>${t("form.dueDate")}: ${formatDay(f.dueDate as string)}</p>` : nothing}`
      }
    </article>`;
  }

  private renderStamps() {
    if (!this.stamps.length) return html`<p class="muted">${t("doc.noSignatures")}</p>`;
    return html`<ul class="stamps" aria-label=${t("doc.signatures")}>
      ${this.stamps.map(
        (s) =>
          html`<li class="stamp ${s.valid ? "good" : s.valid === false ? "bad" : ""}" data-testid="stamp">
            <div class="stamp-head">
              <span class="badge ${s.valid ? "good" : "bad"}">${s.valid ? t("doc.valid") : t("doc.invalid")}</span>
              <span>${t(`side.${s.side}` as MessageKey)}</span>
            </div>
            <div class="who" translate="no" title=${s.subject}><strong>${commonName(s.subject)}</strong></div>
            ${s.roles?.length ? html`<div>${s.roles.map(roleWord).join(", ")}</div>` : nothing}
            ${s.iin ? html`<div>${s.iin.length === 10 ? t("form.rnokpp") : t("form.iin")} ${s.iin}</div>` : nothing}
            ${s.bin ? html`<div>${t("form.bin")} ${s.bin}</div>` : nothing}
            <div><time datetime=${s.at}>${formatDate(s.at)}</time></div>
            <div class="mono">${s.algorithm}</div>
          </li>`,
      )}
    </ul>`;
  }

  render() {
    const d = this.doc;
    if (!d) return nothing;
    const tabs = d.content && this.printable;
    return html`<section class="preview" aria-label=${t("preview.title")}>
      <div class="sheet">
        ${
          tabs
            ? html`<div class="tabs" role="tablist">
                ${(["file", "form"] as const).map(
                  (v) =>
                    html`<button
                      role="tab"
                      class="tab"
                      aria-selected=${this.view === v ? "true" : "false"}
                      @click=${() => (this.view = v)}
                    >
                      ${t(v === "file" ? "preview.file" : "preview.form")}
                    </button>`,
                )}
              </div>`
            : nothing
        }
        ${this.view === "form" && this.printable ? this.renderForm(d) : this.renderFile(d)}
      </div>
      <aside class="side" aria-label=${t("doc.signatures")}>
        <h2>${t("doc.signatures")}</h2>
        ${this.renderStamps()}
      </aside>
    </section>`;
  }
}

/** The person's or organization's name in a certificate's subject (its CN), else the whole subject. */
const commonName = (subject: string) => /(?:^|,\s*)CN=([^,]+)/.exec(subject)?.[1]?.trim() ?? subject;

/** An NCA role of the certificate (from its extended key usage) in the reader's words. */
const roleWord = (r: string) => (`certRole.${r}` in en ? t(`certRole.${r}` as MessageKey) : r);

interface PdfPage {
  getViewport(o: { scale: number }): { width: number; height: number };
  render(o: { canvasContext: CanvasRenderingContext2D; viewport: unknown }): { promise: Promise<void> };
}

declare global {
  interface HTMLElementTagNameMap {
    "q-document-preview": QDocumentPreview;
  }
}
