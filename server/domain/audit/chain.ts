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
}

export function canonical(row: Omit<AuditRow, "hash" | "prev_hash">): string {
  return JSON.stringify([
    String(row.seq), row.at, row.actor_type, row.actor_id, row.action, row.target_type, row.target_id,
    row.organization_id, row.outcome, row.ip, row.request_id, row.details,
  ]);
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
