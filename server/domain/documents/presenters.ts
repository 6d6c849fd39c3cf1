// Documents as the API shows them: every field listed, never a raw row.
import type { DocumentFileRow, DocumentRow } from "./queries.js";
import type { ValidationReport } from "../signatures/validation.js";
import type { SignatureRow } from "./signing.js";

export const presentFile = (f: DocumentFileRow) => ({
  id: f.id,
  role: f.role,
  name: f.name,
  mediaType: f.media_type,
  size: Number(f.size),
  sha256: f.sha256,
});

export function presentDocument(d: DocumentRow, files: DocumentFileRow[]) {
  const content = files.find((f) => f.role === "content");
  return {
    id: d.id,
    kind: d.kind,
    direction: d.direction,
    status: d.status,
    title: d.title,
    number: d.number,
    date: d.doc_date,
    currency: d.currency,
    total: d.total,
    fields: JSON.parse(d.fields),
    sender: { organizationId: d.sender_organization_id, branchId: d.sender_branch_id, name: d.sender_name },
    recipient: d.recipient_organization_id
      ? { organizationId: d.recipient_organization_id, branchId: d.recipient_branch_id, name: d.recipient_name }
      : null,
    content: content ? presentFile(content) : null,
    attachments: files.filter((f) => f.role === "attachment").map(presentFile),
    totalBytes: Number(d.total_bytes),
    createdAt: d.created_at,
    updatedAt: d.updated_at,
    sentAt: d.sent_at,
    frozen: d.frozen_at !== null,
    respondBy: d.respond_by,
    retention:
      d.retain_until === undefined
        ? undefined
        : {
            retainUntil: d.retain_until,
            policyVersionId: d.retention_version_id ?? null,
            endAction: d.retention_action,
          },
    annulmentRequestedBy: d.annulment_requested_by,
    version: d.version,
  };
}

export const presentSignature = (s: SignatureRow) => ({
  id: s.id,
  side: s.side,
  organizationId: s.organization_id,
  signer: { type: s.signer_type, id: s.signer_id },
  certificate: {
    subject: s.signer_subject,
    issuer: s.signer_issuer,
    serialNumber: s.signer_serial,
    notBefore: s.cert_not_before,
    notAfter: s.cert_not_after,
    iin: s.signer_iin,
    bin: s.signer_bin,
    purpose: s.cert_purpose,
    roles: s.cert_roles ? JSON.parse(s.cert_roles) : [],
    fingerprint: s.cert_fingerprint,
  },
  digestAlgorithm: s.digest_algorithm,
  signatureAlgorithm: s.signature_algorithm,
  contentSha256: s.content_sha256,
  cmsSha256: s.cms_sha256,
  signingTime: s.signing_time,
  createdAt: s.created_at,
  validation: s.validation ? presentReport(JSON.parse(s.validation)) : null,
});

/** A validation report as the API shows it: the checks and the chain (the certificate is shown beside it). */
export const presentReport = (r: ValidationReport) => ({
  checkedAt: r.checkedAt,
  valid: r.valid,
  checks: r.checks,
  chain: r.chain.map((c) => ({
    subject: c.subject,
    issuer: c.issuer,
    serialNumber: c.serialNumber,
    notBefore: c.notBefore,
    notAfter: c.notAfter,
    fingerprint: c.fingerprint,
  })),
  // The OCSP response itself is in the evidence package; here, what it said and where it came from.
  revocation: r.revocation?.evidence
    ? {
        status: r.revocation.status,
        source: r.revocation.evidence.source,
        url: r.revocation.evidence.url,
        thisUpdate: r.revocation.evidence.thisUpdate,
        nextUpdate: r.revocation.evidence.nextUpdate,
        producedAt: r.revocation.evidence.producedAt ?? null,
        crlSha256: r.revocation.evidence.sha256 ?? null,
        ...(r.revocation.revokedAt ? { revokedAt: r.revocation.revokedAt, reason: r.revocation.reason ?? null } : {}),
      }
    : null,
});

export interface ReceiptRow {
  id: string;
  document_id: string;
  content_sha256: string;
  organization_id: string;
  branch_id: string;
  by_type: string;
  by_id: string | null;
  at: string;
  body: string;
  sha256: string;
  /** detached CMS over body by the appliance's system key (HSM), when one is configured */
  system_cms?: Buffer | null;
}
export const presentReceipt = (r: ReceiptRow) => ({
  id: r.id,
  contentSha256: r.content_sha256,
  organizationId: r.organization_id,
  branchId: r.branch_id,
  by: { type: r.by_type, id: r.by_id },
  at: r.at,
  sha256: r.sha256,
  body: JSON.parse(r.body),
  systemSignature: r.system_cms ? Buffer.from(r.system_cms).toString("base64") : null,
});

export interface EventRow {
  id: number;
  document_id: string;
  at: string;
  actor_type: string;
  actor_id: string | null;
  side: string | null;
  action: string;
  from_status: string | null;
  to_status: string | null;
  comment: string | null;
}
export const presentEvent = (e: EventRow) => ({
  at: e.at,
  action: e.action,
  actor: { type: e.actor_type, id: e.actor_id },
  side: e.side,
  from: e.from_status,
  to: e.to_status,
  comment: e.comment,
});
