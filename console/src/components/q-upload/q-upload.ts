/**
 * <q-upload>: choose files by dropping them on the zone or with the keyboard (the zone is the
 * label of a real file input), see them listed with sizes, remove one, and watch the upload's
 * progress (`progress` 0..1 set by the page that uploads). Refuses files over `maxBytes` in
 * total before anything is sent. Fires `q-files-change` with the chosen files.
 */
import { html, nothing } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { FilesChangeEvent } from "../../events/events.js";
import { formatBytes, t } from "../../i18n/i18n.js";
import { QElement } from "../shared/base.js";
import { shared } from "../shared/shared.styles.js";
import { styles } from "./q-upload.styles.js";

@customElement("q-upload")
export class QUpload extends QElement {
  static styles = [shared, styles];

  @property() label = "";
  @property({ type: Boolean }) multiple = false;
  @property({ type: Number }) maxBytes = 20 * 1024 * 1024;
  /** the upload's progress, 0..1; null when nothing is being sent */
  @property({ type: Number }) progress: number | null = null;

  @state() private files: File[] = [];
  @state() private over = false;

  get value() {
    return this.files;
  }

  /** the chosen files are over the limit in all */
  private get tooBig() {
    return this.files.reduce((n, f) => n + f.size, 0) > this.maxBytes;
  }

  private choose(list: FileList | null) {
    const picked = [...(list ?? [])];
    const files = this.multiple ? [...this.files, ...picked] : picked.slice(0, 1);
    this.files = files;
    this.dispatchEvent(new FilesChangeEvent(this.files));
  }

  private handleInput(e: Event) {
    const input = e.target as HTMLInputElement;
    this.choose(input.files);
    input.value = "";
  }

  private handleDragOver(e: DragEvent) {
    e.preventDefault();
    this.over = true;
  }
  private handleDragLeave() {
    this.over = false;
  }
  private handleDrop(e: DragEvent) {
    e.preventDefault();
    this.over = false;
    this.choose(e.dataTransfer?.files ?? null);
  }

  private handleRemove(i: number) {
    this.files = this.files.filter((_, k) => k !== i);
    this.dispatchEvent(new FilesChangeEvent(this.files));
  }

  render() {
    return html`<label
        class="zone ${this.over ? "over" : ""}"
        @dragover=${this.handleDragOver}
        @dragleave=${this.handleDragLeave}
        @drop=${this.handleDrop}
      >
        <span>${this.label}</span><br /><span class="muted">${t("upload.hint")}</span>
        <input type="file" ?multiple=${this.multiple} @change=${this.handleInput} aria-label=${this.label} />
      </label>
      ${
        this.files.length
          ? html`<ul>
              ${this.files.map(
                (f, i) =>
                  html`<li>
                    <span>${f.name} <span class="muted">(${formatBytes(f.size)})</span></span>
                    <button
                      type="button"
                      class="secondary"
                      @click=${() => this.handleRemove(i)}
                      aria-label=${t("upload.remove", { name: f.name })}
                    >
                      ×
                    </button>
                  </li>`,
              )}
            </ul>`
          : nothing
      }
      ${this.tooBig ? html`<p class="error" role="alert">${t("upload.tooBig", { max: formatBytes(this.maxBytes) })}</p>` : nothing}
      ${
        this.progress !== null
          ? html`<div class="progress">
              <progress max="1" .value=${this.progress} aria-label=${t("upload.progress")}></progress>
              <span aria-live="polite">${Math.round(this.progress * 100)} %</span>
            </div>`
          : nothing
      }`;
  }

  /** true when the chosen files fit the limit */
  get valid() {
    return !this.tooBig;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-upload": QUpload;
  }
}
