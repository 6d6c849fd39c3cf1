// What retention needs done to documents, which documents own (SPEC R5.3, R5.5): their retain-until
// dates assigned, and their destruction. Retention sits below documents, so it states the need here
// and documents supplies the implementation (documents/retentionRecords.ts), wired in app.ts.
import type { Tx } from "../../storage/db.js";

export interface RetentionDates {
  id: string;
  retainUntil: string | null;
  versionId: string | null;
  action: string;
}

export interface DocumentRecords {
  /** Sets these live documents' retain-until date, the rule version that gave it and its end action. */
  retentionDatesWriter(tx: Tx, updates: RetentionDates[]): Promise<void>;
  /**
   * Destroys these documents in the transaction: the rows that hang off them (files, signatures,
   * receipts, history, approvals, invitations) are deleted and each document is left as a
   * content-free row in status `destroyed`. Their tombstones are retention's, written before.
   */
  documentsDestroyer(tx: Tx, ids: string[], at: string): Promise<void>;
}
