// The notification outbox. A change that someone must hear about writes its notifications in the
// same transaction, so a notice is never lost for a change that happened nor sent for one that
// rolled back. The dispatcher (dispatcher.ts) picks `pending` rows, resolves addressees and sends.
import type { Clock } from "../clock.js";
import type { Tx } from "../storage/db.js";

/** Who a notice is for: the people of one side's branch, one user, or an address outside the appliance. */
export type Addressee =
  { organizationId: string; branchId: string } | { userId: string } | { email: string } | { everyone: true };

export interface Notification {
  topic: string;
  documentId?: string | null;
  /** what the notice is about, for whoever counts from its delivery (e.g. "invoice:<id>") */
  ref?: string | null;
  to: Addressee;
  payload: Record<string, unknown>;
}

export interface OutboxRow {
  id: number;
  topic: string;
  document_id: string | null;
  organization_id: string | null;
  branch_id: string | null;
  user_id: string | null;
  email: string | null;
  payload: string;
  created_at: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  sent_at: string | null;
  last_error: string | null;
  claimed_until: string | null;
  /** the claiming worker's own mark (a lease renewed while it sends) */
  claim_token: string | null;
  delivered: string | null;
  /** the addressee whose SMTP transaction started and was not confirmed (sent again after a crash) */
  attempting: string | null;
  ref: string | null;
  /** the first of: the SMTP server took it, it was shown to an addressee in the console */
  delivered_at: string | null;
}

export async function notificationWriter(tx: Tx, clock: Clock, items: Notification[]): Promise<void> {
  if (items.length === 0) return;
  const now = clock.now().toISOString();
  await tx("outbox").insert(
    items.map((n) => ({
      topic: n.topic,
      document_id: n.documentId ?? null,
      ref: n.ref ?? null,
      organization_id: "organizationId" in n.to ? n.to.organizationId : null,
      branch_id: "branchId" in n.to ? n.to.branchId : null,
      user_id: "userId" in n.to ? n.to.userId : null,
      email: "email" in n.to ? n.to.email : null,
      payload: JSON.stringify(n.payload),
      created_at: now,
      status: "pending",
      attempts: 0,
      next_attempt_at: now,
    })),
  );
}

/** The outbox, newest first, for the administrator. */
export function outboxEntries(
  db: Tx,
  f: { status?: "pending" | "sent" | "failed"; topic?: string; limit: number },
): Promise<OutboxRow[]> {
  const q = db("outbox").orderBy("id", "desc").limit(f.limit);
  if (f.status) q.where({ status: f.status });
  if (f.topic) q.where({ topic: f.topic });
  return q;
}

/** Puts a failed notification back in the queue, now; false when there is no failed one with that id. */
export async function outboxRetrier(tx: Tx, clock: Clock, id: number): Promise<boolean> {
  return (
    (await tx("outbox")
      .where({ id, status: "failed" })
      .update({ status: "pending", attempts: 0, next_attempt_at: clock.now().toISOString() })) === 1
  );
}

/** When each notice about these refs of this topic was first delivered (by mail or on screen); undelivered ones are absent. */
export async function noticeDeliveries(db: Tx, topic: string, refs: string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (refs.length === 0) return out;
  const rows: Array<{ ref: string; delivered_at: string }> = await db("outbox")
    .where({ topic })
    .whereIn("ref", refs)
    .whereNotNull("delivered_at")
    .select("ref", "delivered_at");
  for (const r of rows) if (!out.has(r.ref) || r.delivered_at < out.get(r.ref)!) out.set(r.ref, r.delivered_at);
  return out;
}

/** The first delivery (by mail or on screen) at or after `since` of a notice of this topic about `ref`; null: none yet. */
export async function noticeDeliveredSince(db: Tx, topic: string, ref: string, since: string): Promise<string | null> {
  const row = (await db("outbox")
    .where({ topic, ref })
    .where("created_at", ">=", since)
    .whereNotNull("delivered_at")
    .min({ first: "delivered_at" })
    .first()) as { first?: string | null } | undefined;
  return row?.first ?? null;
}
