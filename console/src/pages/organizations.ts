/**
 * <q-organizations-page>: the organizations the user administers or sees, with search and paging;
 * a system administrator registers a new participant (or an external counterparty) here.
 */
import { html } from "lit";
import { customElement, state } from "lit/decorators.js";
import { api, type Page } from "../api/client.js";
import "../components/q-paged-table/q-paged-table.js";
import type { Column } from "../components/q-paged-table/q-paged-table.js";
import { QScreen, hasRole, navigate } from "../components/shared/base.js";
import { formValues, fieldError, renderProblem } from "../components/shared/problem.js";
import { t } from "../i18n/i18n.js";
import type { Organization } from "./types.js";
import { IDENTIFIER_PATTERN, identifierOf } from "./identifiers.js";

@customElement("q-organizations-page")
export class QOrganizationsPage extends QScreen {
  @state() private q = "";

  private fetcher = this.makeFetcher();
  private makeFetcher() {
    const q = this.q;
    return (cursor: string | null) =>
      api<Page<Organization>>("GET", "/organizations", undefined, { q, cursor, limit: 50 });
  }
  protected willUpdate(changed: Map<string, unknown>) {
    if (changed.has("q")) this.fetcher = this.makeFetcher();
  }

  private get columns(): Column<Organization>[] {
    return [
      { label: t("field.name"), render: (o) => html`<a href=${`/organizations/${o.id}`}>${o.name}</a>` },
      { label: "BIN / EDRPOU / RNOKPP", render: (o) => o.bin ?? o.edrpou ?? o.rnokpp ?? "" },
      { label: t("field.country"), render: (o) => o.country },
      { label: t("org.type"), render: (o) => (o.external ? t("org.external") : t("org.participant")) },
      {
        label: t("doc.status"),
        render: (o) =>
          html`<span class="badge ${o.status === "blocked" ? "bad" : ""}"
            >${t(o.status === "blocked" ? "org.blocked" : "org.active")}</span
          >`,
      },
    ];
  }

  private async handleCreate(e: Event) {
    const f = formValues(e);
    const body = {
      name: f.name,
      country: f.country,
      kind: f.kind,
      ...identifierOf(f.code),
      external: f.external === "on",
      headOfficeName: f.headOfficeName,
      totpRequired: f.totpRequired === "on",
    };
    const o = await this.act("create", () => api<Organization>("POST", "/organizations", body));
    if (o) navigate(`/organizations/${o.id}`);
  }

  render() {
    const p = this.problems.create;
    return html`<h1>${t("nav.organizations")}</h1>
      <form
        class="inline"
        role="search"
        @submit=${(e: Event) => {
          this.q = formValues(e).q ?? "";
        }}
      >
        <label>${t("doc.search")} <input name="q" type="search" /></label
        ><button type="submit">${t("common.apply")}</button>
      </form>
      <q-paged-table
        .columns=${this.columns}
        .fetchPage=${this.fetcher}
        .caption=${t("nav.organizations")}
      ></q-paged-table>
      ${
        hasRole(this.me, "system_admin")
          ? html`<h2>${t("org.create")}</h2>
              <form class="grid" @submit=${this.handleCreate}>
                <label>${t("field.name")} <input name="name" required /></label>${fieldError(p, "name")}
                <div class="row">
                  <label
                    >${t("field.country")}
                    <select name="country">
                      <option value="KZ">KZ</option>
                      <option value="UA">UA</option>
                    </select></label
                  >
                  <label
                    >${t("org.kind")}
                    <select name="kind">
                      <option value="legal_entity">${t("org.kind.legal_entity")}</option>
                      <option value="sole_proprietor">${t("org.kind.sole_proprietor")}</option>
                      <option value="individual">${t("org.kind.individual")}</option>
                    </select></label
                  >
                  <label
                    >${t("new.binOrEdrpou")} <input name="code" pattern=${IDENTIFIER_PATTERN} inputmode="numeric"
                  /></label>
                </div>
                ${fieldError(p, "bin")}${fieldError(p, "edrpou")}${fieldError(p, "rnokpp")}
                <label>${t("org.headOfficeName")} <input name="headOfficeName" /></label>
                <label class="check"><input type="checkbox" name="external" /> ${t("org.externalHint")}</label>
                <label class="check"><input type="checkbox" name="totpRequired" /> ${t("org.totpRequired")}</label>
                ${renderProblem(p)}
                <button type="submit">${t("org.create")}</button>
              </form>`
          : ""
      }`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-organizations-page": QOrganizationsPage;
  }
}
