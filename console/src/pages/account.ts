/**
 * <q-account-page>: one's own account — profile and language, password, two-factor sign-in (TOTP
 * enrolment with a QR code, recovery codes shown once), sessions with "this was not me", login
 * history, and personal-data rights (view and export, consent to optional e-mails, erasure with the
 * reasons when it is refused).
 */
import { html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { api, apiUrl } from "../api/client.js";
import { QScreen, type Me } from "../components/shared/base.js";
import { formValues, renderProblem } from "../components/shared/problem.js";
import { LANGUAGES, enumLabel, formatDate, setLanguage, t, type Lang } from "../i18n/i18n.js";

interface Session {
  id: string;
  current: boolean;
  method: string;
  ip: string | null;
  userAgent: string | null;
  createdAt: string;
  lastSeenAt: string | null;
  revokedAt: string | null;
  reportedNotMe: boolean;
}
interface LoginEvent {
  id: number;
  at: string;
  outcome: string;
  reason: string | null;
  method: string;
  ip: string | null;
  userAgent: string | null;
}

@customElement("q-account-page")
export class QAccountPage extends QScreen {
  @state() private sessions: Session[] = [];
  @state() private logins: LoginEvent[] = [];
  @state() private enrolment: { secret: string; otpauthUri: string; qr: string } | null = null;
  @state() private recoveryCodes: string[] = [];
  @state() private notice = "";

  protected async load() {
    await this.act("load", async () => {
      [this.sessions, this.logins] = await Promise.all([
        api<{ items: Session[] }>("GET", "/me/sessions").then((r) => r.items),
        api<{ items: LoginEvent[] }>("GET", "/me/login-history", undefined, { limit: 20 }).then((r) => r.items),
      ]);
    });
  }

  private async refreshMe() {
    const me = await api<Me>("GET", "/me").catch(() => null);
    if (me) this.me = me;
    this.dispatchEvent(new Event("qujat-me-changed", { bubbles: true, composed: true }));
  }

  private async handleEnrol() {
    const r = await this.act("enrol", () =>
      api<{ secret: string; otpauthUri: string; qrSvg: string }>("POST", "/me/totp/enrol"),
    );
    // The appliance draws the QR code (SVG); shown as an image, so no markup from a response is ever inserted.
    if (r) this.enrolment = { ...r, qr: `data:image/svg+xml;charset=utf-8,${encodeURIComponent(r.qrSvg)}` };
  }

  private async handleConfirm(e: Event) {
    const f = formValues(e);
    const r = await this.act("confirm", () =>
      api<{ recoveryCodes: string[] }>("POST", "/me/totp/confirm", { code: f.code ?? "" }),
    );
    if (!r) return;
    this.recoveryCodes = r.recoveryCodes;
    this.enrolment = null;
    await this.refreshMe();
  }

  render() {
    const me = this.me;
    if (!me) return nothing;
    return html`<h1>${t("nav.account")}</h1>
      ${renderProblem(this.problems.load)}
      ${this.notice ? html`<p role="status" class="ok">${this.notice}</p>` : nothing}
      <section class="card">
        <h2>${t("account.profile")}</h2>
        <form
          class="grid"
          @submit=${async (e: Event) => {
            const f = formValues(e);
            const r = await this.act("profile", () =>
              api<Me>("PATCH", "/me", { fullName: f.fullName, email: f.email, language: f.language }),
            );
            if (r) {
              await setLanguage(f.language as Lang);
              this.notice = t("account.saved");
              await this.refreshMe();
            }
          }}
        >
          <label
            >${t("field.fullName")} <input name="fullName" required value=${me.fullName} autocomplete="name"
          /></label>
          <label
            >${t("field.email")} <input name="email" type="email" required value=${me.email ?? ""} autocomplete="email"
          /></label>
          <label
            >${t("app.language")}
            <select name="language">
              ${LANGUAGES.map((l) => html`<option value=${l.code} ?selected=${me.language === l.code}>${l.name}</option>`)}
            </select></label
          >
          ${renderProblem(this.problems.profile)}<button type="submit">${t("common.save")}</button>
        </form>
      </section>
      <section class="card">
        <h2>${t("account.password")}</h2>
        <form
          class="grid"
          @submit=${async (e: Event) => {
            const f = formValues(e);
            const r = await this.act("password", () =>
              api("POST", "/me/password", {
                currentPassword: f.currentPassword ?? "",
                newPassword: f.newPassword ?? "",
              }).then(() => true),
            );
            if (r) {
              this.notice = t("account.passwordChanged");
              (e.target as HTMLFormElement).reset();
              await this.load();
            }
          }}
        >
          <label
            >${t("account.currentPassword")}
            <input name="currentPassword" type="password" required autocomplete="current-password"
          /></label>
          <label
            >${t("account.newPassword")} <input name="newPassword" type="password" required autocomplete="new-password"
          /></label>
          ${renderProblem(this.problems.password)}<button type="submit">${t("account.changePassword")}</button>
        </form>
      </section>
      <section class="card">
        <h2>${t("account.totp")}</h2>
        ${
          this.recoveryCodes.length
            ? html`<div role="alert">
                <h3>${t("account.recoveryCodes")}</h3>
                <p>${t("account.recoveryHint")}</p>
                <ul class="codes mono" data-testid="recovery-codes">
                  ${this.recoveryCodes.map((c) => html`<li>${c}</li>`)}
                </ul>
              </div>`
            : nothing
        }
        ${
          me.totpEnabled
            ? html`<p class="ok">${t("account.totpOn")}</p>
                <form
                  class="inline"
                  @submit=${async (e: Event) => {
                    const f = formValues(e);
                    const r = await this.act("codes", () =>
                      api<{ recoveryCodes: string[] }>("POST", "/me/recovery-codes", { password: f.password ?? "" }),
                    );
                    if (r) this.recoveryCodes = r.recoveryCodes;
                  }}
                >
                  <label
                    >${t("field.password")}
                    <input name="password" type="password" required autocomplete="current-password"
                  /></label>
                  <button type="submit" class="secondary">${t("account.newCodes")}</button>
                </form>
                ${renderProblem(this.problems.codes)}`
            : this.enrolment
              ? html`<p>${t("account.scan")}</p>
                  <img src=${this.enrolment.qr} width="200" height="200" alt=${t("account.qrAlt")} />
                  <p>${t("account.orKey")} <code data-testid="totp-secret">${this.enrolment.secret}</code></p>
                  <form class="inline" @submit=${this.handleConfirm}>
                    <label
                      >${t("account.code")}
                      <input name="code" inputmode="numeric" pattern="\\d{6}" required autocomplete="one-time-code"
                    /></label>
                    <button type="submit">${t("account.confirm")}</button>
                  </form>
                  ${renderProblem(this.problems.confirm)}`
              : html`<button @click=${this.handleEnrol}>${t("account.enrol")}</button
                  >${renderProblem(this.problems.enrol)}`
        }
      </section>
      <section class="card">
        <h2>${t("account.sessions")}</h2>
        <table>
          <caption class="sr-only">
            ${t("account.sessions")}
          </caption>
          <thead>
            <tr>
              <th>${t("account.started")}</th>
              <th>${t("account.method")}</th>
              <th>IP</th>
              <th>${t("account.device")}</th>
              <th>${t("doc.status")}</th>
              <th><span class="sr-only">${t("common.actions")}</span></th>
            </tr>
          </thead>
          <tbody>
            ${this.sessions.map(
              (s) =>
                html`<tr>
                  <td>${formatDate(s.createdAt)}</td>
                  <td>${enumLabel(s.method)}</td>
                  <td translate="no">${s.ip ?? ""}</td>
                  <td translate="no">${s.userAgent ?? ""}</td>
                  <td>
                    ${s.current ? html`<span class="badge good">${t("account.thisSession")}</span>` : s.revokedAt ? t("account.ended") : t("account.active")}${s.reportedNotMe ? html` <span class="badge bad">${t("account.notMe")}</span>` : nothing}
                  </td>
                  <td>
                    ${
                      !s.current && !s.revokedAt
                        ? html`<button
                              class="secondary"
                              @click=${async () => {
                                await this.act("session", () => api("DELETE", `/me/sessions/${s.id}`));
                                await this.load();
                              }}
                            >
                              ${t("account.end")}
                            </button>
                            <button
                              class="danger"
                              @click=${async () => {
                                await this.act("session", () => api("POST", `/me/sessions/${s.id}/not-me`));
                                await this.load();
                              }}
                            >
                              ${t("account.notMe")}
                            </button>`
                        : nothing
                    }
                  </td>
                </tr>`,
            )}
          </tbody>
        </table>
        ${renderProblem(this.problems.session)}
        <h3>${t("account.logins")}</h3>
        <table>
          <caption class="sr-only">
            ${t("account.logins")}
          </caption>
          <thead>
            <tr>
              <th>${t("audit.at")}</th>
              <th>${t("system.outcome")}</th>
              <th>${t("account.method")}</th>
              <th>IP</th>
            </tr>
          </thead>
          <tbody>
            ${this.logins.map(
              (l) =>
                html`<tr>
                  <td>${formatDate(l.at)}</td>
                  <td>${enumLabel(l.outcome)}${l.reason ? ` (${enumLabel(l.reason)})` : ""}</td>
                  <td>${enumLabel(l.method)}</td>
                  <td translate="no">${l.ip ?? ""}</td>
                </tr>`,
            )}
          </tbody>
        </table>
      </section>
      <section class="card">
        <h2>${t("account.privacy")}</h2>
        <p><a class="button secondary" href=${apiUrl("/me/data/export")} download>${t("account.export")}</a></p>
        <div class="row">
          <button
            class="secondary"
            @click=${async () => {
              const r = await this.act("consent", () => api("PUT", "/me/consents", { notifications: false }));
              if (r) this.notice = t("account.consentWithdrawn");
            }}
          >
            ${t("account.withdrawConsent")}
          </button>
          <button
            class="secondary"
            @click=${async () => {
              const r = await this.act("consent", () => api("PUT", "/me/consents", { notifications: true }));
              if (r) this.notice = t("account.consentGiven");
            }}
          >
            ${t("account.giveConsent")}
          </button>
        </div>
        ${renderProblem(this.problems.consent)}
        <h3>${t("account.erasure")}</h3>
        <p class="muted">${t("account.erasureHint")}</p>
        <button
          class="danger"
          @click=${async () => {
            if (confirm(t("account.erasureConfirm"))) await this.act("erasure", () => api("POST", "/me/erasure"));
          }}
        >
          ${t("account.requestErasure")}
        </button>
        ${renderProblem(this.problems.erasure)}
      </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-account-page": QAccountPage;
  }
}
