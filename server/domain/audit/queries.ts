// Reading and verifying the audit log.
import type { Tx } from "../../storage/db.js";
import { chainHash, GENESIS_HASH, type AuditRow } from "./chain.js";

export type AuditBreak = "missing" | "altered" | "relinked" | "truncated" | "beyond_checkpoint" | "checkpoint_mismatch";

export interface AuditVerification {
  ok: boolean;
  count: number;
  checkpoint: { seq: number; hash: string };
  firstBrokenSeq: number | null;
  reason: AuditBreak | null;
}

/**
 * Recomputes the whole chain in seq order and reports the first broken sequence number:
 * a deleted row shows as a gap ("missing"), an edited/reordered/inserted row as a hash that no
 * longer matches ("altered") or a prev_hash that points elsewhere ("relinked"), a cut tail as rows
 * ending before the checkpoint ("truncated").
 */
export async function auditVerifier(db: Tx, pageSize = 20_000): Promise<AuditVerification> {
  const head = await db("audit_head").where({ id: 1 }).first("seq", "hash");
  const checkpoint = { seq: Number(head.seq), hash: String(head.hash) };
  let expected = 1;
  let prev = GENESIS_HASH;
  let count = 0;
  const fail = (seq: number, reason: AuditBreak): AuditVerification => ({ ok: false, count, checkpoint, firstBrokenSeq: seq, reason });
  for (;;) {
    const rows: AuditRow[] = await db("audit_log").where("seq", ">=", expected).orderBy("seq").limit(pageSize);
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expected) return fail(expected, "missing");
      if (row.prev_hash !== prev) return fail(seq, "relinked");
      const recomputed = chainHash(prev, { ...row, seq });
      if (recomputed !== row.hash) return fail(seq, "altered");
      prev = row.hash;
      expected += 1;
      count += 1;
    }
    if (rows.length < pageSize) break;
  }
  const last = expected - 1;
  if (last < checkpoint.seq) return fail(last + 1, "truncated");
  if (last > checkpoint.seq) return fail(checkpoint.seq + 1, "beyond_checkpoint");
  if (prev !== checkpoint.hash) return fail(last, "checkpoint_mismatch");
  return { ok: true, count, checkpoint, firstBrokenSeq: null, reason: null };
}

export interface AuditFilter {
  organizationIds?: string[] | null; // null = every organization (appliance-wide readers)
  actorId?: string;
  action?: string;
  targetId?: string;
  beforeSeq?: number;
  from?: string;
  to?: string;
  limit: number;
}

export async function auditEntries(db: Tx, f: AuditFilter): Promise<AuditRow[]> {
  const q = db("audit_log").orderBy("seq", "desc").limit(f.limit);
  if (f.organizationIds) q.whereIn("organization_id", f.organizationIds);
  if (f.actorId) q.where("actor_id", f.actorId);
  if (f.action) q.where("action", f.action);
  if (f.targetId) q.where("target_id", f.targetId);
  if (f.beforeSeq) q.where("seq", "<", f.beforeSeq);
  if (f.from) q.where("at", ">=", f.from);
  if (f.to) q.where("at", "<", f.to);
  return q;
}

export function presentAuditEntry(r: AuditRow) {
  return {
    seq: Number(r.seq),
    at: r.at,
    actor: { type: r.actor_type, id: r.actor_id },
    action: r.action,
    target: r.target_type ? { type: r.target_type, id: r.target_id } : null,
    organizationId: r.organization_id,
    outcome: r.outcome,
    ip: r.ip,
    requestId: r.request_id,
    details: JSON.parse(r.details),
    hash: r.hash,
  };
}
