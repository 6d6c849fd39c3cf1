/**
 * <q-route-editor>: edits an approval route (SPEC R2.5) — ordered steps, each with its approvers
 * and whether any one or all of them must approve. Steps can be added, removed and moved; a step
 * without approvers is marked invalid (the API would refuse it). Fires `q-route-change`.
 */
import { html } from "lit";
import { customElement, property } from "lit/decorators.js";
import { RouteChangeEvent, type RouteStep } from "../../events/events.js";
import { t } from "../../i18n/i18n.js";
import { QElement } from "../shared/base.js";
import { shared } from "../shared/shared.styles.js";
import { styles } from "./q-route-editor.styles.js";

export interface Candidate {
  id: string;
  name: string;
}

@customElement("q-route-editor")
export class QRouteEditor extends QElement {
  static styles = [shared, styles];

  /** who may approve: users holding a writing role over the sender's branch */
  @property({ attribute: false }) candidates: Candidate[] = [];
  @property({ attribute: false }) steps: RouteStep[] = [{ approvers: [], mode: "all" }];

  /** every step has at least one approver */
  get valid() {
    return this.steps.length > 0 && this.steps.every((s) => s.approvers.length > 0);
  }

  private change(steps: RouteStep[]) {
    this.steps = steps;
    this.dispatchEvent(new RouteChangeEvent(steps));
  }

  private handleAdd() {
    this.change([...this.steps, { approvers: [], mode: "all" }]);
  }
  private handleRemove(i: number) {
    this.change(this.steps.filter((_, k) => k !== i));
  }
  private handleMove(i: number, by: -1 | 1) {
    const j = i + by;
    if (j < 0 || j >= this.steps.length) return;
    const s = [...this.steps];
    [s[i], s[j]] = [s[j], s[i]];
    this.change(s);
  }
  private handleMode(i: number, mode: "any" | "all") {
    this.change(this.steps.map((s, k) => (k === i ? { ...s, mode } : s)));
  }
  private handleApprover(i: number, id: string, on: boolean) {
    this.change(
      this.steps.map((s, k) =>
        k === i ? { ...s, approvers: on ? [...s.approvers, id] : s.approvers.filter((a) => a !== id) } : s,
      ),
    );
  }

  render() {
    return html`<ol>
        ${this.steps.map(
          (s, i) =>
            html`<li class="step" aria-label=${t("route.step", { n: i + 1 })}>
              <fieldset aria-invalid=${s.approvers.length === 0 ? "true" : "false"}>
                <legend>${t("route.step", { n: i + 1 })}</legend>
                <div class="approvers">
                  ${this.candidates.map(
                    (c) =>
                      html`<label class="check"
                        ><input
                          type="checkbox"
                          .checked=${s.approvers.includes(c.id)}
                          @change=${(e: Event) => this.handleApprover(i, c.id, (e.target as HTMLInputElement).checked)}
                        />${c.name}</label
                      >`,
                  )}
                </div>
                ${s.approvers.length === 0 ? html`<p class="error">${t("route.needApprover")}</p>` : ""}
              </fieldset>
              <div class="row">
                <label
                  >${t("route.mode")}
                  <select
                    @change=${(e: Event) => this.handleMode(i, (e.target as HTMLSelectElement).value as "any" | "all")}
                  >
                    <option value="all" ?selected=${s.mode === "all"}>${t("route.all")}</option>
                    <option value="any" ?selected=${s.mode === "any"}>${t("route.any")}</option>
                  </select></label
                >
                <button
                  type="button"
                  class="secondary"
                  @click=${() => this.handleMove(i, -1)}
                  ?disabled=${i === 0}
                  aria-label=${t("route.up", { n: i + 1 })}
                >
                  ↑
                </button>
                <button
                  type="button"
                  class="secondary"
                  @click=${() => this.handleMove(i, 1)}
                  ?disabled=${i === this.steps.length - 1}
                  aria-label=${t("route.down", { n: i + 1 })}
                >
                  ↓
                </button>
                <button
                  type="button"
                  class="secondary"
                  @click=${() => this.handleRemove(i)}
                  ?disabled=${this.steps.length === 1}
                >
                  ${t("route.remove")}
                </button>
              </div>
            </li>`,
        )}
      </ol>
      <button type="button" class="secondary" @click=${this.handleAdd} ?disabled=${this.steps.length >= 10}>
        ${t("route.add")}
      </button>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-route-editor": QRouteEditor;
  }
}
