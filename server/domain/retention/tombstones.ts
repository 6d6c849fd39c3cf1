// What disposition destroyed (SPEC R5.5), for those who account for it: each destroyed document's
// tombstone — its id, its bytes, when. Billing lowers the stored bytes it meters by these (R4.3).
import type { Tx } from "../../storage/db.js";

export interface DestroyedDocument {
  document_id: string;
  bytes: number | string;
  destroyed_at: string;
}

/** Tombstones after the keyset (destroyed_at, document_id) — all when null — oldest first. */
export function destroyedAfter(
  db: Tx,
  after: { at: string; documentId: string } | null,
  limit: number,
): Promise<DestroyedDocument[]> {
  const q = db("document_tombstones")
    .orderBy("destroyed_at")
    .orderBy("document_id")
    .limit(limit)
    .select("document_id", "bytes", "destroyed_at");
  if (after)
    q.where((w) =>
      w
        .where("destroyed_at", ">", after.at)
        .orWhere((e) => e.where("destroyed_at", after.at).where("document_id", ">", after.documentId)),
    );
  return q;
}
