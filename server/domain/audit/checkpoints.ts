// Signed audit checkpoints: the audit chain's head (seq, hash), signed by the system key.
import type { Clock } from "../../clock.js";
import { summarizeCertificate } from "../../pki/cms.js";
import type { Signer } from "../../pki/signer.js";
import type { Tx } from "../../storage/db.js";
import { pkiModules } from "../../pki/cms.js";

export interface CheckpointRow {
  id: number;
  seq: number | string;
  head_hash: string;
  created_at: string;
  body: string;
  cms: Buffer;
  signer_subject: string;
}

/** Signs the current head and stores it. The signature is made before the row is written: a failed signature stores nothing. */
export async function auditCheckpointWriter(
  db: Tx,
  clock: Clock,
  signer: Signer,
  appliance: string,
): Promise<CheckpointRow> {
  const head = await db("audit_head").where({ id: 1 }).first("seq", "hash");
  const at = clock.now().toISOString();
  const body = JSON.stringify({
    format: "qujat.audit-checkpoint/1",
    appliance,
    seq: Number(head.seq),
    hash: String(head.hash),
    at,
  });
  const cms = await signer.signSystem(Buffer.from(body));
  const row = {
    seq: Number(head.seq),
    head_hash: String(head.hash),
    created_at: at,
    body,
    cms,
    signer_subject: await signerSubject(cms),
  };
  const [inserted] = await db("audit_checkpoints").insert(row).returning("id");
  return { id: typeof inserted === "object" ? inserted.id : inserted, ...row };
}

async function signerSubject(cms: Buffer): Promise<string> {
  const { asn1js, pkijs } = await pkiModules();
  const sd = new pkijs.SignedData({
    schema: new pkijs.ContentInfo({ schema: asn1js.fromBER(new Uint8Array(cms)).result }).content,
  });
  const cert = sd.certificates?.[0];
  return cert instanceof pkijs.Certificate ? summarizeCertificate(cert).subject : "";
}

export const presentCheckpoint = (c: CheckpointRow) => ({
  id: c.id,
  seq: Number(c.seq),
  headHash: c.head_hash,
  createdAt: c.created_at,
  signer: c.signer_subject,
  body: c.body,
  cms: Buffer.from(c.cms).toString("base64"),
});

/** The newest checkpoints first. */
export function auditCheckpoints(db: Tx, limit: number): Promise<CheckpointRow[]> {
  return db("audit_checkpoints").orderBy("id", "desc").limit(limit);
}

/** The newest checkpoint and whether the chain still has its head hash at its seq. */
export async function latestCheckpoint(db: Tx): Promise<{ checkpoint: CheckpointRow; matchesChain: boolean } | null> {
  const cp: CheckpointRow | undefined = await db("audit_checkpoints").orderBy("id", "desc").first();
  if (!cp) return null;
  const at = await db("audit_log")
    .where({ seq: Number(cp.seq) })
    .first("hash");
  return { checkpoint: cp, matchesChain: Boolean(at && at.hash === cp.head_hash) };
}
