// Appending to the audit log. Every append runs inside the caller's transaction (so a command and
// its audit entry commit or vanish together) and takes the head row first: on PostgreSQL with
// SELECT … FOR UPDATE, which serializes appenders across processes so the chain never forks;
// on SQLite the single writer does the same.
import type { Tx } from "../../storage/db.js";
import { isPostgres } from "../../storage/db.js";
import type { Clock } from "../../clock.js";
import { chainHash, stableJson, type AuditRow } from "./chain.js";

export type AuditOutcome = "success" | "failure" | "denied";

export interface AuditActorRef {
  type: "user" | "api_token" | "system" | "anonymous";
  id: string | null;
}

export interface AuditEvent {
  action: string;
  outcome?: AuditOutcome;
  target?: { type: string; id?: string | null } | null;
  organizationId?: string | null;
  details?: Record<string, unknown>;
}

export interface AuditMeta {
  actor: AuditActorRef;
  ip?: string | null;
  requestId?: string | null;
}

export async function auditAppender(tx: Tx, clock: Clock, meta: AuditMeta, events: AuditEvent[]): Promise<AuditRow[]> {
  if (events.length === 0) return [];
  const headQuery = tx("audit_head").where({ id: 1 }).first("seq", "hash");
  const head = await (isPostgres(tx) ? headQuery.forUpdate() : headQuery);
  let seq = Number(head.seq);
  let prev: string = head.hash;
  const at = clock.now().toISOString();
  const rows: AuditRow[] = events.map((e) => {
    seq += 1;
    const base = {
      seq,
      at,
      actor_type: meta.actor.type,
      actor_id: meta.actor.id,
      action: e.action,
      target_type: e.target?.type ?? null,
      target_id: e.target?.id ?? null,
      organization_id: e.organizationId ?? null,
      outcome: e.outcome ?? "success",
      ip: meta.ip ?? null,
      request_id: meta.requestId ?? null,
      details: stableJson(e.details ?? {}),
    };
    const hash = chainHash(prev, base);
    const row = { ...base, prev_hash: prev, hash };
    prev = hash;
    return row;
  });
  await tx("audit_log").insert(rows);
  await tx("audit_head").where({ id: 1 }).update({ seq, hash: prev, updated_at: at });
  return rows;
}
