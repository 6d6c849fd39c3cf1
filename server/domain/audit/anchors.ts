// Audit anchors (SPEC R5.7): the chain's head at a moment — seq, hash and, with a TSA, an RFC 3161
// timestamp over the anchor — kept where the database's writer cannot reach: one JSON line appended
// (and flushed) to audit.anchorFile, which an operator ships elsewhere, and a notice to every
// compliance officer. `qujat audit:verify --anchors FILE` then checks the chain against anchors
// held outside: a cut, an edit with every later hash recomputed, a renumbering — each breaks an
// anchor taken before it, whoever could write the database and its key file.
import { createHash } from "node:crypto";
import { appendFile, open } from "node:fs/promises";
import type { Clock } from "../../clock.js";
import type { Tx } from "../../storage/db.js";

export interface AnchorLine {
  /** the anchored statement, exactly as timestamped */
  body: string;
  /** RFC 3161 token over SHA-256(body), base64; null without a TSA */
  timestamp: string | null;
}

export interface AnchorBody {
  format: "qujat.audit-anchor/1";
  appliance: string;
  seq: number;
  hash: string;
  at: string;
}

export interface AnchorRow {
  id: number;
  seq: number | string;
  head_hash: string;
  created_at: string;
  body: string;
  timestamp_token: Buffer | null;
}

/**
 * Anchors the current head: timestamps it (when `timestamp` is given), stores it, and appends it
 * to the anchor file. The row is written last: an anchor that could not be delivered outside is not
 * recorded as one.
 */
export async function auditAnchorWriter(
  db: Tx,
  clock: Clock,
  p: { appliance: string; anchorFile: string; timestamp: ((data: Buffer) => Promise<Buffer>) | null },
): Promise<{ anchor: AnchorBody; line: AnchorLine; id: number }> {
  const head = await db("audit_head").where({ id: 1 }).first("seq", "hash");
  const anchor: AnchorBody = {
    format: "qujat.audit-anchor/1",
    appliance: p.appliance,
    seq: Number(head.seq),
    hash: String(head.hash),
    at: clock.now().toISOString(),
  };
  const body = JSON.stringify(anchor);
  const token = p.timestamp ? await p.timestamp(Buffer.from(body)) : null;
  const line: AnchorLine = { body, timestamp: token ? token.toString("base64") : null };
  await appendFile(p.anchorFile, JSON.stringify(line) + "\n", { mode: 0o644 });
  const f = await open(p.anchorFile, "r");
  try {
    await f.datasync();
  } finally {
    await f.close();
  }
  const [inserted] = await db("audit_anchors")
    .insert({
      seq: anchor.seq,
      head_hash: anchor.hash,
      created_at: anchor.at,
      body,
      timestamp_token: token,
    })
    .returning("id");
  return { anchor, line, id: typeof inserted === "object" ? inserted.id : inserted };
}

export interface AnchorCheck {
  seq: number;
  at: string;
  ok: boolean;
  /** why it fails: the chain no longer has this hash at this seq, or the chain ends before it */
  problem: string | null;
  timestamped: boolean;
}

/** Parses an anchor file's lines (blank lines skipped); throws on a line that is not an anchor. */
export function parseAnchors(text: string): Array<{ line: AnchorLine; anchor: AnchorBody; number: number }> {
  const out: Array<{ line: AnchorLine; anchor: AnchorBody; number: number }> = [];
  text.split("\n").forEach((raw, i) => {
    if (!raw.trim()) return;
    let line: AnchorLine;
    let anchor: AnchorBody;
    try {
      line = JSON.parse(raw);
      anchor = JSON.parse(line.body);
    } catch {
      throw new Error(`line ${i + 1}: not JSON`);
    }
    if (
      anchor.format !== "qujat.audit-anchor/1" ||
      !Number.isInteger(anchor.seq) ||
      !/^[0-9a-f]{64}$/.test(anchor.hash)
    )
      throw new Error(`line ${i + 1}: not a qujat audit anchor`);
    out.push({ line, anchor, number: i + 1 });
  });
  return out;
}

/**
 * Each anchor against the chain: the entry at its seq must still carry its hash (the chain's own
 * verification proves every entry before it). `verifyTimestamp` checks a token over SHA-256(body).
 */
export async function anchorsChecker(
  db: Tx,
  anchors: ReturnType<typeof parseAnchors>,
  verifyTimestamp: ((token: Buffer, digest: Buffer) => Promise<void>) | null,
): Promise<AnchorCheck[]> {
  const last = Number((await db("audit_log").max({ m: "seq" }).first())?.m ?? 0);
  const checks: AnchorCheck[] = [];
  for (const { line, anchor } of anchors) {
    const check: AnchorCheck = { seq: anchor.seq, at: anchor.at, ok: true, problem: null, timestamped: false };
    if (line.timestamp) {
      if (!verifyTimestamp) {
        check.problem = "timestamped, but no trust store to check the TSA's signature";
      } else {
        try {
          await verifyTimestamp(Buffer.from(line.timestamp, "base64"), createHash("sha256").update(line.body).digest());
          check.timestamped = true;
        } catch (err) {
          check.ok = false;
          check.problem = `its timestamp does not hold: ${(err as Error).message}`;
        }
      }
    }
    if (check.ok && anchor.seq > 0) {
      const row = await db("audit_log").where({ seq: anchor.seq }).first("hash");
      if (anchor.seq > last || !row) {
        check.ok = false;
        check.problem = `the chain ends at ${last}, before this anchor's entry ${anchor.seq}: entries were cut`;
      } else if (row.hash !== anchor.hash) {
        check.ok = false;
        check.problem = `entry ${anchor.seq} no longer has the anchored hash: the chain was rewritten`;
      }
    }
    checks.push(check);
  }
  return checks;
}
