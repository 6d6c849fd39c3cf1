/**
 * <q-staff-page>: the appliance's own people (SPEC R1.2) — system administrators, compliance
 * officers and billing operators, who hold roles with no organization. A system administrator
 * adds one (an initial password he passes on; the person changes it at first sign-in), gives or
 * takes an appliance role, and disables or re-enables an account. The server keeps the last
 * system administrator and refuses anyone disabling himself; its refusals are shown as they come.
 */
import { html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { api, type Page } from "../api/client.js";
import { QScreen } from "../components/shared/base.js";
import { formValues, renderProblem } from "../components/shared/problem.js";
import type { MessageKey } from "../i18n/en.js";
import { LANGUAGES, enumLabel, formatDate, t } from "../i18n/i18n.js";
import { APPLIANCE_ROLES } from "../../../server/domain/shared/roles.js";
import type { User } from "./types.js";

@customElement("q-staff-page")
export class QStaffPage extends QScreen {
  @state() private staff: User[] = [];

  protected async load() {
    await this.act("load", async () => {
      this.staff = (await api<Page<User>>("GET", "/users", undefined, { scope: "appliance", limit: 500 })).items;
    });
  }

  private roleName = (r: string) => t(`role.${r}` as MessageKey);

  private renderPerson(u: User) {
    const own = u.roles.filter((g) => g.organizationId === null);
    const missing = APPLIANCE_ROLES.filter((r) => !own.some((g) => g.role === r));
    return html`<tr data-testid="staff-row">
      <td translate="no"><strong>${u.fullName}</strong><br /><span class="muted">${u.login} · ${u.email}</span></td>
      <td>
        <ul class="plain">
          ${own.map(
            (g) =>
              html`<li>
                ${this.roleName(g.role)}
                <button
                  class="secondary small"
                  aria-label=${t("staff.revokeRole", { role: this.roleName(g.role), name: u.fullName })}
                  @click=${() => this.run(`revoke-${g.id}`, "DELETE", `/users/${u.id}/roles/${g.id}`)}
                >
                  ${t("staff.revoke")}
                </button>
                ${renderProblem(this.problems[`revoke-${g.id}`])}
              </li>`,
          )}
        </ul>
        ${
          missing.length
            ? html`<form
                  class="inline"
                  @submit=${(e: Event) => {
                    const f = formValues(e);
                    void this.run(`grant-${u.id}`, "POST", `/users/${u.id}/roles`, { role: f.role });
                  }}
                >
                  <label
                    >${t("staff.addRole")}
                    <select name="role">
                      ${missing.map((r) => html`<option value=${r}>${this.roleName(r)}</option>`)}
                    </select></label
                  ><button type="submit" class="secondary">${t("staff.grant")}</button>
                </form>
                ${renderProblem(this.problems[`grant-${u.id}`])}`
            : nothing
        }
      </td>
      <td><span class="badge ${u.status === "active" ? "good" : "bad"}">${enumLabel(u.status)}</span></td>
      <td>${u.lastLoginAt ? formatDate(u.lastLoginAt) : "—"}</td>
      <td>
        ${
          u.id === this.me?.id
            ? nothing
            : html`<button
                class=${u.status === "active" ? "danger" : "secondary"}
                @click=${() => {
                  if (u.status === "active" && !confirm(t("staff.disableConfirm", { name: u.fullName }))) return;
                  void this.run(
                    `status-${u.id}`,
                    "POST",
                    `/users/${u.id}/${u.status === "active" ? "disable" : "enable"}`,
                    {},
                  );
                }}
              >
                ${u.status === "active" ? t("staff.disable") : t("staff.enable")}
              </button>`
        }
        ${renderProblem(this.problems[`status-${u.id}`])}
      </td>
    </tr>`;
  }

  render() {
    return html`<h1>${t("nav.staff")}</h1>
      <p class="muted">${t("staff.intro")}</p>
      ${renderProblem(this.problems.load)}
      <table>
        <caption class="sr-only">
          ${t("nav.staff")}
        </caption>
        <thead>
          <tr>
            <th scope="col">${t("staff.person")}</th>
            <th scope="col">${t("staff.roles")}</th>
            <th scope="col">${t("doc.status")}</th>
            <th scope="col">${t("staff.lastSignIn")}</th>
            <th scope="col"><span class="sr-only">${t("common.actions")}</span></th>
          </tr>
        </thead>
        <tbody>
          ${this.staff.map((u) => this.renderPerson(u))}
        </tbody>
      </table>
      <section class="card">
        <h2>${t("staff.add")}</h2>
        <form
          class="grid"
          @submit=${(e: Event) => {
            const f = formValues(e);
            void this.run("create", "POST", "/users", {
              login: f.login,
              fullName: f.fullName,
              email: f.email,
              ...(f.iin ? { iin: f.iin } : {}),
              language: f.language,
              password: f.password,
              roles: [{ role: f.role }],
            });
          }}
        >
          <div class="row">
            <label>${t("field.fullName")} <input name="fullName" required autocomplete="off" /></label>
            <label>${t("field.login")} <input name="login" required autocomplete="off" /></label>
            <label>${t("field.email")} <input name="email" type="email" required autocomplete="off" /></label>
            <label>${t("field.iinOptional")} <input name="iin" inputmode="numeric" pattern="\\d{12}" /></label>
          </div>
          <div class="row">
            <label
              >${t("staff.role")}
              <select name="role">
                ${APPLIANCE_ROLES.map((r) => html`<option value=${r}>${this.roleName(r)}</option>`)}
              </select></label
            >
            <label
              >${t("app.language")}
              <select name="language">
                ${LANGUAGES.map((l) => html`<option value=${l.code}>${l.name}</option>`)}
              </select></label
            >
            <label
              >${t("staff.initialPassword")}
              <input name="password" type="password" required autocomplete="new-password"
            /></label>
          </div>
          ${renderProblem(this.problems.create)}<button type="submit">${t("staff.create")}</button>
        </form>
      </section>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-staff-page": QStaffPage;
  }
}
