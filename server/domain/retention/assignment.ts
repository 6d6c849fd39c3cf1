// Assigning retain-until dates (SPEC R5.1): every live document's date brought up to the current
// epoch's rules and facts (rules.ts decides them); the writes themselves are documents' (the port in
// documentRecords.ts).

import type { Config } from "../../config/index.js";

import { type Db } from "../../storage/db.js";

import type { DocumentRecords } from "./documentRecords.js";

import { retentionOf, type RetainedDocument } from "./rules.js";

import { retentionEpoch, retentionFacts } from "./facts.js";
const ASSIGN_COLUMNS = [
  "id",
  "kind",
  "created_at",
  "doc_date",
  "fields",
  "sender_organization_id",
  "recipient_organization_id",
  "retain_until",
  "retention_version_id",
  "retention_action",
];

/**
 * Brings every live document's retain-until date up to the current epoch, a page of documents per
 * transaction (keyset by id), writing only the rows whose dates change. Idempotent; safe to run again.
 */
export async function retentionAssigner(
  db: Db,
  config: Config,
  records: DocumentRecords,
  pageSize = 2000,
): Promise<{ epoch: number; changed: number }> {
  const { epoch } = await retentionEpoch(db);
  const facts = await retentionFacts(db, config);
  let after = "";
  let changed = 0;
  for (;;) {
    const rows: Array<
      RetainedDocument & {
        id: string;
        retain_until: string | null;
        retention_version_id: string | null;
        retention_action: string;
      }
    > = (await db("documents")
      .select(ASSIGN_COLUMNS)
      .whereNot("status", "destroyed")
      .where("id", ">", after)
      .orderBy("id")
      .limit(pageSize)) as unknown as typeof rows;
    if (rows.length === 0) break;
    after = rows[rows.length - 1].id;
    const updates = rows.flatMap((d) => {
      const r = retentionOf(d, facts);
      return r.retainUntil === d.retain_until &&
        r.versionId === d.retention_version_id &&
        r.action === d.retention_action
        ? []
        : [{ id: d.id, ...r }];
    });
    if (updates.length) {
      await db.transaction((tx) => records.retentionDatesWriter(tx, updates));
      changed += updates.length;
    }
    if (rows.length < pageSize) break;
  }
  await db("retention_state").where({ id: 1 }).where("assigned_epoch", "<", epoch).update({ assigned_epoch: epoch });
  return { epoch, changed };
}

// ---------- policies ----------
