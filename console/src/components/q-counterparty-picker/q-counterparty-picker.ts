/**
 * <q-counterparty-picker name="recipientOrganization">: picks a document's recipient from the
 * counterparty directory (SPEC R2.10) — the organizations this person's ones sent to most recently
 * first, then whatever the search finds by name (any case, any script) or by the start of a BIN,
 * IIN, EDRPOU or RNOKPP. Nothing is chosen until the person chooses. A form-associated element:
 * the chosen organization's id is the form's value under `name`, like a native field's.
 */
import { html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { api } from "../../api/client.js";
import { formatDate, t } from "../../i18n/i18n.js";
import { QElement } from "../shared/base.js";
import { shared } from "../shared/shared.styles.js";
import { styles } from "./q-counterparty-picker.styles.js";

export interface Counterparty {
  id: string;
  name: string;
  country: string;
  kind?: string;
  bin: string | null;
  edrpou: string | null;
  rnokpp: string | null;
  external?: boolean;
  lastUsedAt: string | null;
}

/** The identifier a person reads beside the name, with its name in his language. */
export function identifierOf(c: Pick<Counterparty, "bin" | "edrpou" | "rnokpp" | "kind">): string {
  // A Kazakh sole proprietor or individual is known by the person's IIN, kept where a BIN would be.
  if (c.bin) return `${t(c.kind && c.kind !== "legal_entity" ? "form.iin" : "form.bin")} ${c.bin}`;
  if (c.edrpou) return `${t("form.edrpou")} ${c.edrpou}`;
  if (c.rnokpp) return `${t("form.rnokpp")} ${c.rnokpp}`;
  return "";
}

@customElement("q-counterparty-picker")
export class QCounterpartyPicker extends QElement {
  static styles = [shared, styles];
  static formAssociated = true;
  private readonly internals = this.attachInternals();

  @property() name = "";
  @property() label = "";
  /** a recipient chosen beforehand (a corrected document goes to the rejected one's recipient) */
  @property({ attribute: false }) preset: Counterparty | null = null;

  @state() private found: Counterparty[] = [];
  @state() private chosen: Counterparty | null = null;
  @state() private query = "";
  private timer: ReturnType<typeof setTimeout> | undefined;
  private asked = 0;

  get value() {
    return this.chosen?.id ?? "";
  }
  /** the chosen organization as the directory describes it */
  get chosenCounterparty(): Counterparty | null {
    return this.chosen;
  }

  connectedCallback() {
    super.connectedCallback();
    void this.search("");
  }

  protected willUpdate(changed: Map<string, unknown>) {
    if (changed.has("preset") && this.preset) this.choose(this.preset);
  }

  private choose(c: Counterparty | null) {
    this.chosen = c;
    this.internals.setFormValue(c?.id ?? null);
    this.dispatchEvent(new Event("change", { bubbles: true, composed: true }));
  }

  formResetCallback() {
    this.choose(null);
    this.query = "";
    void this.search("");
  }

  /** A later answer never overwrites a newer search's (typing fast sends several). */
  private async search(q: string) {
    const mine = ++this.asked;
    const r = await api<{ items: Counterparty[] }>("GET", "/counterparties", undefined, {
      q: q.trim() || undefined,
      limit: 20,
    }).catch(() => ({ items: [] }));
    if (mine === this.asked) this.found = r.items;
  }

  private typed(e: Event) {
    this.query = (e.target as HTMLInputElement).value;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.search(this.query), 200);
  }

  render() {
    const options = [
      ...(this.chosen && !this.found.some((f) => f.id === this.chosen!.id) ? [this.chosen] : []),
      ...this.found,
    ];
    return html`<fieldset class="picker">
      <legend>${this.label || t("new.recipientOrganization")}</legend>
      <label
        >${t("picker.search")}
        <input
          type="search"
          .value=${this.query}
          @input=${this.typed}
          @keydown=${(e: KeyboardEvent) => e.key === "Enter" && e.preventDefault()}
          aria-describedby="picker-hint"
          autocomplete="off"
      /></label>
      <small id="picker-hint" class="muted">${t("picker.hint")}</small>
      ${
        options.length
          ? html`<ul class="options" role="list" data-testid="counterparties">
              ${options.map(
                (c) =>
                  html`<li>
                    <label class="option ${this.chosen?.id === c.id ? "chosen" : ""}">
                      <input
                        type="radio"
                        name="counterparty"
                        .checked=${this.chosen?.id === c.id}
                        @change=${() => this.choose(c)}
                      />
                      <span class="what">
                        <strong>${c.name}</strong>
                        <span class="muted">${identifierOf(c)} · ${c.country}</span>
                        ${c.lastUsedAt ? html`<span class="badge info">${t("picker.recent", { at: formatDate(c.lastUsedAt) })}</span>` : nothing}
                      </span>
                    </label>
                  </li>`,
              )}
            </ul>`
          : html`<p class="muted" role="status">${this.query.trim() ? t("picker.none") : t("picker.typeToFind")}</p>`
      }
    </fieldset>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-counterparty-picker": QCounterpartyPicker;
  }
}
