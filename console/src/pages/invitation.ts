/**
 * <q-invitation-page>: the page an invitation e-mail links to (/invitations/<token>, SPEC R2.7). The
 * invited organization's first person registers himself — with a password and his IIN or RNOKPP, or
 * with his AUTH certificate through NCALayer or his key file (R1.3), which names him and must be the
 * organization's (or, for a sole proprietor or an individual, his own). Fires `q-signed-in` once a
 * certificate registration has signed him in.
 */
import { html, nothing, type PropertyValues } from "lit";
import { customElement, property, state } from "lit/decorators.js";
import { api } from "../api/client.js";
import "../components/q-key-file/q-key-file.js";
import { QElement } from "../components/shared/base.js";
import { fieldError, formValues, renderProblem } from "../components/shared/problem.js";
import { shared } from "../components/shared/shared.styles.js";
import { formatDate, t } from "../i18n/i18n.js";
import { browserSigner } from "../signer.js";
import { personIdentifierOf } from "./identifiers.js";

interface Invitation {
  organization: string;
  invitedBy: string;
  email: string;
  expiresAt: string;
}

@customElement("q-invitation-page")
export class QInvitationPage extends QElement {
  static styles = [shared];
  @property() token = "";
  @state() private invitation: Invitation | null = null;
  @state() private registered = false;

  // The token may arrive after the element connects (it is upgraded once its chunk loads).
  protected updated(changed: PropertyValues<this>) {
    if (!changed.has("token") || !this.token) return;
    void this.act("load", async () => {
      this.invitation = await api<Invitation>("GET", `/invitations/${encodeURIComponent(this.token)}`);
    });
  }

  private async handlePassword(e: Event) {
    const f = formValues(e);
    const r = await this.act("accept", () =>
      api("POST", `/invitations/${encodeURIComponent(this.token)}/accept`, {
        login: f.login,
        fullName: f.fullName,
        ...personIdentifierOf(f.personId),
        ...(f.email ? { email: f.email } : {}),
        password: f.password ?? "",
      }),
    );
    if (r) this.registered = true;
  }

  private async handleCertificate(e: Event) {
    const f = formValues(e);
    const signer = browserSigner();
    const r = await this.act("certificate", async () => {
      if (!signer) throw new Error(t("signin.noSigner"));
      const { challenge } = await api<{ challenge: string }>("POST", "/auth/challenge");
      const cms = await signer.sign(challenge, "auth");
      return api("POST", `/invitations/${encodeURIComponent(this.token)}/accept-with-certificate`, {
        challenge,
        cms,
        login: f.login,
        ...(f.email ? { email: f.email } : {}),
        password: f.password ?? "",
      });
    });
    if (r) this.dispatchEvent(new Event("q-signed-in", { bubbles: true, composed: true }));
  }

  render() {
    if (this.problems.load) return html`<main class="signin">${renderProblem(this.problems.load)}</main>`;
    const inv = this.invitation;
    if (!inv) return html`<p aria-busy="true">${t("app.loading")}</p>`;
    if (this.registered)
      return html`<main class="signin">
        <p class="ok" role="status">${t("invite.registered")}</p>
        <a href="/">${t("signin.submit")}</a>
      </main>`;
    const p = this.problems;
    const signer = browserSigner();
    return html`<main class="signin">
      <h1>${t("invite.title", { organization: inv.organization })}</h1>
      <p>${t("invite.intro", { invitedBy: inv.invitedBy, expiresAt: formatDate(inv.expiresAt) })}</p>
      <h2>${t("invite.withCertificate")}</h2>
      <q-key-file @q-signer-change=${() => this.requestUpdate()}></q-key-file>
      <p class="muted">${signer ? t("signin.signerReady", { name: signer.name }) : t("signin.noSigner")}</p>
      <form class="grid" @submit=${this.handleCertificate}>
        <label>${t("field.login")} <input name="login" required autocomplete="username" /></label>
        <label>${t("field.email")} <input name="email" type="email" value=${inv.email ?? ""} /></label>
        <label
          >${t("field.password")} <input name="password" type="password" required autocomplete="new-password"
        /></label>
        <button type="submit" ?disabled=${!signer}>${t("invite.acceptWithCertificate")}</button>
        ${renderProblem(p.certificate)}
      </form>
      <h2>${t("invite.withPassword")}</h2>
      <form class="grid" @submit=${this.handlePassword}>
        <label>${t("field.login")} <input name="login" required autocomplete="username" /></label>
        <label>${t("field.fullName")} <input name="fullName" required autocomplete="name" /></label>
        <label
          >${t("field.personId")} <input name="personId" required pattern="\\d{10}|\\d{12}" inputmode="numeric"
        /></label>
        ${fieldError(p.accept, "iin")}${fieldError(p.accept, "rnokpp")}
        <label>${t("field.email")} <input name="email" type="email" value=${inv.email ?? ""} /></label>
        <label
          >${t("field.password")} <input name="password" type="password" required autocomplete="new-password"
        /></label>
        <button type="submit">${t("invite.accept")}</button>
        ${renderProblem(p.accept)}
      </form>
      ${nothing}
    </main>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-invitation-page": QInvitationPage;
  }
}
