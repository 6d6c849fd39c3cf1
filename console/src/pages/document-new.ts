/**
 * <q-document-new-page>: registers a document (SPEC R2.1-R2.4). Kind, direction, counterparty (one
 * the user can see, or a new one by name and BIN/EDRPOU, with an e-mail to invite it), the kind's
 * structured fields — for accounting kinds lines whose amounts, VAT and total are computed live
 * with the server's own arithmetic — and the content and attachments dropped on upload zones, sent
 * as one multipart request with a progress bar. Field errors from the API appear beside the fields.
 */
import { dayField } from "../components/shared/fields.js";
import { html, nothing } from "lit";
import { customElement, query, state } from "lit/decorators.js";
import { fromMinor, lineAmount, toMinor, vatOf } from "../../../server/domain/shared/arithmetic.js";
import { api, upload, type Page } from "../api/client.js";
import "../components/q-counterparty-picker/q-counterparty-picker.js";
import type { Counterparty, QCounterpartyPicker } from "../components/q-counterparty-picker/q-counterparty-picker.js";
import "../components/q-upload/q-upload.js";
import type { QUpload } from "../components/q-upload/q-upload.js";
import { QScreen, navigate } from "../components/shared/base.js";
import { dayFields, fieldError, renderProblem } from "../components/shared/problem.js";
import type { MessageKey } from "../i18n/en.js";
import { language, t, type Lang } from "../i18n/i18n.js";
import { formatDecimal, parseDecimal } from "../i18n/numbers.js";
import { IDENTIFIER_PATTERN, identifierOf } from "./identifiers.js";
import { vatPercentOn } from "../../../server/domain/shared/vat.js";
import {
  ACCOUNTING_KINDS,
  KINDS,
  flattenBranches,
  type Branch,
  type DocumentView,
  type Organization,
} from "./types.js";

interface Line {
  name: string;
  unit: string;
  quantity: string;
  price: string;
  vatRate: string;
}

const MONEY = /^-?\d{1,15}(\.\d{1,2})?$/;
const QTY = /^\d{1,12}(\.\d{1,3})?$/;
const RATE = /^\d{1,2}(\.\d{1,2})?$/;

/**
 * A line's numbers as the API takes them ("2.5", "10000.00"), read from what the person typed in
 * his own habits ("2,5", "10 000,00"); null where a field is not a number yet.
 */
export function lineNumbers(l: Line, lang: Lang = language()) {
  const quantity = parseDecimal(l.quantity, 3, lang);
  const price = parseDecimal(l.price, 2, lang);
  const vatRate = parseDecimal(l.vatRate, 2, lang);
  return {
    quantity: quantity !== null && QTY.test(quantity) ? quantity : null,
    price: price !== null && MONEY.test(price) ? price : null,
    vatRate: vatRate !== null && RATE.test(vatRate) ? vatRate : null,
  };
}

/** A line's computed amount and VAT (null where its inputs are not numbers yet). */
export function lineFigures(l: Line, lang: Lang = language()) {
  const n = lineNumbers(l, lang);
  const amount = n.quantity !== null && n.price !== null ? fromMinor(lineAmount(n.quantity, n.price), 2) : null;
  const vat = amount !== null && n.vatRate !== null ? fromMinor(vatOf(amount, n.vatRate), 2) : null;
  return { amount, vat };
}

/** The document's VAT and total from its lines. */
export function documentTotals(lines: Line[]) {
  let sum = 0n,
    vat = 0n,
    complete = true;
  for (const l of lines) {
    const f = lineFigures(l);
    if (f.amount === null) {
      complete = false;
      continue;
    }
    sum += toMinor(f.amount, 2);
    if (f.vat !== null) vat += toMinor(f.vat, 2);
  }
  return { net: fromMinor(sum, 2), vat: fromMinor(vat, 2), total: fromMinor(sum + vat, 2), complete };
}

/** A party of an accounting form as an organization is known: its name and identifier. */
const partyOf = (o: { name: string; bin: string | null; edrpou: string | null; rnokpp: string | null }) => ({
  name: o.name,
  code: o.bin ?? o.edrpou ?? o.rnokpp ?? "",
});

@customElement("q-document-new-page")
export class QDocumentNewPage extends QScreen {
  // "Register a corrected one" after a rejection opens the form with the kind and recipient.
  private readonly asked = new URLSearchParams(location.search);
  @state() private kind: string = KINDS.includes(this.asked.get("kind") as never) ? this.asked.get("kind")! : "invoice";
  @state() private direction: "outgoing" | "internal" = "outgoing";
  @state() private counterpartyMode: "known" | "new" = "known";
  @state() private organizations: Organization[] = [];
  /** the recipient a corrected document goes to, chosen before the person chooses */
  @state() private presetRecipient: Counterparty | null = null;
  /**
   * The parties' names and identifiers as the form's defaults (value attributes): the sender's own
   * organization and the picked recipient. A field the person typed in keeps what he typed.
   */
  @state() private sellerParty = { name: "", code: "" };
  @state() private buyerParty = { name: "", code: "" };
  @state() private branches: Branch[] = [];
  @state() private lines: Line[] = [{ name: "", unit: "", quantity: "1", price: "", vatRate: "12" }];
  private defaultVat = "12";
  @state() private progress: number | null = null;
  @query("#content") private content!: QUpload;
  @query("#attachments") private attachments!: QUpload;

  protected async load() {
    const orgs = await api<Page<Organization>>("GET", "/organizations", undefined, { limit: 500 }).catch(() => ({
      items: [],
      next: null,
    }));
    this.organizations = orgs.items;
    // A corrected document goes to the rejected one's recipient, even one this person's
    // organization list does not show (another participant is reached by its id).
    const asked = this.asked.get("recipient");
    if (asked) {
      const known = this.organizations.find((o) => o.id === asked);
      this.presetRecipient = {
        id: asked,
        name: known?.name ?? this.asked.get("recipientName") ?? asked,
        country: known?.country ?? "",
        kind: known?.kind,
        bin: known?.bin ?? null,
        edrpou: known?.edrpou ?? null,
        rnokpp: known?.rnokpp ?? null,
        lastUsedAt: null,
      };
    }
    const own = [...new Set(this.me?.roles.map((g) => g.organizationId).filter((o): o is string => Boolean(o)))];
    const trees = await Promise.all(
      own.map((id) => api<{ items: Branch[] }>("GET", `/organizations/${id}/branches`).catch(() => ({ items: [] }))),
    );
    this.branches = trees.flatMap((tr) => flattenBranches(tr.items));
    // The default VAT rate of a new line: the sender's country's on today's date (SPEC R4.1).
    const sender = this.organizations.find((o) => o.id === own[0]);
    if (sender) this.sellerParty = partyOf(sender);
    const rate = vatPercentOn(sender?.country === "UA" ? "UA" : "KZ", new Date().toISOString().slice(0, 10));
    this.lines = this.lines.map((l) => (l.price === "" && l.vatRate === "12" ? { ...l, vatRate: rate } : l));
    this.defaultVat = rate;
  }

  private setLine(i: number, key: keyof Line, value: string) {
    this.lines = this.lines.map((l, k) => (k === i ? { ...l, [key]: value } : l));
  }

  private fields(f: FormData): Record<string, unknown> {
    const s = (k: string) => {
      const v = f.get(k);
      return typeof v === "string" && v.trim() ? v.trim() : undefined;
    };
    if (ACCOUNTING_KINDS.includes(this.kind)) {
      const totals = documentTotals(this.lines);
      return {
        number: s("number"),
        date: s("date"),
        currency: s("currency"),
        seller: { name: s("sellerName"), ...identifierOf(s("sellerBin")) },
        buyer: { name: s("buyerName"), ...identifierOf(s("buyerBin")) },
        lines: this.lines.map((l) => {
          const fig = lineFigures(l);
          const n = lineNumbers(l);
          // What is not a number goes as typed: the server names the field it refuses.
          return {
            name: l.name,
            unit: l.unit || undefined,
            quantity: n.quantity ?? l.quantity,
            price: n.price ?? l.price,
            amount: fig.amount ?? "",
            vatRate: l.vatRate ? (n.vatRate ?? l.vatRate) : undefined,
            vatAmount: fig.vat ?? undefined,
          };
        }),
        vat: totals.vat,
        total: totals.total,
        ...(this.kind === "invoice" ? { dueDate: s("dueDate") } : {}),
      };
    }
    if (this.kind === "reconciliation_act") {
      // Amounts in the person's habits ("120 000,00"); what is not one goes as typed, for the server to name.
      const money = (k: string) => {
        const v = s(k);
        return v === undefined ? undefined : (parseDecimal(v, 2, language()) ?? v);
      };
      return {
        number: s("number"),
        date: s("date"),
        currency: s("currency"),
        periodFrom: s("periodFrom"),
        periodTo: s("periodTo"),
        openingBalance: money("openingBalance"),
        debit: money("debit"),
        credit: money("credit"),
        closingBalance: money("closingBalance"),
      };
    }
    return {
      number: s("number"),
      date: s("date"),
      ...(this.kind === "contract" ? { validUntil: s("validUntil") } : {}),
      ...(this.kind === "supplementary_agreement" ? { contractNumber: s("contractNumber") } : {}),
    };
  }

  private async handleSubmit(e: Event) {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const days = dayFields(e.target as HTMLFormElement);
    const s = (k: string) => {
      const v = days.get(k) ?? f.get(k);
      return typeof v === "string" && v.trim() ? v.trim() : undefined;
    };
    const recipient =
      this.direction === "internal"
        ? {
            organizationId: this.branches.find((b) => b.id === s("recipientBranch"))?.organizationId,
            branchId: s("recipientBranch"),
          }
        : this.counterpartyMode === "known"
          ? { organizationId: s("recipientOrganization"), email: s("recipientEmail") }
          : {
              organization: {
                name: s("newName") ?? "",
                country: s("newCountry") ?? "KZ",
                kind: s("newKind") ?? "legal_entity",
                ...identifierOf(s("newCode")),
              },
              email: s("recipientEmail"),
            };
    const metadata = {
      kind: this.kind,
      title: s("title"),
      direction: this.direction,
      branchId: s("branch"),
      recipient,
      fields: this.fields(f),
    };
    const content = this.content.value[0];
    if (!content) {
      this.problems = {
        ...this.problems,
        submit: { status: 0, code: "content_missing", title: t("new.contentMissing"), detail: "" },
      };
      return;
    }
    if (!this.content.valid || !this.attachments.valid) return;
    const form = new FormData();
    form.append("metadata", JSON.stringify(metadata));
    form.append("content", content, content.name);
    for (const a of this.attachments.value) form.append("attachments[]", a, a.name);
    this.progress = 0;
    const doc = await this.act("submit", () =>
      upload<DocumentView>("POST", "/documents", form, (p) => {
        this.progress = p;
      }),
    );
    this.progress = null;
    if (doc) navigate(`/documents/${doc.id}`);
  }

  private renderAccounting() {
    const p = this.problems.submit;
    const totals = documentTotals(this.lines);
    return html`<fieldset>
        <legend>${t("new.parties")}</legend>
        <div class="row">
          <label>${t("new.sellerName")} <input name="sellerName" required value=${this.sellerParty.name} /></label>
          <label
            >${t("new.sellerBin")}
            <input name="sellerBin" pattern=${IDENTIFIER_PATTERN} inputmode="numeric" value=${this.sellerParty.code}
          /></label>
          <label>${t("new.buyerName")} <input name="buyerName" required value=${this.buyerParty.name} /></label>
          <label
            >${t("new.buyerBin")}
            <input name="buyerBin" pattern=${IDENTIFIER_PATTERN} inputmode="numeric" value=${this.buyerParty.code}
          /></label>
        </div>
      </fieldset>
      ${this.kind === "invoice" ? html`${dayField(t("new.dueDate"), "dueDate")}` : nothing}
      <table>
        <caption class="sr-only">
          ${t("new.lines")}
        </caption>
        <thead>
          <tr>
            <th>${t("new.lineName")}</th>
            <th>${t("new.unit")}</th>
            <th>${t("new.quantity")}</th>
            <th>${t("new.price")}</th>
            <th>${t("new.amount")}</th>
            <th>${t("new.vatRate")}</th>
            <th>${t("new.vatAmount")}</th>
            <th><span class="sr-only">${t("common.actions")}</span></th>
          </tr>
        </thead>
        <tbody>
          ${this.lines.map((l, i) => {
            const fig = lineFigures(l);
            return html`<tr>
              <td>
                <input
                  aria-label=${t("new.lineNameN", { n: i + 1 })}
                  .value=${l.name}
                  required
                  @input=${(e: Event) => this.setLine(i, "name", (e.target as HTMLInputElement).value)}
                />
              </td>
              <td>
                <input
                  aria-label=${t("new.unitN", { n: i + 1 })}
                  size="5"
                  .value=${l.unit}
                  @input=${(e: Event) => this.setLine(i, "unit", (e.target as HTMLInputElement).value)}
                />
              </td>
              <td>
                <input
                  aria-label=${t("new.quantityN", { n: i + 1 })}
                  size="7"
                  inputmode="decimal"
                  .value=${l.quantity}
                  @input=${(e: Event) => this.setLine(i, "quantity", (e.target as HTMLInputElement).value)}
                />
              </td>
              <td>
                <input
                  aria-label=${t("new.priceN", { n: i + 1 })}
                  size="10"
                  inputmode="decimal"
                  .value=${l.price}
                  @input=${(e: Event) => this.setLine(i, "price", (e.target as HTMLInputElement).value)}
                />
              </td>
              <td data-testid="amount" aria-live="polite">
                ${fig.amount === null ? "—" : formatDecimal(fig.amount, language())}
              </td>
              <td>
                <input
                  aria-label=${t("new.vatRateN", { n: i + 1 })}
                  size="4"
                  inputmode="decimal"
                  .value=${l.vatRate}
                  @input=${(e: Event) => this.setLine(i, "vatRate", (e.target as HTMLInputElement).value)}
                />
              </td>
              <td>${fig.vat === null ? "—" : formatDecimal(fig.vat, language())}</td>
              <td>
                <button
                  type="button"
                  class="secondary"
                  ?disabled=${this.lines.length === 1}
                  @click=${() => {
                    this.lines = this.lines.filter((_, k) => k !== i);
                  }}
                  aria-label=${t("new.removeLine", { n: i + 1 })}
                >
                  ×
                </button>
              </td>
            </tr>`;
          })}
        </tbody>
      </table>
      ${fieldError(p, "lines")}
      <div class="row">
        <button
          type="button"
          class="secondary"
          @click=${() => {
            this.lines = [...this.lines, { name: "", unit: "", quantity: "1", price: "", vatRate: this.defaultVat }];
          }}
        >
          ${t("new.addLine")}
        </button>
      </div>
      <dl class="facts" aria-live="polite">
        <dt>${t("new.net")}</dt>
        <dd data-testid="net">${formatDecimal(totals.net, language())}</dd>
        <dt>${t("new.vat")}</dt>
        <dd data-testid="vat">${formatDecimal(totals.vat, language())}</dd>
        <dt>${t("new.total")}</dt>
        <dd data-testid="total">${formatDecimal(totals.total, language())}</dd>
      </dl>
      ${fieldError(p, "total")}`;
  }

  private renderKindFields() {
    const p = this.problems.submit;
    const common = html`<div class="row">
      <label
        >${t("doc.number")}
        <input
          name="number"
          ?required=${ACCOUNTING_KINDS.includes(this.kind) || this.kind === "reconciliation_act"}
          aria-describedby="err-number" /></label
      >${fieldError(p, "number")}
      ${dayField(t("doc.date"), "date", { required: ACCOUNTING_KINDS.includes(this.kind) || this.kind === "reconciliation_act" })}
      ${
        ACCOUNTING_KINDS.includes(this.kind) || this.kind === "reconciliation_act"
          ? html`<label
              >${t("doc.currency")}
              <select name="currency">
                <option>KZT</option>
                <option>UAH</option>
                <option>USD</option>
                <option>EUR</option>
                <option>RUB</option>
              </select></label
            >`
          : nothing
      }
    </div>`;
    if (ACCOUNTING_KINDS.includes(this.kind)) return html`${common}${this.renderAccounting()}`;
    if (this.kind === "reconciliation_act") {
      return html`${common}
        <div class="row">
          ${dayField(t("new.periodFrom"), "periodFrom", { required: true })}
          ${dayField(t("new.periodTo"), "periodTo", { required: true })}
          <label>${t("new.openingBalance")} <input name="openingBalance" inputmode="decimal" required /></label>
          <label>${t("new.debit")} <input name="debit" inputmode="decimal" required /></label>
          <label>${t("new.credit")} <input name="credit" inputmode="decimal" required /></label>
          <label>${t("new.closingBalance")} <input name="closingBalance" inputmode="decimal" required /></label>
        </div>
        ${fieldError(p, "closingBalance")}`;
    }
    return html`${common} ${this.kind === "contract" ? html`${dayField(t("new.validUntil"), "validUntil")}` : nothing}
    ${this.kind === "supplementary_agreement" ? html`<label>${t("new.contractNumber")} <input name="contractNumber" required /></label>` : nothing}`;
  }

  private renderCounterparty() {
    if (this.direction === "internal") {
      return html`<label
        >${t("new.recipientBranch")}
        <select name="recipientBranch" required>
          ${this.branches.map((b) => html`<option value=${b.id}>${"— ".repeat(b.depth)}${b.name}</option>`)}
        </select></label
      >`;
    }
    return html`<fieldset>
      <legend>${t("new.counterparty")}</legend>
      <div class="row">
        <label class="check"
          ><input
            type="radio"
            name="cpMode"
            value="known"
            .checked=${this.counterpartyMode === "known"}
            @change=${() => {
              this.counterpartyMode = "known";
            }}
          />${t("new.known")}</label
        >
        <label class="check"
          ><input
            type="radio"
            name="cpMode"
            value="new"
            .checked=${this.counterpartyMode === "new"}
            @change=${() => {
              this.counterpartyMode = "new";
            }}
          />${t("new.unknown")}</label
        >
      </div>
      ${
        this.counterpartyMode === "known"
          ? html`<q-counterparty-picker
              name="recipientOrganization"
              .preset=${this.presetRecipient}
              @change=${(e: Event) => {
                const c = (e.target as QCounterpartyPicker).chosenCounterparty;
                this.buyerParty = c ? partyOf(c) : { name: "", code: "" };
              }}
            ></q-counterparty-picker>`
          : html`<div class="row">
              <label>${t("field.name")} <input name="newName" required /></label>
              <label
                >${t("field.country")}
                <select name="newCountry">
                  <option value="KZ">KZ</option>
                  <option value="UA">UA</option>
                </select></label
              >
              <label
                >${t("org.kind")}
                <select name="newKind">
                  <option value="legal_entity">${t("org.kind.legal_entity")}</option>
                  <option value="sole_proprietor">${t("org.kind.sole_proprietor")}</option>
                  <option value="individual">${t("org.kind.individual")}</option>
                </select></label
              >
              <label
                >${t("new.binOrEdrpou")}
                <input name="newCode" required pattern=${IDENTIFIER_PATTERN} inputmode="numeric"
              /></label>
            </div>`
      }
      <label
        >${t("new.recipientEmail")} <input name="recipientEmail" type="email" aria-describedby="email-hint"
      /></label>
      <small id="email-hint" class="muted">${t("new.recipientEmailHint")}</small>
    </fieldset>`;
  }

  render() {
    const writable = this.branches.filter((b) =>
      this.me?.roles.some((g) => g.branchId === b.id || (g.organizationId === b.organizationId && g.branchId === null)),
    );
    return html`<h1>${t("nav.newDocument")}</h1>
      <form class="grid" @submit=${this.handleSubmit} novalidate>
        <div class="row">
          <label
            >${t("doc.kind")}
            <select
              name="kind"
              @change=${(e: Event) => {
                this.kind = (e.target as HTMLSelectElement).value;
              }}
            >
              ${KINDS.map((k) => html`<option value=${k} ?selected=${k === this.kind}>${t(`kind.${k}` as MessageKey)}</option>`)}
            </select></label
          >
          <label
            >${t("new.direction")}
            <select
              name="direction"
              @change=${(e: Event) => {
                this.direction = (e.target as HTMLSelectElement).value as "outgoing" | "internal";
              }}
            >
              <option value="outgoing">${t("new.outgoing")}</option>
              <option value="internal">${t("new.internal")}</option>
            </select></label
          >
          ${
            writable.length > 1
              ? html`<label
                  >${t("new.branch")}
                  <select name="branch">
                    ${writable.map((b) => html`<option value=${b.id}>${b.name}</option>`)}
                  </select></label
                >`
              : nothing
          }
        </div>
        <label>${t("doc.title")} <input name="title" maxlength="500" /></label>
        ${this.renderCounterparty()} ${this.renderKindFields()}
        <q-upload id="content" .label=${t("new.content")} .progress=${this.progress}></q-upload>
        <q-upload id="attachments" multiple .label=${t("new.attachments")}></q-upload>
        ${renderProblem(this.problems.submit)}
        <button type="submit" ?disabled=${this.busy !== ""}>${t("new.submit")}</button>
      </form>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-document-new-page": QDocumentNewPage;
  }
}
