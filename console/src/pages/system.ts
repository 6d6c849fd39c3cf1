/**
 * <q-system-page>: the appliance's health — readiness (database, migrations, HSM), the trust store's
 * anchors and problems, cron jobs with their last run and outcome (run one now), mail delivery
 * (the outbox: pending, failed with their errors, retry), and maintenance announcements.
 */
import { html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { api } from "../api/client.js";
import { QScreen } from "../components/shared/base.js";
import { formValues, renderProblem } from "../components/shared/problem.js";
import { en, type MessageKey } from "../i18n/en.js";
import { enumLabel, formatDate, t } from "../i18n/i18n.js";

interface Job {
  name: string;
  schedule: string;
  running: boolean;
  lastStartedAt: string | null;
  lastFinishedAt: string | null;
  lastDurationMs: number | null;
  lastOutcome: string | null;
  lastError: string | null;
  runCount: number;
}
interface Message {
  id: number;
  topic: string;
  status: string;
  attempts: number;
  createdAt: string;
  nextAttemptAt: string | null;
  sentAt: string | null;
  lastError: string | null;
}
interface Trust {
  dir: string;
  loadedAt: string | null;
  anchors: Array<{ file: string; subject?: string; notAfter?: string }>;
  problems: string[];
}
interface Announcement {
  id: string;
  title: string;
  body: string;
  startsAt: string;
  endsAt: string;
}

@customElement("q-system-page")
export class QSystemPage extends QScreen {
  @state() private ready: { status: string; checks: Record<string, { ok: boolean; detail?: string }> } | null = null;
  @state() private jobs: Job[] = [];
  @state() private outbox: Message[] = [];
  @state() private trust: Trust | null = null;
  @state() private announcements: Announcement[] = [];

  protected async load() {
    await this.act("load", async () => {
      const readyz = await fetch("/readyz").then((r) => r.json());
      [this.jobs, this.outbox, this.trust, this.announcements] = await Promise.all([
        api<{ items: Job[] }>("GET", "/system/jobs").then((r) => r.items),
        api<{ items: Message[] }>("GET", "/system/outbox", undefined, { limit: 50 }).then((r) => r.items),
        api<Trust>("GET", "/trust"),
        api<{ items: Announcement[] }>("GET", "/announcements").then((r) => r.items),
      ]);
      this.ready = readyz;
    });
  }

  render() {
    const sent = this.outbox.filter((m) => m.status === "sent");
    const failed = this.outbox.filter((m) => m.status === "failed");
    const pending = this.outbox.filter((m) => m.status === "pending");
    return html`<h1>${t("nav.system")}</h1>
      ${renderProblem(this.problems.load)}
      <h2>${t("system.health")}</h2>
      ${
        this.ready
          ? html`<ul>
              ${Object.entries(this.ready.checks).map(
                ([k, c]) =>
                  html`<li>
                    <span class="badge ${c.ok ? "good" : "bad"}"
                      >${c.ok ? "✓" : "✗"} ${enumLabel(c.ok ? "ok" : "degraded")}</span
                    >
                    ${`system.check.${k}` in en ? t(`system.check.${k}` as MessageKey) : k}
                    ${
                      c.detail
                        ? html`<details>
                            <summary>${t("system.technical")}</summary>
                            <span lang="en" translate="no">${c.detail}</span>
                          </details>`
                        : nothing
                    }
                  </li>`,
              )}
              ${this.ready.checks.hsm ? nothing : html`<li class="muted">${t("system.noHsm")}</li>`}
            </ul>`
          : nothing
      }
      <h2>${t("system.trust")}</h2>
      ${
        this.trust
          ? html`<p class="muted"><span translate="no">${this.trust.dir}</span> — ${formatDate(this.trust.loadedAt)}</p>
              <ul>
                ${this.trust.anchors.map((a) => html`<li><span translate="no">${a.subject ?? a.file}</span>${a.notAfter ? html` <span class="muted">(${formatDate(a.notAfter)})</span>` : nothing}</li>`)}
              </ul>
              ${
                this.trust.problems.length
                  ? html`<ul class="error">
                      ${this.trust.problems.map((p) => html`<li>${p}</li>`)}
                    </ul>`
                  : nothing
              }
              <button class="secondary" @click=${() => this.run("trust", "POST", "/trust/reload")}>
                ${t("system.reloadTrust")}</button
              >${renderProblem(this.problems.trust)}`
          : nothing
      }
      <h2>${t("system.jobs")}</h2>
      <table>
        <caption class="sr-only">
          ${t("system.jobs")}
        </caption>
        <thead>
          <tr>
            <th>${t("field.name")}</th>
            <th>${t("system.schedule")}</th>
            <th>${t("system.lastRun")}</th>
            <th>${t("system.outcome")}</th>
            <th>${t("system.runs")}</th>
            <th><span class="sr-only">${t("common.actions")}</span></th>
          </tr>
        </thead>
        <tbody>
          ${this.jobs.map(
            (j) =>
              html`<tr>
                <td><code>${j.name}</code></td>
                <td><code>${j.schedule}</code></td>
                <td>
                  ${formatDate(j.lastFinishedAt ?? j.lastStartedAt)}${j.lastDurationMs !== null ? ` (${j.lastDurationMs} ms)` : ""}
                </td>
                <td>
                  ${j.running ? t("system.running") : (j.lastOutcome ?? "—")}${j.lastError ? html`<br /><span class="error">${j.lastError}</span>` : nothing}
                </td>
                <td>${j.runCount}</td>
                <td>
                  <button
                    class="secondary"
                    ?disabled=${j.running}
                    @click=${() => this.run(`job-${j.name}`, "POST", `/system/jobs/${j.name}/run`)}
                  >
                    ${t("system.runNow")}</button
                  >${renderProblem(this.problems[`job-${j.name}`])}
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
      <h2>${t("system.mail")}</h2>
      <p role="status">
        ${t("system.mailSummary", { sent: sent.length, pending: pending.length, failed: failed.length })}
        ${sent[0]?.sentAt ? t("system.lastSent", { at: formatDate(sent[0].sentAt) }) : ""}
      </p>
      <table>
        <caption class="sr-only">
          ${t("system.mail")}
        </caption>
        <thead>
          <tr>
            <th>#</th>
            <th>${t("system.topic")}</th>
            <th>${t("doc.status")}</th>
            <th>${t("system.attempts")}</th>
            <th>${t("doc.created")}</th>
            <th>${t("system.error")}</th>
            <th><span class="sr-only">${t("common.actions")}</span></th>
          </tr>
        </thead>
        <tbody>
          ${this.outbox.map(
            (m) =>
              html`<tr>
                <td>${m.id}</td>
                <td><code>${m.topic}</code></td>
                <td>${enumLabel(m.status)}</td>
                <td>${m.attempts}</td>
                <td>${formatDate(m.createdAt)}</td>
                <td>${m.lastError ?? ""}</td>
                <td>
                  ${m.status === "failed" ? html`<button class="secondary" @click=${() => this.run("retry", "POST", `/system/outbox/${m.id}/retry`)}>${t("system.retry")}</button>` : nothing}
                </td>
              </tr>`,
          )}
        </tbody>
      </table>
      ${renderProblem(this.problems.retry)}
      <h2>${t("system.announcements")}</h2>
      <ul>
        ${this.announcements.map(
          (a) =>
            html`<li>
              <strong>${a.title}</strong> ${formatDate(a.startsAt)} – ${formatDate(a.endsAt)}
              <button class="secondary" @click=${() => this.run("withdraw", "DELETE", `/announcements/${a.id}`)}>
                ${t("system.withdraw")}
              </button>
            </li>`,
        )}
      </ul>
      <form
        class="grid"
        @submit=${(e: Event) => {
          const f = formValues(e);
          void this.run("announce", "POST", "/announcements", {
            title: f.title,
            body: f.body ?? "",
            startsAt: new Date(f.startsAt ?? "").toISOString(),
            endsAt: new Date(f.endsAt ?? "").toISOString(),
            notify: f.notify === "on",
          });
        }}
      >
        <label>${t("system.announcementTitle")} <input name="title" required /></label>
        <label>${t("system.announcementBody")} <textarea name="body"></textarea></label>
        <div class="row">
          <label>${t("system.startsAt")} <input name="startsAt" type="datetime-local" required /></label>
          <label>${t("system.endsAt")} <input name="endsAt" type="datetime-local" required /></label>
        </div>
        <label class="check"><input type="checkbox" name="notify" checked /> ${t("system.notifyAll")}</label>
        ${renderProblem(this.problems.announce)}<button type="submit">${t("system.announce")}</button>
      </form>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-system-page": QSystemPage;
  }
}
