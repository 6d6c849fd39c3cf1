/**
 * <q-key-file>: lets a person sign with a key file in this tab — a PKCS#8 PEM private key and its
 * PEM certificate (e.g. the development PKI's people/sign.key and sign.pem) — when no token bridge
 * is installed, or instead of it. The key stays in this tab's memory, non-extractable, until the
 * tab closes. Fires `q-signer-change` once the key is in use.
 */
import { html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { SignerChangeEvent } from "../../events/events.js";
import { t } from "../../i18n/i18n.js";
import { keyFileSigner } from "../../key-file-signer.js";
import { QElement } from "../shared/base.js";
import { renderProblem } from "../shared/problem.js";
import { shared } from "../shared/shared.styles.js";
import { styles } from "./q-key-file.styles.js";

@customElement("q-key-file")
export class QKeyFile extends QElement {
  static styles = [shared, styles];
  @state() private loaded = "";

  private async handleSubmit(e: Event) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const file = (name: string) => (form.elements.namedItem(name) as HTMLInputElement).files?.[0];
    const key = file("key");
    const cert = file("cert");
    const signer = await this.act("load", async () => {
      if (!key || !cert) throw new Error(t("keyFile.both"));
      return keyFileSigner(await key.text(), await cert.text(), `${t("keyFile.name")}: ${cert.name}`);
    });
    if (!signer) return;
    window.qujatSigner = signer;
    this.loaded = cert!.name;
    this.dispatchEvent(new SignerChangeEvent(signer.name));
  }

  render() {
    return html`<details>
      <summary>${t("keyFile.use")}</summary>
      <form @submit=${this.handleSubmit}>
        <div class="row">
          <label>${t("keyFile.key")} <input type="file" name="key" accept=".key,.pem" required /></label>
          <label>${t("keyFile.cert")} <input type="file" name="cert" accept=".pem,.crt,.cer" required /></label>
          <button type="submit" class="secondary">${t("keyFile.load")}</button>
        </div>
        ${renderProblem(this.problems.load)}
        ${this.loaded ? html`<p class="ok" role="status">${t("keyFile.loaded", { name: this.loaded })}</p>` : nothing}
      </form>
    </details>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-key-file": QKeyFile;
  }
}
