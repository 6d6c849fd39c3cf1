/**
 * <qujat-app>: the console shell. Routes: /setup (first-run, token in the URL fragment), sign-in,
 * and a home page with the signed-in user and TOTP enrolment. Later issues add pages here.
 */
import { LitElement, html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { api, ApiError } from "../../api/client.js";
import { styles } from "./qujat-app.styles.js";

interface Me { id: string; login: string; fullName: string; totpEnabled: boolean; roles: Array<{ role: string }> }

@customElement("qujat-app")
export class QujatApp extends LitElement {
  static styles = styles;

  @state() private me: Me | null = null;
  @state() private error = "";
  @state() private loading = true;
  @state() private totp: { secret: string; otpauthUri: string } | null = null;
  @state() private recoveryCodes: string[] = [];

  connectedCallback() {
    super.connectedCallback();
    void this.load();
  }

  private async load() {
    try {
      this.me = await api<Me>("GET", "/me");
    } catch {
      this.me = null;
    }
    this.loading = false;
  }

  private problemText(e: unknown) {
    if (e instanceof ApiError) {
      const p = e.problem;
      const fields = p.errors?.map((x) => `${x.field}: ${x.message}`).join("; ");
      return [p.detail, p.rules?.join(", "), fields].filter(Boolean).join(" — ");
    }
    return String(e);
  }

  private formData(e: Event) {
    e.preventDefault();
    return Object.fromEntries(new FormData(e.target as HTMLFormElement)) as Record<string, string>;
  }

  private async handleSetup(e: Event) {
    const f = this.formData(e);
    const token = new URLSearchParams(location.hash.slice(1)).get("token") ?? "";
    try {
      await api("POST", "/setup", { token, login: f.login, email: f.email, fullName: f.fullName, password: f.password });
      history.replaceState(null, "", "/");
      this.error = "";
      await this.load();
    } catch (err) {
      this.error = this.problemText(err);
    }
  }

  private async handleSignIn(e: Event) {
    const f = this.formData(e);
    try {
      await api("POST", "/auth/login", { login: f.login, password: f.password, ...(f.totp ? { totp: f.totp } : {}) });
      this.error = "";
      await this.load();
    } catch (err) {
      this.error = this.problemText(err);
    }
  }

  private async handleEnrol() {
    try {
      this.totp = await api("POST", "/me/totp/enrol");
    } catch (err) {
      this.error = this.problemText(err);
    }
  }

  private async handleConfirm(e: Event) {
    const f = this.formData(e);
    try {
      this.recoveryCodes = (await api<{ recoveryCodes: string[] }>("POST", "/me/totp/confirm", { code: f.code })).recoveryCodes;
      this.totp = null;
      this.error = "";
      await this.load();
    } catch (err) {
      this.error = this.problemText(err);
    }
  }

  private async handleSignOut() {
    await api("POST", "/auth/logout");
    this.me = null;
  }

  render() {
    if (this.loading) return html`<p>…</p>`;
    const err = this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing;
    if (location.pathname === "/setup" && !this.me) {
      return html`<h1>Qujat — first administrator</h1>${err}
        <form @submit=${this.handleSetup}>
          <label>Login <input name="login" required autocomplete="username" /></label>
          <label>E-mail <input name="email" type="email" required /></label>
          <label>Full name <input name="fullName" required /></label>
          <label>Password <input name="password" type="password" required autocomplete="new-password"
            aria-describedby="pw-rules" /></label>
          <small id="pw-rules">At least 8 characters with upper and lower case letters, a digit and a symbol.</small>
          <button type="submit">Create administrator</button>
        </form>`;
    }
    if (!this.me) {
      return html`<h1>Qujat — sign in</h1>${err}
        <form @submit=${this.handleSignIn}>
          <label>Login or IIN <input name="login" required autocomplete="username" /></label>
          <label>Password <input name="password" type="password" required autocomplete="current-password" /></label>
          <label>One-time code (if enabled) <input name="totp" inputmode="numeric" autocomplete="one-time-code" /></label>
          <button type="submit">Sign in</button>
        </form>`;
    }
    return html`<h1>Qujat</h1>${err}
      <p>Signed in as <strong>${this.me.fullName}</strong> (${this.me.login}) — ${this.me.roles.map((r) => r.role).join(", ")}</p>
      ${this.recoveryCodes.length
        ? html`<h2>Recovery codes</h2><p>Keep these somewhere safe; each works once.</p><ul class="codes">${this.recoveryCodes.map((c) => html`<li>${c}</li>`)}</ul>`
        : nothing}
      ${this.me.totpEnabled
        ? html`<p>Two-factor sign-in (TOTP) is on.</p>`
        : this.totp
          ? html`<h2>Set up TOTP</h2><p>Add this key to your authenticator app: <code>${this.totp.secret}</code></p>
              <p><a href=${this.totp.otpauthUri}>Open in authenticator</a></p>
              <form @submit=${this.handleConfirm}><label>Code from the app <input name="code" inputmode="numeric" required /></label>
              <button type="submit">Confirm</button></form>`
          : html`<button @click=${this.handleEnrol}>Turn on two-factor sign-in (TOTP)</button>`}
      <p><button @click=${this.handleSignOut}>Sign out</button></p>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "qujat-app": QujatApp;
  }
}
