// The audit log's MAC key (SPEC R5.7). The hash chain alone proves only that rows fit together:
// whoever can write the database can recompute it. Each entry and the head therefore also carry
// an HMAC under a key that is not in the database (audit.keyFile, made at first start, mode 0600):
// forged, edited or renumbered entries and a moved head show without it. The file also says from
// which entry on the log is keyed (the first append after the key was made), so deleting MACs in
// the database does not turn entries back into unkeyed ones. Someone who can read and write the
// key file as well (on SQLite it sits beside the database) is caught only by anchors held
// elsewhere (anchors.ts) or by an HSM's signed checkpoints.
import { createHmac, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { Tx } from "../../storage/db.js";

export interface AuditKey {
  key: Buffer;
  /** the first seq written under the key; null until something was appended with it */
  since: number | null;
  file: string;
}

/**
 * Keys by the database's configuration object, which Knex shares between a database and every
 * transaction it opens (a transaction has a client of its own): each appliance finds its own key
 * (tests run several in one process).
 */
const keys = new WeakMap<object, AuditKey>();

/** Reads the key file (`<hex key>\n[<since>\n]`), or makes it when there is none yet. */
export function loadAuditKey(file: string): AuditKey {
  if (!existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, randomBytes(32).toString("hex") + "\n", { mode: 0o600, flag: "wx" });
    chmodSync(file, 0o600);
  }
  const [hex, since] = readFileSync(file, "utf8").split("\n");
  const key = Buffer.from(hex.trim(), "hex");
  if (key.length !== 32) throw new Error(`${file}: not an audit key (64 hex digits expected)`);
  return { key, since: since?.trim() ? Number(since) : null, file };
}

export function bindAuditKey(db: Tx, key: AuditKey | null) {
  if (key) keys.set(db.client.config, key);
  else keys.delete(db.client.config);
}

export const auditKeyOf = (db: Tx): AuditKey | null => keys.get(db.client.config) ?? null;

/** Called with the head an append chains after: the first keyed append writes down where keying began. */
export function keyedFrom(k: AuditKey, headSeq: number): void {
  if (k.since !== null) return;
  k.since = headSeq + 1;
  writeFileSync(k.file, `${k.key.toString("hex")}\n${k.since}\n`, { mode: 0o600 });
}

export const rowMac = (key: Buffer, hash: string) => createHmac("sha256", key).update(`row\n${hash}`).digest("hex");

export const headMac = (key: Buffer, seq: number, hash: string) =>
  createHmac("sha256", key).update(`head\n${seq}\n${hash}`).digest("hex");
