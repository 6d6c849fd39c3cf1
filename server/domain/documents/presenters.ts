// Documents as the API shows them: every field listed, never a raw row.
import type { DocumentFileRow, DocumentRow } from "./queries.js";

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
    recipient: d.recipient_organization_id ? { organizationId: d.recipient_organization_id, branchId: d.recipient_branch_id, name: d.recipient_name } : null,
    content: content ? presentFile(content) : null,
    attachments: files.filter((f) => f.role === "attachment").map(presentFile),
    totalBytes: Number(d.total_bytes),
    createdAt: d.created_at,
    updatedAt: d.updated_at,
    sentAt: d.sent_at,
    frozen: d.frozen_at !== null,
  };
}
