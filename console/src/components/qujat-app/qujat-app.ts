/**
 * <qujat-app>: the console shell. Before sign-in: first-run setup (its token in the URL fragment)
 * and sign-in (password + TOTP, or a certificate through the browser signer). After: the menu of
 * the screens the user's roles may use, the language switch, the banners every page carries
 * (maintenance windows; a branch whose outgoing work is blocked, with what and why), and the
 * current screen, loaded on demand.
 */
import { html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { api } from "../../api/client.js";
import {
  LANGUAGES,
  initialLanguage,
  isLang,
  language,
  setLanguage,
  t,
  formatDate,
  type Lang,
} from "../../i18n/i18n.js";
import { NO_QUEUES, type Queues } from "../../pages/types.js";
import { SCREENS, allowed, match } from "../../router.js";
import { browserSigner } from "../../signer.js";
import { forgetSigner } from "../../signing/session.js";
import "../q-key-file/q-key-file.js";
import { QElement, navigate, type Me } from "../shared/base.js";
import { formValues, renderProblem } from "../shared/problem.js";
import { shared } from "../shared/shared.styles.js";
import { styles } from "./qujat-app.styles.js";

interface Announcement {
  id: string;
  title: string;
  body: string;
  startsAt: string;
  endsAt: string;
}
type ScreenElement = HTMLElement & { me: Me | null; params: Record<string, string> };
interface BranchBlock {
  branchId: string;
  branchName: string;
  code: string | null;
  reason: string | null;
}

@customElement("qujat-app")
export class QujatApp extends QElement {
  static styles = [shared, styles];

  @state() private me: Me | null = null;
  @state() private loading = true;
  @state() private needsSetup = false;
  @state() private path = location.pathname;
  @state() private loaded = new Set<string>();
  @state() private announcements: Announcement[] = [];
  @state() private unreadNotices = 0;
  /** documents waiting for this person: to approve, to sign, to answer (the deemed queue is part of the last) */
  @state() private queues: Queues = NO_QUEUES;
  /** the phone layout's menu, opened by its button */
  @state() private menuOpen = false;
  @state() private blocks: BranchBlock[] = [];
  @state() private totpAsked = false;
  private screenEl?: { path: string; el: ScreenElement };

  private readonly handlePop = () => {
    const moved = this.path !== location.pathname;
    this.path = location.pathname;
    void this.loadScreen()
      .then(() => this.updateComplete)
      .then(() => {
        // A screen change moves focus to the content, so keyboard and screen-reader users start there.
        if (moved) this.renderRoot.querySelector<HTMLElement>("main")?.focus();
      });
  };
  private readonly handleLinkClick = (e: MouseEvent) => {
    // Same-origin console links navigate without a reload; downloads and API links go through.
    const a = e.composedPath().find((n): n is HTMLAnchorElement => n instanceof HTMLAnchorElement);
    if (
      !a ||
      e.defaultPrevented ||
      e.button !== 0 ||
      e.metaKey ||
      e.ctrlKey ||
      e.shiftKey ||
      a.target ||
      a.hasAttribute("download")
    )
      return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith("/api/")) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  };

  connectedCallback() {
    super.connectedCallback();
    window.addEventListener("popstate", this.handlePop);
    window.addEventListener("click", this.handleLinkClick);
    window.addEventListener("qujat-refresh-banners", this.handleRefreshBanners);
    void this.start();
  }

  disconnectedCallback() {
    window.removeEventListener("popstate", this.handlePop);
    window.removeEventListener("click", this.handleLinkClick);
    window.removeEventListener("qujat-refresh-banners", this.handleRefreshBanners);
    super.disconnectedCallback();
  }

  private readonly handleRefreshBanners = () => void this.loadBanners();

  private async start() {
    await setLanguage(initialLanguage());
    await this.loadMe();
    if (!this.me)
      this.needsSetup = (await api<{ required: boolean }>("GET", "/setup").catch(() => ({ required: false }))).required;
    this.loading = false;
  }

  private async loadMe() {
    try {
      this.me = await api<Me>("GET", "/me");
    } catch {
      this.me = null;
      return;
    }
    if (isLang(this.me.language) && this.me.language !== language()) await setLanguage(this.me.language);
    if (this.path === "/" || this.path === "/setup" || this.path === "/signin") {
      const first = this.me.totpEnrolmentRequired
        ? SCREENS.find((s) => s.path === "/account")
        : SCREENS.find((s) => s.menu && allowed(s, this.roles));
      history.replaceState(null, "", first?.path ?? "/account");
      this.path = location.pathname;
    }
    await Promise.all([this.loadScreen(), this.loadBanners()]);
  }

  /** what waits for this person across his queues (answer includes the deemed ones) */
  private get waiting() {
    return this.queues.approval + this.queues.signing + this.queues.answer;
  }
  private get waitingTitle() {
    const parts = (["approval", "signing", "answer", "deemed"] as const)
      .filter((q) => this.queues[q])
      .map((q) => `${t(`box.${q}`)}: ${this.queues[q]}`);
    return `${t("queue.waiting")} — ${parts.join(", ")}`;
  }

  private get roles() {
    return this.me?.roles.map((g) => g.role) ?? [];
  }

  private async loadScreen() {
    const m = match(this.path);
    if (!m || !allowed(m.screen, this.roles) || this.loaded.has(m.screen.tag)) return;
    await m.screen.load();
    this.loaded = new Set([...this.loaded, m.screen.tag]);
  }

  /** Maintenance windows, and for each branch the user works in, whether it may send now. */
  private async loadBanners() {
    if (!this.me) return;
    const announcements = await api<{ items: Announcement[] }>("GET", "/announcements").catch(() => ({ items: [] }));
    this.announcements = announcements.items;
    this.unreadNotices = (
      await api<{ unread: number }>("GET", "/notices", undefined, { limit: 200 }).catch(() => ({ unread: 0 }))
    ).unread;
    this.queues = await api<Queues>("GET", "/queues").catch(() => NO_QUEUES);
    const branches = [...new Set(this.me.roles.map((g) => g.branchId).filter((b): b is string => Boolean(b)))];
    const states = await Promise.all(
      branches.map((id) =>
        api<{
          branchId: string;
          branchName?: string;
          outgoing: { allowed: boolean; code: string | null; reason: string | null };
        }>("GET", `/billing/branches/${id}`).catch(() => null),
      ),
    );
    this.blocks = states
      .filter((s) => s && !s.outgoing.allowed)
      .map((s) => ({
        branchId: s!.branchId,
        branchName: s!.branchName ?? s!.branchId,
        code: s!.outgoing.code,
        reason: s!.outgoing.reason,
      }));
  }

  private async handleLanguage(e: Event) {
    const lang = (e.target as HTMLSelectElement).value as Lang;
    await setLanguage(lang);
    if (this.me) await this.act("language", () => api("PATCH", "/me", { language: lang }));
  }

  private async handleSetup(e: Event) {
    const f = formValues(e);
    const token = new URLSearchParams(location.hash.slice(1)).get("token") ?? "";
    await this.act("setup", () =>
      api("POST", "/setup", {
        token,
        login: f.login,
        email: f.email,
        fullName: f.fullName,
        password: f.password ?? "",
      }),
    );
    if (this.problems.setup) return;
    await this.act("signin", () => api("POST", "/auth/login", { login: f.login, password: f.password ?? "" }));
    history.replaceState(null, "", "/");
    this.path = "/";
    this.needsSetup = false;
    await this.loadMe();
  }

  private async handleSignIn(e: Event) {
    const f = formValues(e);
    await this.act("signin", () =>
      api("POST", "/auth/login", {
        login: f.login ?? "",
        password: f.password ?? "",
        ...(f.totp ? { totp: f.totp } : {}),
      }),
    );
    const p = this.problems.signin;
    if (p) {
      if (p.code === "totp_required") this.totpAsked = true;
      return;
    }
    await this.loadMe();
  }

  private async handleCertificateSignIn() {
    const signer = browserSigner();
    await this.act("certificate", async () => {
      if (!signer) throw new Error(t("signin.noSigner"));
      const { challenge } = await api<{ challenge: string }>("POST", "/auth/challenge");
      const cms = await signer.sign(challenge, "auth");
      await api("POST", "/auth/certificate", { challenge, cms });
    });
    if (!this.problems.certificate) await this.loadMe();
  }

  private async handleSignOut() {
    forgetSigner(); // the key a person opened in this tab goes with his session
    await api("POST", "/auth/logout").catch(() => undefined);
    this.me = null;
    this.blocks = [];
    this.announcements = [];
    history.replaceState(null, "", "/");
    this.path = "/";
  }

  private renderLanguage() {
    return html`<label class="lang"
      ><span class="sr-only">${t("app.language")}</span>
      <select aria-label=${t("app.language")} @change=${this.handleLanguage}>
        ${LANGUAGES.map((l) => html`<option value=${l.code} ?selected=${l.code === language()} lang=${l.code}>${l.name}</option>`)}
      </select></label
    >`;
  }

  private renderSignedOut() {
    const invitation = /^\/invitations\/([^/]+)$/.exec(this.path);
    if (invitation && !this.needsSetup) {
      void import("../../pages/invitation.js");
      return html`<q-invitation-page
        .token=${decodeURIComponent(invitation[1])}
        @q-signed-in=${() => {
          history.replaceState(null, "", "/");
          this.path = "/";
          void this.loadMe();
        }}
      ></q-invitation-page>`;
    }
    if (this.needsSetup || this.path === "/setup") {
      return html`<main class="signin">
        <h1>${t("setup.title")}</h1>
        <p>${t("setup.intro")}</p>
        ${location.hash.includes("token=") ? nothing : html`<p class="error" role="alert">${t("setup.noToken")}</p>`}
        ${renderProblem(this.problems.setup ?? this.problems.signin)}
        <form class="grid" @submit=${this.handleSetup}>
          <label>${t("field.login")} <input name="login" required autocomplete="username" /></label>
          <label>${t("field.email")} <input name="email" type="email" required autocomplete="email" /></label>
          <label>${t("field.fullName")} <input name="fullName" required autocomplete="name" /></label>
          <label
            >${t("field.password")}
            <input name="password" type="password" required autocomplete="new-password" aria-describedby="pw-rules"
          /></label>
          <small id="pw-rules" class="muted">${t("setup.passwordRules")}</small>
          <button type="submit" ?disabled=${this.busy !== ""}>${t("setup.create")}</button>
        </form>
      </main>`;
    }
    const signer = browserSigner();
    return html`<main class="signin">
      <h1>${t("signin.title")}</h1>
      ${renderProblem(this.problems.signin)}
      <form class="grid" @submit=${this.handleSignIn}>
        <label>${t("signin.login")} <input name="login" required autocomplete="username" /></label>
        <label
          >${t("field.password")} <input name="password" type="password" required autocomplete="current-password"
        /></label>
        <label
          >${t("signin.totp")}
          <input
            name="totp"
            inputmode="numeric"
            autocomplete="one-time-code"
            aria-describedby="totp-hint"
            ?autofocus=${this.totpAsked}
        /></label>
        <small id="totp-hint" class="muted">${t("signin.totpHint")}</small>
        <button type="submit" ?disabled=${this.busy !== ""}>${t("signin.submit")}</button>
      </form>
      <h2>${t("signin.certificateTitle")}</h2>
      ${renderProblem(this.problems.certificate)}
      <p class="muted">${signer ? t("signin.signerReady", { name: signer.name }) : t("signin.noSigner")}</p>
      <q-key-file @q-signer-change=${() => this.requestUpdate()}></q-key-file>
      <button class="secondary" @click=${this.handleCertificateSignIn} ?disabled=${!signer || this.busy !== ""}>
        ${t("signin.certificate")}
      </button>
    </main>`;
  }

  private renderBanners() {
    return html`${this.announcements.map(
      (a) =>
        html`<div class="banner maintenance" role="status">
          <strong>${t("banner.maintenance")}: ${a.title}</strong> — ${formatDate(a.startsAt)} –
          ${formatDate(a.endsAt)}${a.body ? html`. ${a.body}` : nothing}
        </div>`,
    )}
    ${this.blocks.map(
      (b) =>
        html`<div class="banner block" role="alert" data-branch=${b.branchId}>
          <strong>${t("banner.blocked", { branch: b.branchName })}</strong> ${t("banner.blockedWhat")}
          ${b.reason ? html`<span>${t("banner.why")}: ${b.reason}</span>` : nothing}
        </div>`,
    )}`;
  }

  private renderScreen() {
    const m = match(this.path);
    if (!m) return html`<h1>${t("app.notFound")}</h1>`;
    if (!allowed(m.screen, this.roles))
      return html`<h1>${t("app.forbidden")}</h1>
        <p>${t("app.forbiddenDetail")}</p>`;
    if (!this.loaded.has(m.screen.tag)) return html`<p aria-busy="true">${t("app.loading")}</p>`;
    // One element per path, kept while the path stays, so a banner refresh does not reset the screen.
    if (this.screenEl?.path !== this.path) {
      const el = document.createElement(m.screen.tag) as ScreenElement;
      el.params = m.params;
      this.screenEl = { path: this.path, el };
    }
    this.screenEl.el.me = this.me;
    return this.screenEl.el;
  }

  /** The skip link's target is in this shadow root, where "#main" does not reach: focus it here. */
  private skipToMain = (e: Event) => {
    e.preventDefault();
    this.renderRoot.querySelector<HTMLElement>("#main")?.focus();
  };

  render() {
    if (this.loading) return html`<p aria-busy="true">…</p>`;
    if (!this.me)
      return html`<header>
          <span class="brand">Qujat</span>
          <div class="user">${this.renderLanguage()}</div>
        </header>
        ${this.renderSignedOut()}`;
    const menu = SCREENS.filter((s) => s.menu && allowed(s, this.roles));
    // The skip link is the header's first element (inside the banner landmark, so no content is
    // outside one); its target is in this shadow root, which a fragment URL cannot reach, so the
    // click focuses it and the href is the page itself.
    return html`<header class=${this.menuOpen ? "open" : ""}>
        <a class="skip" href=${location.pathname + location.search} @click=${this.skipToMain}>${t("app.skip")}</a>
        <a class="brand" href="/">Qujat</a>
        <button
          class="menu-toggle"
          aria-expanded=${this.menuOpen ? "true" : "false"}
          aria-controls="main-menu"
          @click=${() => (this.menuOpen = !this.menuOpen)}
        >
          ${t("app.menu")}${this.waiting ? html` <span class="badge wait">${this.waiting}</span>` : nothing}
        </button>
        <nav id="main-menu" aria-label=${t("app.menu")} @click=${() => (this.menuOpen = false)}>
          <ul>
            ${menu.map((s) => html`<li><a href=${s.path} aria-current=${this.path === s.path || this.path.startsWith(s.path + "/") ? "page" : nothing}>${t(s.title)}${s.path === "/notices" && this.unreadNotices ? html` <span class="badge info" data-testid="unread-notices">${this.unreadNotices}</span>` : nothing}${s.path === "/documents" && this.waiting ? html` <span class="badge wait" data-testid="awaiting-work" title=${this.waitingTitle}>${this.waiting}</span>` : nothing}</a></li>`)}
          </ul>
        </nav>
        <div class="user">
          ${this.renderLanguage()}
          <span translate="no">${this.me.fullName}</span>
          <button @click=${this.handleSignOut}>${t("app.signOut")}</button>
        </div>
      </header>
      <main id="main" tabindex="-1" @qujat-me-changed=${() => void this.loadMe()}>
        ${this.renderBanners()}
        ${this.me.totpEnrolmentRequired ? html`<div class="banner maintenance" role="alert">${t("banner.totpRequired")}</div>` : nothing}
        ${this.renderScreen()}
      </main>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "qujat-app": QujatApp;
  }
}
