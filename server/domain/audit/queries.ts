// Reading and verifying the audit log.
import { isPostgres, type Tx } from "../../storage/db.js";
import { CANONICAL_COLUMNS, chainHash, GENESIS_HASH, hashCanonical, type AuditRow } from "./chain.js";
import { auditKeyOf, headMac, rowMac, type AuditKey } from "./key.js";

export type AuditBreak =
  | "missing"
  | "altered"
  | "relinked"
  | "truncated"
  | "beyond_checkpoint"
  | "checkpoint_mismatch"
  /** an entry written after the log was keyed without a valid MAC: forged or recomputed */
  | "unauthenticated"
  /** the head moved without the key: a cut tail or an appended forgery */
  | "head_unauthenticated";

export interface AuditVerification {
  ok: boolean;
  count: number;
  checkpoint: { seq: number; hash: string };
  firstBrokenSeq: number | null;
  reason: AuditBreak | null;
  /** from which entry on MACs were checked (null: no key, or nothing written under it) */
  keyedFrom: number | null;
}

/**
 * The canonical spelling of each row, built by the database so only three short columns cross into
 * JavaScript per row (fetching every column as an object was ~70 % of the verify time). SQLite's
 * json_array and PostgreSQL's to_json escape strings as JSON.stringify does; should any row still
 * differ, the verifier recomputes that row from its columns before calling it altered.
 */
function canonicalSql(db: Tx): string {
  if (isPostgres(db)) {
    const parts = [
      "to_json(seq::text)::text",
      ...CANONICAL_COLUMNS.map((c) => `coalesce(to_json(${c})::text, 'null')`),
    ];
    return `'[' || ${parts.join(" || ',' || ")} || ']'`;
  }
  return `json_array(cast(seq as text), ${CANONICAL_COLUMNS.join(", ")})`;
}

interface VerifyRow {
  seq: number | string;
  c: string;
  prev_hash: string;
  hash: string;
  mac: string | null;
}

/**
 * Recomputes the whole chain in seq order and reports the first broken sequence number:
 * a deleted row shows as a gap ("missing"), an edited/reordered/inserted row as a hash that no
 * longer matches ("altered") or a prev_hash that points elsewhere ("relinked"), a cut tail as rows
 * ending before the checkpoint ("truncated"). Pages are fetched by keyset and the next page is
 * requested before the current one is hashed, so reading and hashing overlap.
 */
export async function auditVerifier(
  db: Tx,
  pageSize = 20_000,
  key: AuditKey | null = auditKeyOf(db),
): Promise<AuditVerification> {
  const head = await db("audit_head").where({ id: 1 }).first("seq", "hash", "mac");
  const checkpoint = { seq: Number(head.seq), hash: String(head.hash) };
  const keyedFrom = key?.since ?? null;
  let expected = 1;
  let prev = GENESIS_HASH;
  let count = 0;
  const fail = (seq: number, reason: AuditBreak): AuditVerification => ({
    ok: false,
    count,
    checkpoint,
    firstBrokenSeq: seq,
    reason,
    keyedFrom,
  });
  const canonical = canonicalSql(db);
  // .then() starts the query now (a Knex builder runs only when awaited); the catch keeps a page
  // still in flight when verification stops early from becoming an unhandled rejection.
  const page = (afterSeq: number): Promise<VerifyRow[]> => {
    const p = db("audit_log")
      .select(db.raw(`seq, ${canonical} as c, prev_hash, hash, mac`))
      .where("seq", ">", afterSeq)
      .orderBy("seq")
      .limit(pageSize)
      .then((rows) => rows as unknown as VerifyRow[]);
    p.catch(() => undefined);
    return p;
  };
  let next = page(0);
  for (;;) {
    const rows = await next;
    if (rows.length === pageSize) next = page(Number(rows[rows.length - 1].seq));
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expected) return fail(expected, "missing");
      if (row.prev_hash !== prev) return fail(seq, "relinked");
      if (hashCanonical(prev, row.c) !== row.hash) {
        const full: AuditRow = (await db("audit_log").where({ seq }).first())!;
        if (chainHash(prev, { ...full, seq }) !== row.hash) return fail(seq, "altered");
      }
      if (keyedFrom !== null && seq >= keyedFrom && row.mac !== rowMac(key!.key, row.hash))
        return fail(seq, "unauthenticated");
      prev = row.hash;
      expected += 1;
      count += 1;
    }
    if (rows.length < pageSize) break;
  }
  const last = expected - 1;
  if (last < checkpoint.seq) return fail(last + 1, "truncated");
  // The key file says the log had reached keyedFrom: a shorter log lost its keyed tail.
  if (keyedFrom !== null && last < keyedFrom && checkpoint.seq < keyedFrom) return fail(last + 1, "truncated");
  if (last > checkpoint.seq) return fail(checkpoint.seq + 1, "beyond_checkpoint");
  if (prev !== checkpoint.hash) return fail(last, "checkpoint_mismatch");
  if (keyedFrom !== null && last >= keyedFrom && head.mac !== headMac(key!.key, checkpoint.seq, checkpoint.hash))
    return fail(last, "head_unauthenticated");
  return { ok: true, count, checkpoint, firstBrokenSeq: null, reason: null, keyedFrom };
}

export interface AuditFilter {
  organizationIds?: string[] | null; // null = every organization (appliance-wide readers)
  actorId?: string;
  action?: string;
  targetId?: string;
  beforeSeq?: number;
  /** oldest first (exports) instead of newest first */
  ascending?: boolean;
  from?: string;
  to?: string;
  limit: number;
}

export async function auditEntries(db: Tx, f: AuditFilter): Promise<AuditRow[]> {
  const q = db("audit_log")
    .orderBy("seq", f.ascending ? "asc" : "desc")
    .limit(f.limit);
  if (f.organizationIds) q.whereIn("organization_id", f.organizationIds);
  if (f.actorId) q.where("actor_id", f.actorId);
  if (f.action) q.where("action", f.action);
  if (f.targetId) q.where("target_id", f.targetId);
  if (f.beforeSeq) q.where("seq", "<", f.beforeSeq);
  if (f.from) q.where("at", ">=", f.from);
  if (f.to) q.where("at", "<", f.to);
  return q;
}

/** One entry for the API; `names` (user or organization id → name) adds their names where known. */
export function presentAuditEntry(r: AuditRow, names: Map<string, string> = new Map()) {
  const nameOf = (type: string | null, id: string | null) =>
    (type === "user" || type === "organization") && id ? names.get(id) : undefined;
  return {
    seq: Number(r.seq),
    at: r.at,
    actor: { type: r.actor_type, id: r.actor_id, name: nameOf(r.actor_type, r.actor_id) },
    action: r.action,
    target: r.target_type ? { type: r.target_type, id: r.target_id, name: nameOf(r.target_type, r.target_id) } : null,
    organizationId: r.organization_id,
    outcome: r.outcome,
    ip: r.ip,
    requestId: r.request_id,
    details: JSON.parse(r.details),
    hash: r.hash,
  };
}

const CSV_COLUMNS = [
  "seq",
  "at",
  "actor_type",
  "actor_id",
  "action",
  "target_type",
  "target_id",
  "organization_id",
  "outcome",
  "ip",
  "request_id",
  "details",
  "prev_hash",
  "hash",
] as const;
const csvCell = (v: unknown) => {
  const s = v === null || v === undefined ? "" : String(v);
  // Quoted always; a leading =, +, - or @ is prefixed so a spreadsheet does not run it as a formula.
  return `"${(/^[=+\-@]/.test(s) ? "'" + s : s).replace(/"/g, '""')}"`;
};

/**
 * An audit export (SPEC R5.7): the entries, the chain's verification, and the signed checkpoint the
 * chain was verified against (its body and detached CMS, so a reader checks both with OpenSSL).
 * CSV carries the verification and checkpoint as leading `#` lines.
 */
export function auditExport(
  format: "json" | "csv",
  rows: AuditRow[],
  verification: AuditVerification,
  checkpoint: unknown,
): string {
  if (format === "json")
    return JSON.stringify({
      format: "qujat.audit-export/1",
      verification,
      checkpoint,
      entries: rows.map((r) => presentAuditEntry(r)),
    });
  const head = [
    `# qujat.audit-export/1`,
    `# verification: ${JSON.stringify(verification)}`,
    `# checkpoint: ${JSON.stringify(checkpoint)}`,
    CSV_COLUMNS.join(","),
  ];
  return head.concat(rows.map((r) => CSV_COLUMNS.map((c) => csvCell((r as any)[c])).join(","))).join("\r\n") + "\r\n";
}
