// The evidence package (SPEC R2.8, R3.5): one ZIP with the content, attachments, signatures,
// receipts, the document's history and its audit extract, and a manifest listing every entry with
// its SHA-256 — enough to prove, without the appliance, what was signed, sent and received.
import path from "node:path";
import type { Readable } from "node:stream";
import { CANONICAL_COLUMNS } from "../audit/chain.js";
import { sha256 } from "../identity/secrets.js";
import type { BlobStore } from "../../storage/blobs.js";
import type { Tx } from "../../storage/db.js";
import { UnavailableError } from "../../errors.js";
import type { Signer } from "../../pki/signer.js";
import { approvalSeenBy, visibleStep, type SeenSides } from "./history.js";
import { signatureProtocolPdf } from "./protocol.js";
import { presentDocument, presentEvent, presentReceipt, presentSignature } from "./presenters.js";
import type { DocumentFileRow, DocumentRow } from "./queries.js";
import type { ValidationReport } from "../signatures/validation.js";
import { signaturesOf } from "./signing.js";

// eslint-disable-next-line no-control-regex -- control characters are what it replaces
const UNSAFE_IN_ZIP = /[\u0000-\u001f<>:"/\\|?*]/g;

/** A name safe inside a ZIP on every platform: no directories, no control or reserved characters. */
const safeName = (name: string) => path.basename(name).replace(UNSAFE_IN_ZIP, "_").slice(0, 180) || "file";

const json = (v: unknown) => Buffer.from(JSON.stringify(v, null, 2) + "\n");

export interface EvidenceInput {
  db: Tx;
  blobs: BlobStore;
  document: DocumentRow;
  files: DocumentFileRow[];
  generatedAt: string;
  generatedBy: { type: string; id: string | null };
  /** the appliance's address, for the protocol's verification reference */
  verifyUrl: string;
  /** the system signer (HSM) that signs the protocol PDF; null without an HSM */
  signer: Signer | null;
  /** whose internal approvals the reader may see (history.ts) */
  seen: SeenSides;
}

export async function evidencePackage(p: EvidenceInput): Promise<{ stream: Readable; fileName: string }> {
  const { db, document: doc } = p;
  const signatures = await signaturesOf(db, doc.id);
  const receipts = await db("document_receipts").where({ document_id: doc.id }).orderBy("at");
  const events = (await db("document_events").where({ document_id: doc.id }).orderBy("id")).filter(
    (e: { action: string; side: string | null }) => visibleStep(e, p.seen),
  );
  // Audit entries of approvals carry no side: they are the sender's (approval.ts).
  const auditRows = (
    await db("audit_log")
      .where({ target_id: doc.id })
      .orderBy("seq")
      .select([...CANONICAL_COLUMNS, "hash"])
  ).filter((a: { action: string }) => visibleStep({ action: a.action, side: "sender" }, p.seen));
  const approval = await approvalSeenBy(db, doc.id, p.seen);
  // Every stored file is opened (there, with its recorded size) before anything is promised to
  // the client; a missing one fails the package whole, never the process.
  const opened: Readable[] = [];
  try {
    for (const f of p.files) opened.push(await p.blobs.open(f.sha256, Number(f.size)));
  } catch (err) {
    for (const s of opened) s.destroy();
    throw err;
  }

  try {
    const { default: yazl } = await import("yazl"); // loaded on first use, like pkijs
    const zip = new yazl.ZipFile();
    const output = zip.outputStream as unknown as Readable;
    // A file that fails mid-read ends this package's stream (its response) and nothing else.
    zip.on("error", (err: Error) => output.destroy(err));
    // yazl pipes an added stream without listening for its errors: a file that fails mid-read
    // ends the package here.
    for (const s of opened) s.on("error", (err) => output.destroy(err));
    output.on("error", () => undefined); // seen by whoever reads it (below, or the response's pipeline)
    output.on("close", () => opened.forEach((s) => s.destroy())); // files not reached yet are closed too
    const entries: Array<{ path: string; sha256: string; size: number; role: string }> = [];
    const add = (name: string, data: Buffer, role: string) => {
      zip.addBuffer(data, name, { mtime: new Date(p.generatedAt) });
      entries.push({ path: name, sha256: sha256(data), size: data.length, role });
    };
    for (const [i, f] of p.files.entries()) {
      const name =
        f.role === "content"
          ? `content/${safeName(f.name)}`
          : `attachments/${String(f.position).padStart(2, "0")}-${safeName(f.name)}`;
      // Blobs stream from disk, checked against the hashes recorded at registration.
      zip.addReadStream(opened[i], name, { mtime: new Date(p.generatedAt), size: Number(f.size) });
      entries.push({ path: name, sha256: f.sha256, size: Number(f.size), role: f.role });
    }
    const crlFiles: Array<{ name: string; sha256: string }> = [];
    signatures.forEach((s, i) => {
      const base = `signatures/${String(i + 1).padStart(2, "0")}-${s.side}`;
      add(`${base}.p7s`, Buffer.from(s.cms), "signature");
      // Validation evidence (R3.3): the whole report (chain, checks, time of check) and the OCSP
      // response it relied on, as received (checkable with `openssl ocsp -respin`).
      if (!s.validation) return;
      const report = JSON.parse(s.validation) as ValidationReport;
      add(`${base}.validation.json`, json(report), "validation_report");
      if (report.revocation?.evidence?.der)
        add(`${base}.ocsp.der`, Buffer.from(report.revocation.evidence.der, "base64"), "ocsp_response");
      if (report.revocation?.evidence?.sha256)
        crlFiles.push({ name: `${base}.crl`, sha256: report.revocation.evidence.sha256 });
    });
    for (const c of crlFiles) {
      const row = await db("revocation_evidence").where({ sha256: c.sha256 }).first("der");
      if (row) add(c.name, Buffer.from(row.der), "crl");
    }
    receipts.forEach((r: { body: string; system_cms?: Buffer | null }, i: number) => {
      const name = `receipts/${String(i + 1).padStart(2, "0")}-receipt.json`;
      add(name, Buffer.from(r.body), "receipt");
      if (r.system_cms) add(`${name}.p7s`, Buffer.from(r.system_cms), "receipt_signature"); // the appliance's system key over the receipt
    });
    add("signatures.json", json(signatures.map(presentSignature)), "signature_protocol");
    // The printable protocol (R2.9), signed by the appliance's system key when it has one.
    const protocol = await signatureProtocolPdf({ document: doc, signatures, verifyUrl: p.verifyUrl });
    add("signature-protocol.pdf", protocol, "signature_protocol_pdf");
    if (p.signer) {
      const cms = await p.signer.signSystem(protocol).catch((err: Error) => {
        throw new UnavailableError("hsm_unavailable", `The HSM cannot sign the protocol now: ${err.message}`);
      });
      add("signature-protocol.pdf.p7s", cms, "signature_protocol_signature");
    }
    add(
      "history.json",
      json({ approval, events: events.map(presentEvent), receipts: receipts.map(presentReceipt) }),
      "history",
    );
    // Each audit entry with its chain hash: checkable against the appliance's audit chain.
    add("audit.json", json(auditRows), "audit_extract");
    const manifest = {
      format: "qujat.evidence/1",
      generatedAt: p.generatedAt,
      generatedBy: p.generatedBy,
      document: presentDocument(doc, p.files),
      entries,
    };
    add("manifest.json", json(manifest), "manifest");
    zip.end();
    const base = (doc.number ? `${doc.kind}-${doc.number}` : doc.id).replace(/[^A-Za-z0-9._-]+/g, "_");
    // A small file may have failed while the rest was prepared: then nothing has been promised yet.
    if (output.errored) throw output.errored;
    return { stream: output, fileName: `${base}-evidence.zip` };
  } catch (err) {
    for (const s of opened) s.destroy();
    throw err;
  }
}
