// Documents' side of retention (SPEC R5.3, R5.5): the two writes retention needs on documents'
// tables, done here because only documents writes them (retention/documentRecords.ts states them).
import { type Tx } from "../../storage/db.js";
import { statements } from "../../storage/statements.js";
import type { DocumentRecords, RetentionDates } from "../retention/documentRecords.js";

/** The tables that hang off a document and go with its content. */
const HANGING = [
  "document_files",
  "document_signatures",
  "document_receipts",
  "document_events",
  "document_approvers",
  "document_approval_steps",
  "invitations",
];

async function retentionDatesWriter(tx: Tx, updates: RetentionDates[]): Promise<void> {
  for (const u of updates) {
    await tx("documents")
      .where({ id: u.id })
      .whereNot("status", "destroyed")
      .update({ retain_until: u.retainUntil, retention_version_id: u.versionId, retention_action: u.action });
  }
}

// The statements touch different tables and none needs another's answer (SQLite: one round trip).
async function documentsDestroyer(tx: Tx, ids: string[], at: string): Promise<void> {
  await statements(tx, [
    ...HANGING.map((table) => () => tx(table).whereIn("document_id", ids).delete()),
    () =>
      tx("documents")
        .whereIn("id", ids)
        .update({
          status: "destroyed",
          title: "",
          fields: "{}",
          search_as_sender: "",
          search_as_recipient: "",
          content_name: "",
          recipient_email: null,
          updated_at: at,
          retain_until: null,
          version: tx.raw("version + 1"),
        }),
  ]);
}

export const documentRecords: DocumentRecords = { retentionDatesWriter, documentsDestroyer };
