/**
 * <q-organization-page>: one organization in tabs — its details (and, last, blocking it with a
 * reason), its branch tree (add a branch under any branch, rename or move one, block one), its
 * users with their roles per branch (create a user, grant and revoke roles), its seal, API tokens
 * (the secret is shown once, right after creation) and powers of attorney (read, revoke). The tab
 * is in the URL (?tab=), so it can be bookmarked and the back button returns to it.
 */
import { dayField } from "../components/shared/fields.js";
import { html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";

import { api, type Page } from "../api/client.js";
import { QScreen, hasRole, navigate } from "../components/shared/base.js";
import { fieldError, formValues, renderProblem } from "../components/shared/problem.js";
import type { MessageKey } from "../i18n/en.js";
import { enumLabel, formatDate, formatDay, t } from "../i18n/i18n.js";
import { ORGANIZATION_ROLES, TOKEN_ROLES } from "../../../server/domain/shared/roles.js";
import { browserSigner } from "../signer.js";
import { KINDS, flattenBranches, type Branch, type Organization, type User } from "./types.js";
import { personIdentifierOf } from "./identifiers.js";

interface Token {
  id: string;
  name: string;
  prefix: string;
  role: string;
  branchId: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
interface PowerOfAttorney {
  id: string;
  attorney: { fullName?: string; iin?: string };
  kinds: string[];
  validFrom: string;
  validTo: string;
  status: string;
}

const TABS = ["details", "branches", "users", "seal", "tokens", "powers"] as const;
type Tab = (typeof TABS)[number];

@customElement("q-organization-page")
export class QOrganizationPage extends QScreen {
  @state() private org: Organization | null = null;
  @state() private tree: Branch[] = [];
  @state() private users: User[] = [];
  @state() private tokens: Token[] = [];
  @state() private poas: PowerOfAttorney[] = [];
  @state() private newToken: string | null = null;

  private get orgId() {
    return this.params.id;
  }

  protected async load() {
    await this.act("load", async () => {
      const id = this.orgId;
      this.org = await api<Organization>("GET", `/organizations/${id}`);
      this.tree = (await api<{ items: Branch[] }>("GET", `/organizations/${id}/branches`)).items;
      this.users = (
        await api<Page<User>>("GET", "/users", undefined, { organizationId: id, limit: 500 }).catch(() => ({
          items: [] as User[],
          next: null,
        }))
      ).items;
      this.tokens = (
        await api<{ items: Token[] }>("GET", `/organizations/${id}/api-tokens`).catch(() => ({ items: [] as Token[] }))
      ).items;
      this.poas = (
        await api<{ items: PowerOfAttorney[] }>("GET", `/organizations/${id}/powers-of-attorney`).catch(() => ({
          items: [] as PowerOfAttorney[],
        }))
      ).items;
    });
  }

  private get branches() {
    return flattenBranches(this.tree);
  }
  private branchName(id: string | null) {
    return this.branches.find((b) => b.id === id)?.name ?? "—";
  }
  private branchOptions(selected?: string) {
    return this.branches.map(
      (b) => html`<option value=${b.id} ?selected=${b.id === selected}>${"— ".repeat(b.depth)}${b.name}</option>`,
    );
  }

  private renderBranch(b: Branch): unknown {
    return html`<li>
      <span>${b.name}</span> ${b.headOffice ? html`<span class="badge">${t("org.headOffice")}</span>` : nothing}
      ${b.status === "blocked" ? html`<span class="badge bad">${t("org.blocked")}: ${b.blockReason}</span>` : nothing}
      ${
        b.children.length
          ? html`<ul>
              ${b.children.map((c) => this.renderBranch(c))}
            </ul>`
          : nothing
      }
    </li>`;
  }

  private renderBranches() {
    const p = this.problems;
    return html`<h2>${t("org.branches")}</h2>
      <ul class="tree" aria-label=${t("org.branches")}>
        ${this.tree.map((b) => this.renderBranch(b))}
      </ul>
      <div class="card">
        <h3>${t("org.addBranch")}</h3>
        <form
          class="inline"
          @submit=${(e: Event) => {
            const f = formValues(e);
            void this.run("addBranch", "POST", `/organizations/${this.orgId}/branches`, {
              name: f.name,
              parentId: f.parentId,
            });
          }}
        >
          <label>${t("field.name")} <input name="name" required /></label>
          <label
            >${t("org.parent")}
            <select name="parentId">
              ${this.branchOptions()}
            </select></label
          >
          <button type="submit">${t("org.addBranch")}</button>
        </form>
        ${renderProblem(p.addBranch)}
      </div>
      <div class="card">
        <h3>${t("org.changeBranch")}</h3>
        <form
          class="inline"
          @submit=${(e: Event) => {
            const f = formValues(e);
            const action = ((e as SubmitEvent).submitter as HTMLButtonElement).value;
            if (action === "block")
              void this.run("changeBranch", "POST", `/branches/${f.branchId}/block`, { reason: f.reason ?? "" });
            else if (action === "unblock") void this.run("changeBranch", "POST", `/branches/${f.branchId}/unblock`);
            else
              void this.run("changeBranch", "PATCH", `/branches/${f.branchId}`, {
                ...(f.name ? { name: f.name } : {}),
                ...(f.parentId && f.parentId !== f.branchId ? { parentId: f.parentId } : {}),
              });
          }}
        >
          <label
            >${t("org.branch")}
            <select name="branchId">
              ${this.branchOptions()}
            </select></label
          >
          <label>${t("org.newName")} <input name="name" /></label>
          <label
            >${t("org.moveUnder")}
            <select name="parentId">
              <option value="">—</option>
              ${this.branchOptions()}
            </select></label
          >
          <button type="submit" value="update">${t("common.save")}</button>
          <label>${t("doc.reason")} <input name="reason" /></label>
          <button type="submit" value="block" class="danger">${t("org.block")}</button>
          <button type="submit" value="unblock" class="secondary">${t("org.unblock")}</button>
        </form>
        ${renderProblem(p.changeBranch)}
      </div>`;
  }

  private renderUsers() {
    const p = this.problems;
    return html`<h2>${t("org.users")}</h2>
      <table>
        <caption class="sr-only">
          ${t("org.users")}
        </caption>
        <thead>
          <tr>
            <th>${t("field.login")}</th>
            <th>${t("field.fullName")}</th>
            <th>${t("org.roles")}</th>
            <th>${t("doc.status")}</th>
            <th>${t("org.lastLogin")}</th>
          </tr>
        </thead>
        <tbody>
          ${this.users.map(
            (u) =>
              html`<tr>
                <td translate="no">${u.login}</td>
                <td translate="no">${u.fullName}</td>
                <td>
                  ${u.roles
                    .filter((g) => g.organizationId === this.orgId)
                    .map(
                      (g) =>
                        html`<span class="badge"
                          >${t(`role.${g.role}` as MessageKey)} · ${this.branchName(g.branchId)}
                          <button
                            class="secondary"
                            aria-label=${t("org.revokeRole", { role: t(`role.${g.role}` as MessageKey), user: u.login })}
                            @click=${() => this.run("revoke", "DELETE", `/users/${u.id}/roles/${g.id}`)}
                          >
                            ×
                          </button></span
                        > `,
                    )}
                </td>
                <td>${enumLabel(u.status)}</td>
                <td>${formatDate(u.lastLoginAt)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${renderProblem(p.revoke)}
      <div class="card">
        <h3>${t("org.grantRole")}</h3>
        <form
          class="inline"
          @submit=${(e: Event) => {
            const f = formValues(e);
            void this.run("grant", "POST", `/users/${f.userId}/roles`, {
              role: f.role,
              organizationId: this.orgId,
              branchId: f.branchId,
            });
          }}
        >
          <label
            >${t("org.user")}
            <select name="userId">
              ${this.users.map((u) => html`<option value=${u.id}>${u.login}</option>`)}
            </select></label
          >
          <label
            >${t("org.role")}
            <select name="role">
              ${ORGANIZATION_ROLES.map((r) => html`<option value=${r}>${t(`role.${r}` as MessageKey)}</option>`)}
            </select></label
          >
          <label
            >${t("org.branch")}
            <select name="branchId">
              ${this.branchOptions()}
            </select></label
          >
          <button type="submit">${t("org.grant")}</button>
        </form>
        ${renderProblem(p.grant)}
      </div>
      <div class="card">
        <h3>${t("org.createUser")}</h3>
        <form
          class="grid"
          @submit=${(e: Event) => {
            const f = formValues(e);
            void this.run("createUser", "POST", "/users", {
              login: f.login,
              email: f.email,
              fullName: f.fullName,
              ...personIdentifierOf(f.iin),
              password: f.password ?? "",
              language: f.language,
              roles: [{ role: f.role, organizationId: this.orgId, branchId: f.branchId }],
            });
          }}
        >
          <div class="row">
            <label>${t("field.login")} <input name="login" required autocomplete="off" /></label
            >${fieldError(p.createUser, "login")}
            <label>${t("field.email")} <input name="email" type="email" required /></label>
            <label>${t("field.fullName")} <input name="fullName" required /></label>
            <label>${t("field.personId")} <input name="iin" pattern="\\d{10}|\\d{12}" inputmode="numeric" /></label>
          </div>
          <div class="row">
            <label
              >${t("org.initialPassword")} <input name="password" type="password" required autocomplete="new-password"
            /></label>
            <label
              >${t("app.language")}
              <select name="language">
                <option value="ru">ru</option>
                <option value="kk">kk</option>
                <option value="uk">uk</option>
                <option value="en">en</option>
              </select></label
            >
            <label
              >${t("org.role")}
              <select name="role">
                ${ORGANIZATION_ROLES.map((r) => html`<option value=${r}>${t(`role.${r}` as MessageKey)}</option>`)}
              </select></label
            >
            <label
              >${t("org.branch")}
              <select name="branchId">
                ${this.branchOptions()}
              </select></label
            >
          </div>
          ${renderProblem(p.createUser)}
          <button type="submit">${t("org.createUser")}</button>
        </form>
      </div>`;
  }

  private async handleCreateToken(e: Event) {
    const f = formValues(e);
    const r = await this.act("token", () =>
      api<{ token: string }>("POST", "/api-tokens", {
        name: f.name,
        organizationId: this.orgId,
        branchId: f.branchId,
        role: f.role,
        ...(f.expiresOn ? { expiresAt: new Date(f.expiresOn + "T23:59:59Z").toISOString() } : {}),
      }),
    );
    if (r) {
      this.newToken = r.token;
      await this.load();
    }
  }

  private renderTokens() {
    return html`<h2>${t("org.tokens")}</h2>
      ${
        this.newToken
          ? html`<div class="card" role="alert">
              <strong>${t("org.tokenOnce")}</strong>
              <p class="mono" data-testid="new-token">${this.newToken}</p>
              <button
                class="secondary"
                @click=${() => {
                  this.newToken = null;
                }}
              >
                ${t("org.tokenCopied")}
              </button>
            </div>`
          : nothing
      }
      <table>
        <caption class="sr-only">
          ${t("org.tokens")}
        </caption>
        <thead>
          <tr>
            <th>${t("field.name")}</th>
            <th>${t("org.prefix")}</th>
            <th>${t("org.role")}</th>
            <th>${t("org.branch")}</th>
            <th>${t("org.lastUsed")}</th>
            <th>${t("org.expires")}</th>
            <th><span class="sr-only">${t("common.actions")}</span></th>
          </tr>
        </thead>
        <tbody>
          ${this.tokens.map(
            (k) =>
              html`<tr>
                <td>${k.name}</td>
                <td class="mono">${k.prefix}</td>
                <td>${t(`role.${k.role}` as MessageKey)}</td>
                <td>${this.branchName(k.branchId)}</td>
                <td>${formatDate(k.lastUsedAt)}</td>
                <td>${formatDate(k.expiresAt)}</td>
                <td>
                  ${k.revokedAt ? t("org.revoked") : html`<button class="secondary" @click=${() => this.run("revokeToken", "DELETE", `/api-tokens/${k.id}`)}>${t("org.revoke")}</button>`}
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${renderProblem(this.problems.revokeToken)}
      <form class="inline" @submit=${this.handleCreateToken}>
        <label>${t("field.name")} <input name="name" required /></label>
        <label
          >${t("org.role")}
          <select name="role">
            ${TOKEN_ROLES.map((r) => html`<option value=${r}>${t(`role.${r}` as MessageKey)}</option>`)}
          </select></label
        >
        <label
          >${t("org.branch")}
          <select name="branchId">
            ${this.branchOptions()}
          </select></label
        >
        ${dayField(t("org.expires"), "expiresOn")}
        <button type="submit">${t("org.createToken")}</button>
      </form>
      ${renderProblem(this.problems.token)}`;
  }

  /** The head gives a power of attorney: the appliance returns the exact bytes, his key signs them. */
  private async handleGivePoa(e: Event) {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const day = (v: FormDataEntryValue | null, end = false) =>
      new Date(`${v}T${end ? "23:59:59" : "00:00:00"}Z`).toISOString();
    const input = {
      attorneyUserId: String(f.get("attorneyUserId")),
      branchId: String(f.get("branchId")),
      kinds: f.getAll("kinds").map(String),
      validFrom: day(f.get("validFrom")),
      validTo: day(f.get("validTo"), true),
    };
    const signer = browserSigner();
    const r = await this.act("givePoa", async () => {
      if (!signer) throw new Error(t("signin.noSigner"));
      const { base64 } = await api<{ base64: string }>(
        "POST",
        `/organizations/${this.orgId}/powers-of-attorney/body`,
        input,
      );
      return api("POST", `/organizations/${this.orgId}/powers-of-attorney`, {
        ...input,
        cms: await signer.sign(base64, "sign"),
      });
    });
    if (r) await this.load();
  }

  private renderPowers() {
    const today = new Date().toISOString().slice(0, 10);
    return html`<h2>${t("org.poas")}</h2>
      ${
        hasRole(this.me, "head")
          ? html`<details class="card">
              <summary>${t("org.givePoa")}</summary>
              <form class="grid" @submit=${this.handleGivePoa}>
                <div class="row">
                  <label
                    >${t("org.attorney")}
                    <select name="attorneyUserId">
                      ${this.users.map((u) => html`<option value=${u.id}>${u.fullName} (${u.login})</option>`)}
                    </select></label
                  >
                  <label
                    >${t("org.branch")}
                    <select name="branchId">
                      ${this.branchOptions()}
                    </select></label
                  >
                </div>
                <fieldset>
                  <legend>${t("doc.kind")}</legend>
                  <div class="row">
                    ${KINDS.map((k) => html`<label class="check"><input type="checkbox" name="kinds" value=${k} />${t(`kind.${k}` as MessageKey)}</label>`)}
                  </div>
                </fieldset>
                <div class="row">
                  ${dayField(t("org.validFrom"), "validFrom", { required: true, value: today })}
                  ${dayField(t("org.validTo"), "validTo", { required: true })}
                </div>
                ${renderProblem(this.problems.givePoa)}<button type="submit">${t("org.signPoa")}</button>
              </form>
            </details>`
          : nothing
      }
      ${
        this.poas.length
          ? html`<table>
              <caption class="sr-only">
                ${t("org.poas")}
              </caption>
              <thead>
                <tr>
                  <th>${t("org.attorney")}</th>
                  <th>${t("doc.kind")}</th>
                  <th>${t("org.validity")}</th>
                  <th>${t("doc.status")}</th>
                  <th><span class="sr-only">${t("common.actions")}</span></th>
                </tr>
              </thead>
              <tbody>
                ${this.poas.map(
                  (a) =>
                    html`<tr>
                      <td>${a.attorney.fullName ?? a.attorney.iin ?? ""}</td>
                      <td>${a.kinds.join(", ")}</td>
                      <td>${formatDay(a.validFrom)} – ${formatDay(a.validTo)}</td>
                      <td>${enumLabel(a.status)}</td>
                      <td>
                        ${
                          a.status === "active"
                            ? html`<form
                                class="inline"
                                @submit=${(e: Event) => this.run("revokePoa", "POST", `/powers-of-attorney/${a.id}/revocation`, { reason: formValues(e).reason })}
                              >
                                <label>${t("doc.reason")} <input name="reason" required minlength="3" /></label
                                ><button type="submit" class="secondary">${t("org.revoke")}</button>
                              </form>`
                            : nothing
                        }
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
          : html`<p class="muted">—</p>`
      }${renderProblem(this.problems.revokePoa)}`;
  }

  private get tab(): Tab {
    const asked = new URLSearchParams(location.search).get("tab");
    return (TABS as readonly string[]).includes(asked ?? "") ? (asked as Tab) : "details";
  }

  private renderDetails(o: Organization) {
    return html`<dl class="facts">
        <dt>${t("field.country")}</dt>
        <dd>${o.country}</dd>
        <dt>${o.country === "UA" ? t("form.edrpou") : t("form.bin")}</dt>
        <dd>${o.bin ?? o.edrpou ?? o.rnokpp ?? "—"}</dd>
        <dt>${t("org.type")}</dt>
        <dd>${o.external ? t("org.external") : t("org.participant")}</dd>
        ${
          o.blockReason
            ? html`<dt>${t("doc.reason")}</dt>
                <dd>${o.blockReason}</dd>`
            : nothing
        }
      </dl>
      ${
        hasRole(this.me, "system_admin")
          ? html`<section class="card danger-zone">
              <h2>${t("org.dangerZone")}</h2>
              <p class="muted">${t("org.blockHint")}</p>
              <form
                class="inline"
                @submit=${(e: Event) => {
                  const f = formValues(e);
                  if (o.status !== "blocked" && !confirm(t("org.blockConfirm", { name: o.name }))) return;
                  void (o.status === "blocked"
                    ? this.run("blockOrg", "POST", `/organizations/${o.id}/unblock`)
                    : this.run("blockOrg", "POST", `/organizations/${o.id}/block`, { reason: f.reason ?? "" }));
                }}
              >
                ${
                  o.status === "blocked"
                    ? html`<button type="submit" class="secondary">${t("org.unblock")}</button>`
                    : html`<label>${t("doc.reason")} <input name="reason" required minlength="3" /></label
                        ><button type="submit" class="danger">${t("org.blockOrg")}</button>`
                }
              </form>
              ${renderProblem(this.problems.blockOrg)}
            </section>`
          : nothing
      }`;
  }

  private renderSeal(o: Organization) {
    return html`<h2>${t("org.seal")}</h2>
      ${
        hasRole(this.me, "system_admin")
          ? html`<form
                class="inline"
                @submit=${(e: Event) => {
                  const f = formValues(e);
                  void this.run("seal", "PUT", `/organizations/${o.id}/seal`, { keyLabel: f.keyLabel ?? null });
                }}
              >
                <label>${t("org.sealKey")} <input name="keyLabel" aria-describedby="seal-hint" /></label>
                <button type="submit" class="secondary">${t("common.save")}</button>
              </form>
              <small id="seal-hint" class="muted">${t("org.sealHint")}</small>${renderProblem(this.problems.seal)}`
          : html`<p class="muted">${t("org.sealHint")}</p>`
      }`;
  }

  render() {
    if (this.problems.load) return renderProblem(this.problems.load);
    const o = this.org;
    if (!o) return html`<p aria-busy="true">${t("app.loading")}</p>`;
    const tab = this.tab;
    const body = {
      details: () => this.renderDetails(o),
      branches: () => this.renderBranches(),
      users: () => this.renderUsers(),
      seal: () => this.renderSeal(o),
      tokens: () => this.renderTokens(),
      powers: () => this.renderPowers(),
    }[tab];
    return html`<h1>
        ${o.name} ${o.status === "blocked" ? html`<span class="badge bad">${t("org.blocked")}</span>` : nothing}
      </h1>
      <nav class="tabs" aria-label=${t("org.sections")}>
        ${TABS.map(
          (k) =>
            html`<a
              href=${`/organizations/${o.id}?tab=${k}`}
              aria-current=${tab === k ? "page" : "false"}
              @click=${(e: Event) => {
                e.preventDefault();
                navigate(`/organizations/${o.id}?tab=${k}`);
                this.requestUpdate();
              }}
              >${t(`org.tab.${k}`)}</a
            >`,
        )}
      </nav>
      ${body()}`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-organization-page": QOrganizationPage;
  }
}
