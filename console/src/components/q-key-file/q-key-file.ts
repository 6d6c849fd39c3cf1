/**
 * <q-key-file>: how a person signs in this tab when no token bridge is installed — through NCALayer
 * (the NCA's desktop agent) or with his key file: a PKCS#12 (.p12/.pfx, RSA or GOST), a Ukrainian
 * key store (Key-6.dat) with its certificate, or PEM files — opened with its password here, in the
 * browser. The signing code loads only when asked for (its own chunks). The chosen key is kept in
 * this tab's memory until sign-out or 15 minutes unused (signing/session.ts). Fires
 * `q-signer-change` when the signer changes.
 */
import { html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { api } from "../../api/client.js";
import { SignerChangeEvent } from "../../events/events.js";
import type { MessageKey } from "../../i18n/en.js";
import { t } from "../../i18n/i18n.js";
import type { KeyChoice } from "../../signing/containers.js";
import { chooseSigner, chosenSigner, forgetSigner } from "../../signing/session.js";
import { QElement } from "../shared/base.js";
import { renderProblem } from "../shared/problem.js";
import { shared } from "../shared/shared.styles.js";
import { styles } from "./q-key-file.styles.js";

/** A refusal of the signing code (wrong password, wrong key type…) in the person's language. */
export function signingMessage(e: unknown): Error {
  const err = e as { code?: string; message?: string };
  const key = `keyFile.err.${err.code}` as MessageKey;
  if (!err.code || t(key) === key) return e instanceof Error ? e : new Error(String(e));
  const out = new Error(t(key, { detail: err.message ?? "" }));
  (out as { code?: string }).code = err.code;
  return out;
}

@customElement("q-key-file")
export class QKeyFile extends QElement {
  static styles = [shared, styles];
  @state() private choices: KeyChoice[] = [];
  @state() private fileName = "";

  private use(signer: { name: string; sign: (d: string, p: "auth" | "sign") => Promise<string> }) {
    chooseSigner(signer);
    this.choices = [];
    this.requestUpdate();
    this.dispatchEvent(new SignerChangeEvent(signer.name));
  }

  private async handleOpen(e: Event) {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const input = form.elements.namedItem("files") as HTMLInputElement;
    const password = (form.elements.namedItem("password") as HTMLInputElement).value;
    const files = [...(input.files ?? [])];
    const choices = await this.act("load", async () => {
      try {
        const { openKeyFiles } = await import("../../signing/containers.js");
        const read = await Promise.all(
          files.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
        );
        return await openKeyFiles(read, password);
      } catch (err) {
        throw signingMessage(err);
      }
    });
    (form.elements.namedItem("password") as HTMLInputElement).value = "";
    if (!choices) return;
    this.fileName = files.map((f) => f.name).join(", ");
    if (choices.length === 1) await this.pick(choices[0]);
    else this.choices = choices;
  }

  private async pick(choice: KeyChoice) {
    const { fileSigner } = await import("../../signing/fileSigner.js");
    const signer = fileSigner(choice, this.fileName);
    this.use({
      name: signer.name,
      sign: (d, p) => signer.sign(d, p).catch((err) => Promise.reject(signingMessage(err))),
    });
  }

  private async handleChoose(e: Event) {
    e.preventDefault();
    const i = Number((e.target as HTMLFormElement).querySelector("select")!.value);
    await this.pick(this.choices[i]);
  }

  private async handleNcalayer() {
    const signer = await this.act("ncalayer", async () => {
      try {
        const { ncalayerUrl } = await api<{ ncalayerUrl: string }>("GET", "/signing");
        const { ncalayerSigner } = await import("../../signing/ncalayer.js");
        return await ncalayerSigner(ncalayerUrl);
      } catch (err) {
        throw signingMessage(err);
      }
    });
    if (signer)
      this.use({
        name: signer.name,
        sign: (d, p) => signer.sign(d, p).catch((err) => Promise.reject(signingMessage(err))),
      });
  }

  private handleForget() {
    forgetSigner();
    this.requestUpdate();
    this.dispatchEvent(new SignerChangeEvent(""));
  }

  render() {
    const current = chosenSigner();
    return html`<details ?open=${this.choices.length > 0}>
      <summary>${t("keyFile.use")}</summary>
      <div class="row">
        <button type="button" class="secondary" data-action="ncalayer" @click=${this.handleNcalayer}>
          ${t("keyFile.ncalayer")}
        </button>
        ${renderProblem(this.problems.ncalayer)}
      </div>
      <form @submit=${this.handleOpen}>
        <div class="row">
          <label
            >${t("keyFile.files")}
            <input type="file" name="files" multiple required accept=".p12,.pfx,.dat,.jks,.key,.pem,.cer,.crt,.der"
          /></label>
          <label>${t("keyFile.password")} <input type="password" name="password" autocomplete="off" /></label>
          <button type="submit" class="secondary">${t("keyFile.open")}</button>
        </div>
        ${renderProblem(this.problems.load)}
      </form>
      ${
        this.choices.length
          ? html`<form @submit=${this.handleChoose}>
              <label
                >${t("keyFile.choose")}
                <select name="choice">
                  ${this.choices.map(
                    (c, i) =>
                      html`<option value=${i}>
                        ${c.certificate.commonName} — ${c.engine.label}, ${c.certificate.purpose},
                        ${c.certificate.notAfter.toISOString().slice(0, 10)}
                      </option>`,
                  )}
                </select></label
              >
              <button type="submit">${t("keyFile.load")}</button>
            </form>`
          : nothing
      }
      ${
        current
          ? html`<p class="ok" role="status">${t("keyFile.loaded", { name: current.name })}</p>
              <p class="muted">${t("keyFile.kept")}</p>
              <button type="button" class="secondary" @click=${this.handleForget}>${t("keyFile.forget")}</button>`
          : nothing
      }
    </details>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-key-file": QKeyFile;
  }
}
