/**
 * <q-document-page>: one document — its facts, the status timeline, the approval route, signatures
 * with their validation report, receipts, downloads (content, attachments, signature protocol PDF,
 * evidence package), and the steps its current state allows the viewer's side: route for approval,
 * approve or return, sign (certificate through the browser signer), send (the organization's HSM
 * seal is added by the server when it seals), confirm receipt, sign as recipient, reject or ask for
 * clarification with a reason, request or answer an annulment. The API decides; a refused step
 * shows its problem beside the step.
 */
import { html, nothing } from "lit";
import { customElement, state } from "lit/decorators.js";
import { api, apiUrl } from "../api/client.js";
import "../components/q-key-file/q-key-file.js";
import "../components/q-document-preview/q-document-preview.js";
import type { Stamp } from "../components/q-document-preview/q-document-preview.js";
import "../components/q-route-editor/q-route-editor.js";
import type { RouteStep } from "../events/events.js";
import { QScreen } from "../components/shared/base.js";
import { formValues, renderProblem } from "../components/shared/problem.js";
import { en, type MessageKey } from "../i18n/en.js";
import { enumLabel, formatAmount, formatBytes, formatDate, formatDay, language, t } from "../i18n/i18n.js";
import { browserSigner, toBase64 } from "../signer.js";
import { statusTone, titleOf, type DocumentView } from "./types.js";

interface Check {
  check: string;
  ok: boolean | null;
  detail: string;
}
interface Signature {
  id: string;
  side: string;
  signer: { type: string; id: string | null };
  certificate: {
    subject: string;
    issuer: string;
    serialNumber: string;
    notAfter: string;
    iin: string | null;
    bin: string | null;
    roles?: string[];
  };
  signatureAlgorithm: string;
  signingTime: string | null;
  createdAt: string;
  validation: {
    valid: boolean;
    checkedAt: string;
    checks: Check[];
    revocation: { status: string; source: string } | null;
  } | null;
}
interface History {
  approval: {
    round: number;
    steps: Array<{
      position: number;
      mode: string;
      status: string;
      approvers: Array<{ userId: string; name: string; decision: string | null; comment: string | null }>;
    }>;
  } | null;
  signatures: Signature[];
  receipts: Array<{ id: string; contentSha256: string; at: string; organizationId: string }>;
  events: Array<{
    at: string;
    action: string;
    side: string | null;
    from: string | null;
    to: string | null;
    comment: string | null;
  }>;
}

@customElement("q-document-page")
export class QDocumentPage extends QScreen {
  @state() private doc: DocumentView | null = null;
  @state() private history: History | null = null;
  @state() private candidates: Array<{ id: string; name: string }> = [];
  @state() private route: RouteStep[] = [{ approvers: [], mode: "all" }];

  protected async load() {
    await this.act("load", async () => {
      const id = this.params.id;
      [this.doc, this.history] = await Promise.all([
        api<DocumentView>("GET", `/documents/${id}`),
        api<History>("GET", `/documents/${id}/history`),
      ]);
    });
    if (this.doc && (this.doc.status === "draft" || this.doc.status === "returned") && this.candidates.length === 0) {
      // Exactly the people who may approve it (any route author may ask, not only administrators).
      const eligible = await api<{ items: Array<{ id: string; fullName: string }> }>(
        "GET",
        `/documents/${this.doc.id}/approvers`,
      ).catch(() => ({ items: [] }));
      this.candidates = eligible.items.map((u) => ({ id: u.id, name: u.fullName }));
    }
  }

  /** Which side of the document the viewer is on (he may be on both for an internal one). */
  private sides() {
    const orgs = new Set(this.me?.roles.map((g) => g.organizationId));
    return {
      sender: orgs.has(this.doc!.sender.organizationId),
      recipient: Boolean(this.doc!.recipient && orgs.has(this.doc!.recipient.organizationId)),
    };
  }

  private async step(name: string, path: string, body?: unknown) {
    const r = await this.act(name, () => api<DocumentView>("POST", `/documents/${this.params.id}/${path}`, body));
    if (r) await this.load();
  }

  private async handleSign() {
    const signer = browserSigner();
    const r = await this.act("sign", async () => {
      if (!signer) throw new Error(t("signin.noSigner"));
      const res = await fetch(apiUrl(`/documents/${this.params.id}/content`), { credentials: "same-origin" });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const cms = await signer.sign(toBase64(new Uint8Array(await res.arrayBuffer())), "sign");
      return api("POST", `/documents/${this.params.id}/signatures`, { cms });
    });
    if (r) await this.load();
  }

  private renderActions() {
    const d = this.doc!;
    const side = this.sides();
    const st = d.status;
    const p = this.problems;
    const reasonForm = (name: string, path: string, label: MessageKey, danger = false) =>
      html`<form class="inline" @submit=${(e: Event) => this.step(name, path, { reason: formValues(e).reason })}>
        <label
          >${t("doc.reason")} <span class="sr-only">(${t(label)})</span> <input name="reason" required minlength="3"
        /></label>
        <button type="submit" class=${danger ? "danger" : ""}>${t(label)}</button>${renderProblem(p[name])}
      </form>`;
    const parts = [];
    if (side.sender && (st === "draft" || st === "returned")) {
      parts.push(
        html`<section class="card">
          <h3>${t("doc.routeTitle")}</h3>
          ${
            this.candidates.length
              ? html`<q-route-editor
                    .candidates=${this.candidates}
                    .steps=${this.route}
                    @q-route-change=${(e: { steps: RouteStep[] }) => {
                      this.route = e.steps;
                    }}
                  ></q-route-editor>
                  <button
                    @click=${() => this.step("route", "approval", { steps: this.route })}
                    ?disabled=${!this.route.every((s) => s.approvers.length)}
                  >
                    ${t("doc.submitRoute")}
                  </button>`
              : html`<p class="muted">${t("doc.noCandidates")}</p>`
          }
          ${renderProblem(p.route)}
        </section>`,
      );
    }
    if (
      st === "on_approval" &&
      this.history?.approval?.steps.some(
        (s) => s.status === "active" && s.approvers.some((a) => a.userId === this.me?.id && !a.decision),
      )
    ) {
      parts.push(
        html`<section class="card">
          <h3>${t("doc.decideTitle")}</h3>
          <form
            class="inline"
            @submit=${(e: Event) => {
              const f = formValues(e);
              const submitter = (e as SubmitEvent).submitter as HTMLButtonElement | null;
              return this.step("decide", "approval/decisions", {
                decision: submitter?.value ?? "approve",
                ...(f.comment ? { comment: f.comment } : {}),
              });
            }}
          >
            <label>${t("doc.comment")} <input name="comment" /></label>
            <button type="submit" value="approve">${t("doc.approve")}</button>
            <button type="submit" value="return" class="secondary">${t("doc.return")}</button>
          </form>
          ${renderProblem(p.decide)}
        </section>`,
      );
    }
    const canSignSender = side.sender && ["draft", "approved", "signing"].includes(st);
    const canSignRecipient = side.recipient && ["delivered", "clarification_requested"].includes(st);
    if (canSignSender || canSignRecipient) {
      const signer = browserSigner();
      parts.push(
        html`<section class="card">
          <h3>${t("doc.signTitle")}</h3>
          <p class="muted">${signer ? t("signin.signerReady", { name: signer.name }) : t("signin.noSigner")}</p>
          <q-key-file @q-signer-change=${() => this.requestUpdate()}></q-key-file>
          <button @click=${this.handleSign} ?disabled=${!signer || this.busy !== ""}>${t("doc.sign")}</button
          >${renderProblem(p.sign)}
        </section>`,
      );
    }
    if (side.sender && st === "signing") {
      parts.push(
        html`<section class="card">
          <h3>${t("doc.sendTitle")}</h3>
          <p class="muted">${t("doc.sendHint")}</p>
          <button @click=${() => this.step("send", "send")}>${t("doc.send")}</button>${renderProblem(p.send)}
        </section>`,
      );
    }
    if (side.recipient && st === "sent") {
      parts.push(
        html`<section class="card">
          <h3>${t("doc.receiptTitle")}</h3>
          <button @click=${() => this.step("receipt", "receipt", { contentSha256: d.content?.sha256 })}>
            ${t("doc.receipt")}</button
          >${renderProblem(p.receipt)}
        </section>`,
      );
    }
    // After a rejection the sender's next step: a corrected document to the same recipient.
    if (side.sender && st === "rejected" && d.recipient) {
      const reason = [...(this.history?.events ?? [])].reverse().find((e) => e.to === "rejected")?.comment;
      parts.push(
        html`<section class="card" data-testid="rejected-next">
          <h3>${t("doc.rejectedTitle")}</h3>
          ${reason ? html`<p>${t("doc.rejectionReason", { reason })}</p>` : nothing}
          <p class="muted">${t("doc.rejectedHint")}</p>
          <a
            class="button"
            href=${`/documents/new?${new URLSearchParams({ kind: d.kind, recipient: d.recipient.organizationId, recipientName: d.recipient.name, from: d.id })}`}
            >${t("doc.correctAndResend")}</a
          >
        </section>`,
      );
    }
    if (side.recipient && ["delivered", "clarification_requested"].includes(st)) {
      parts.push(
        html`<section class="card">
          <h3>${t("doc.answerTitle")}</h3>
          ${reasonForm("reject", "rejection", "doc.reject", true)}
          ${st === "delivered" ? reasonForm("clarify", "clarification-request", "doc.clarify") : nothing}
        </section>`,
      );
    }
    if (
      (side.sender || side.recipient) &&
      ["sent", "delivered", "clarification_requested", "signed_by_recipient", "accepted_by_silence"].includes(st)
    ) {
      parts.push(
        html`<section class="card">
          <h3>${t("doc.annulTitle")}</h3>
          ${reasonForm("annul", "annulment-request", "doc.requestAnnulment")}
        </section>`,
      );
    }
    if (st === "annulment_requested") {
      parts.push(
        html`<section class="card">
          <h3>${t("doc.annulTitle")}</h3>
          <div class="row">
            <button @click=${() => this.step("annulAnswer", "annulment-answer", { accept: true })}>
              ${t("doc.annulAgree")}
            </button>
            <button class="secondary" @click=${() => this.step("annulAnswer", "annulment-answer", { accept: false })}>
              ${t("doc.annulDecline")}
            </button>
          </div>
          ${renderProblem(p.annulAnswer)}
        </section>`,
      );
    }
    return parts.length
      ? html`<h2>${t("doc.actions")}</h2>
          ${parts}`
      : nothing;
  }

  private renderSignatures() {
    const sigs = this.history?.signatures ?? [];
    if (!sigs.length) return html`<p class="muted">${t("doc.noSignatures")}</p>`;
    return sigs.map(
      (s) =>
        html`<details class="card">
          <summary>
            <span class="badge ${s.validation?.valid ? "good" : "bad"}"
              >${s.validation?.valid ? t("doc.valid") : t("doc.invalid")}</span
            >
            ${t(`side.${s.side}` as MessageKey)} — <span translate="no">${s.certificate.subject}</span> —
            ${formatDate(s.signingTime ?? s.createdAt)}
          </summary>
          <dl class="facts">
            <dt>${t("doc.algorithm")}</dt>
            <dd data-testid="signature-algorithm">${s.signatureAlgorithm}</dd>
            <dt>${t("doc.issuer")}</dt>
            <dd translate="no">${s.certificate.issuer}</dd>
            <dt>${t("doc.serial")}</dt>
            <dd class="mono">${s.certificate.serialNumber}</dd>
            ${
              s.certificate.iin
                ? html`<dt>${s.certificate.iin.length === 10 ? "RNOKPP" : "IIN"}</dt>
                    <dd>${s.certificate.iin}</dd>`
                : nothing
            }
            ${
              s.certificate.bin
                ? html`<dt>${s.certificate.bin.length === 8 ? "EDRPOU" : "BIN"}</dt>
                    <dd>${s.certificate.bin}</dd>`
                : nothing
            }
            <dt>${t("doc.revocation")}</dt>
            <dd>
              ${
                s.validation?.revocation
                  ? `${enumLabel(s.validation.revocation.status)} (${s.validation.revocation.source.toUpperCase()})`
                  : "—"
              }
            </dd>
          </dl>
          <table>
            <caption class="sr-only">
              ${t("doc.checks")}
            </caption>
            <thead>
              <tr>
                <th>${t("doc.check")}</th>
                <th>${t("doc.result")}</th>
                <th>${t("doc.detail")}</th>
              </tr>
            </thead>
            <tbody>
              ${(s.validation?.checks ?? []).map(
                (c) =>
                  html`<tr>
                    <td>${checkLabel(c.check)}</td>
                    <td>
                      ${c.ok === null ? "—" : c.ok ? "✓" : "✗"}
                      ${t(c.ok === null ? "check.notMade" : c.ok ? "check.passed" : "check.failed")}
                    </td>
                    <td>${language() === "en" ? c.detail : ""}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
          <a href=${apiUrl(`/documents/${this.params.id}/signatures/${s.id}`)} download
            >${t("doc.downloadSignature")}</a
          >
        </details>`,
    );
  }

  /** The signatures as the preview's stamps. */
  private get stamps(): Stamp[] {
    return (this.history?.signatures ?? []).map((s) => ({
      side: s.side,
      subject: s.certificate.subject,
      iin: s.certificate.iin,
      bin: s.certificate.bin,
      roles: s.certificate.roles,
      at: s.signingTime ?? s.createdAt,
      algorithm: s.signatureAlgorithm,
      valid: s.validation ? s.validation.valid : null,
    }));
  }

  render() {
    if (this.problems.load) return renderProblem(this.problems.load);
    const d = this.doc;
    if (!d) return html`<p aria-busy="true">${t("app.loading")}</p>`;
    const base = `/documents/${d.id}`;
    return html`<h1>
        ${t(`kind.${d.kind}` as MessageKey)} ${d.number ?? ""}
        <span class="badge ${statusTone(d.status)}" data-testid="status">${t(`status.${d.status}` as MessageKey)}</span>
      </h1>
      <dl class="facts">
        <dt>${t("doc.title")}</dt>
        <dd>${((title) => (title.own ? html`<span translate="no">${title.text}</span>` : title.text))(titleOf(d))}</dd>
        <dt>${t("doc.date")}</dt>
        <dd>${formatDay(d.date)}</dd>
        <dt>${t("doc.sender")}</dt>
        <dd>${d.sender.name}</dd>
        <dt>${t("doc.recipient")}</dt>
        <dd>${d.recipient?.name ?? "—"}</dd>
        ${
          d.total
            ? html`<dt>${t("doc.total")}</dt>
                <dd>${formatAmount(d.total)} ${d.currency ?? ""}</dd>`
            : nothing
        }
        <dt>${t("doc.created")}</dt>
        <dd>${formatDate(d.createdAt)}</dd>
        ${
          d.respondBy
            ? html`<dt>${t("doc.respondBy")}</dt>
                <dd>${formatDate(d.respondBy)}</dd>`
            : nothing
        }
        ${
          d.retention?.retainUntil
            ? html`<dt>${t("doc.retainUntil")}</dt>
                <dd>${formatDay(d.retention.retainUntil)} (${enumLabel(d.retention.endAction)})</dd>`
            : nothing
        }
        ${
          d.content
            ? html`<dt>SHA-256</dt>
                <dd class="mono">${d.content.sha256}</dd>`
            : nothing
        }
      </dl>
      <q-document-preview .doc=${d} .stamps=${this.stamps}></q-document-preview>
      <h2>${t("doc.downloads")}</h2>
      <ul>
        ${d.content ? html`<li><a href=${apiUrl(`${base}/content`)} download translate="no">${d.content.name}</a> <span class="muted">(${formatBytes(d.content.size)})</span></li>` : nothing}
        ${d.attachments.map((a) => html`<li><a href=${apiUrl(`${base}/attachments/${a.id}`)} download translate="no">${a.name}</a> <span class="muted">(${formatBytes(a.size)})</span></li>`)}
        <li><a href=${apiUrl(`${base}/signature-protocol`)} download>${t("doc.protocol")}</a></li>
        <li><a href=${apiUrl(`${base}/evidence`)} download>${t("doc.evidence")}</a></li>
      </ul>
      ${this.renderActions()}
      ${
        this.history?.approval
          ? html`<h2>${t("doc.approvalRoute")}</h2>
              <ol>
                ${this.history.approval.steps.map(
                  (s) =>
                    html`<li>
                      <span class="badge">${enumLabel(s.status)}</span>
                      ${t(s.mode === "any" ? "route.any" : "route.all")}:
                      ${s.approvers.map((a) => html`<span translate="no">${a.name}</span> ${a.decision ? html`(<em>${enumLabel(a.decision)}</em>${a.comment ? `: ${a.comment}` : ""})` : ""}; `)}
                    </li>`,
                )}
              </ol>`
          : nothing
      }
      <h2>${t("doc.signatures")}</h2>
      ${this.renderSignatures()}
      <h2>${t("doc.receipts")}</h2>
      ${
        this.history?.receipts.length
          ? html`<ul>
              ${this.history.receipts.map((r) => html`<li>${formatDate(r.at)} — <span class="mono">${r.contentSha256}</span></li>`)}
            </ul>`
          : html`<p class="muted">—</p>`
      }
      <h2>${t("doc.timeline")}</h2>
      <ol class="timeline">
        ${(this.history?.events ?? []).map(
          (e) =>
            html`<li>
              <time datetime=${e.at}>${formatDate(e.at)}</time> —
              ${e.to ? t(`status.${e.to}` as MessageKey) : e.action}${e.side ? html` <span class="muted">(${t(`side.${e.side}` as MessageKey)})</span>` : nothing}${e.comment ? html`: ${e.comment}` : nothing}
            </li>`,
        )}
      </ol>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    "q-document-page": QDocumentPage;
  }
}

/** A validation check's name in the reader's language (the server's code when the console has none). */
function checkLabel(code: string): string {
  const key = `check.${code}`;
  return key in en ? t(key as MessageKey) : code;
}
