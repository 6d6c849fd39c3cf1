// The audit hash chain (SPEC R5.7): hash = SHA-256(prev_hash || canonical(entry)).
// canonical() is a fixed-order JSON array so the same entry always hashes the same on every dialect.
import { createHash } from "node:crypto";

export const GENESIS_HASH = "0".repeat(64);

export interface AuditRow {
  seq: number;
  at: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  organization_id: string | null;
  outcome: string;
  ip: string | null;
  request_id: string | null;
  details: string;
  prev_hash: string;
  hash: string;
  /** HMAC of the hash under the audit key (key.ts); null before the log was keyed */
  mac?: string | null;
}

/** The hashed columns after `seq`, in hashing order; the verifier builds the same array in SQL from this list. */
export const CANONICAL_COLUMNS = [
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
] as const;

export function canonical(row: Omit<AuditRow, "hash" | "prev_hash">): string {
  return JSON.stringify([String(row.seq), ...CANONICAL_COLUMNS.map((c) => row[c])]);
}

export function chainHash(prevHash: string, row: Omit<AuditRow, "hash" | "prev_hash">): string {
  return hashCanonical(prevHash, canonical(row));
}

export function hashCanonical(prevHash: string, canonicalText: string): string {
  return createHash("sha256").update(prevHash).update(canonicalText).digest("hex");
}

/** JSON with sorted keys, so `details` is stored in one canonical spelling. */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
