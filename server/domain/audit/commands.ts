// Appending to the audit log. Every append runs inside the caller's transaction (so a command and
// its audit entry commit or vanish together) and takes the head row first: on PostgreSQL with
// SELECT … FOR UPDATE, which serializes appenders across processes so the chain never forks;
// on SQLite the single writer does the same.
import type { AuditAction } from "../../problemCodes.js";
import type { Tx } from "../../storage/db.js";
import { isPostgres } from "../../storage/db.js";
import { insertStatements, runStatements, sqlRows, type Statement } from "../../storage/statements.js";
import type { Clock } from "../../clock.js";
import { chainHash, stableJson, type AuditRow } from "./chain.js";
import { auditKeyOf, headMac, keyedFrom, rowMac, type AuditKey } from "./key.js";

export type AuditOutcome = "success" | "failure" | "denied";

export interface AuditActorRef {
  type: "user" | "api_token" | "system" | "anonymous";
  id: string | null;
}

export interface AuditEvent {
  action: AuditAction;
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

export interface AuditBatchItem {
  meta: AuditMeta;
  events: AuditEvent[];
}

/** Appends one actor's events; the common case of a command writing its own entries. */
export async function auditAppender(tx: Tx, clock: Clock, meta: AuditMeta, events: AuditEvent[]): Promise<AuditRow[]> {
  const [rows] = await auditBatchAppender(tx, clock, [{ meta, events }]);
  return rows;
}

/** Appends several callers' events under one head lock and one checkpoint update; rows come back per item. */
export async function auditBatchAppender(tx: Tx, clock: Clock, items: AuditBatchItem[]): Promise<AuditRow[][]> {
  if (items.every((i) => i.events.length === 0)) return items.map(() => []);
  const chained = auditChain(await auditHead(tx), clock, items, auditKeyOf(tx));
  await runStatements(tx, auditWrites(chained));
  return chained.perItem;
}

/** The chain's head, locked for this transaction (PostgreSQL: FOR UPDATE; SQLite: the single writer). */
export async function auditHead(tx: Tx): Promise<{ seq: number; hash: string }> {
  const [head] = await sqlRows<{ seq: number | string; hash: string }>(
    tx,
    `select "seq", "hash" from "audit_head" where "id" = 1${isPostgres(tx) ? " for update" : ""}`,
  );
  return { seq: Number(head.seq), hash: head.hash };
}

/** Rows chained after the head `after`, up to the new head (`seq`, `hash`). */
export interface AuditChained {
  perItem: AuditRow[][];
  all: AuditRow[];
  after: { seq: number; hash: string };
  seq: number;
  hash: string;
  at: string;
  /** the new head's MAC (null without an audit key) */
  mac: string | null;
}

/** The items' events as chained rows after `head` (no I/O). */
export function auditChain(
  head: { seq: number; hash: string },
  clock: Clock,
  items: AuditBatchItem[],
  key: AuditKey | null,
): AuditChained {
  if (key && items.some((i) => i.events.length > 0)) keyedFrom(key, head.seq);
  let seq = head.seq;
  let prev = head.hash;
  const at = clock.now().toISOString();
  const all: AuditRow[] = [];
  const perItem = items.map(({ meta, events }) =>
    events.map((e) => {
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
      const row = { ...base, prev_hash: prev, hash, mac: key ? rowMac(key.key, hash) : null };
      prev = hash;
      all.push(row);
      return row;
    }),
  );
  const mac = key ? headMac(key.key, seq, prev) : null;
  return { perItem, all, after: { seq: head.seq, hash: head.hash }, seq, hash: prev, at, mac };
}

/**
 * The statements that store chained rows and move the head, to be issued together: they touch
 * different rows, so none waits for another's answer. The head moves only from the head the rows
 * were chained after: one read before the transaction that holds the head (see sqliteWriter) fails
 * rather than fork the chain.
 */
export function auditWrites(c: AuditChained): Statement[] {
  if (c.all.length === 0) return [];
  return [
    ...insertStatements("audit_log", c.all, INSERT_CHUNK),
    {
      sql: `update "audit_head" set "seq" = ?, "hash" = ?, "mac" = ?, "updated_at" = ? where "id" = 1 and "seq" = ? and "hash" = ?`,
      bindings: [c.seq, c.hash, c.mac, c.at, c.after.seq, c.after.hash],
      orElse: async () =>
        new Error(`the audit chain's head moved from ${c.after.seq} while its next entries were being written`),
    },
  ];
}

const INSERT_CHUNK = 500; // 15 columns a row stays far below either dialect's bound-parameter limit
