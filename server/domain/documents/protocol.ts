// The signature protocol (SPEC R2.9): a printable PDF of who signed the document — each signer with
// name, IIN/BIN, certificate serial and issuer, signing time, timestamp time and the validation
// result — with the document's hash and a reference (text and QR code) to check it on the
// appliance. The same inputs always give the same bytes (fixed dates, no random IDs), so the
// appliance's detached CMS over the PDF (by the HSM system key) can be fetched beside it.
import { createRequire } from "node:module";
import { readFileSync } from "node:fs";
import type { ValidationReport } from "../signatures/validation.js";
import type { DocumentRow } from "./queries.js";
import type { SignatureRow } from "./signing.js";

const require = createRequire(import.meta.url);
let fontBytes: Buffer | null = null;
/** DejaVu Sans (npm dejavu-fonts-ttf): Latin, Cyrillic and Kazakh letters, embedded as a subset. */
export const documentFont = () => (fontBytes ??= readFileSync(require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf")));

const KIND_NAMES: Record<string, string> = {
  invoice: "Invoice for payment / Счёт на оплату",
  act_of_work: "Act of completed works / Акт выполненных работ",
  reconciliation_act: "Reconciliation act / Акт сверки",
  waybill: "Waybill / Накладная",
  contract: "Contract / Договор",
  supplementary_agreement: "Supplementary agreement / Доп. соглашение",
  letter: "Official letter / Письмо",
  arbitrary: "Document / Документ",
};

export interface ProtocolInput {
  document: DocumentRow;
  signatures: SignatureRow[];
  /** where the document's signatures can be checked (the appliance's address) */
  verifyUrl: string;
}

/** The protocol's PDF bytes. */
export async function signatureProtocolPdf(p: ProtocolInput): Promise<Buffer> {
  const { PDFDocument, rgb } = await import("pdf-lib");
  const fontkit = (await import("@pdf-lib/fontkit")).default;
  const QRCode = (await import("qrcode")).default;
  const doc = p.document;
  // Fixed to the document's last change: the same document gives the same bytes.
  const asOf = new Date([doc.updated_at, ...p.signatures.map((s) => s.created_at)].sort().at(-1)!);
  const pdf = await PDFDocument.create({ updateMetadata: false });
  pdf.registerFontkit(fontkit);
  const regular = await pdf.embedFont(documentFont(), { subset: true });
  pdf.setTitle(`Signature protocol ${doc.id}`);
  pdf.setProducer("Qujat");
  pdf.setCreator("Qujat");
  pdf.setCreationDate(asOf);
  pdf.setModificationDate(asOf);

  const W = 595.28,
    H = 841.89,
    M = 48;
  let page = pdf.addPage([W, H]);
  let y = H - M;
  const ensure = (needed: number) => {
    if (y - needed < M) {
      page = pdf.addPage([W, H]);
      y = H - M;
    }
  };
  const wrap = (text: string, size: number, width: number): string[] => {
    const lines: string[] = [];
    for (const para of text.split("\n")) {
      let line = "";
      for (const word of para.split(/(\s+)/)) {
        const next = line + word;
        if (regular.widthOfTextAtSize(next, size) > width && line.trim()) {
          lines.push(line.trimEnd());
          line = word.trimStart();
          // A word longer than the line (a hash): cut it.
          while (regular.widthOfTextAtSize(line, size) > width) {
            let cut = line.length;
            while (cut > 1 && regular.widthOfTextAtSize(line.slice(0, cut), size) > width) cut--;
            lines.push(line.slice(0, cut));
            line = line.slice(cut);
          }
        } else line = next;
      }
      lines.push(line.trimEnd());
    }
    return lines;
  };
  const text = (t: string, o: { size?: number; indent?: number; color?: [number, number, number] } = {}) => {
    const size = o.size ?? 9.5;
    for (const line of wrap(t, size, W - 2 * M - (o.indent ?? 0))) {
      ensure(size + 3);
      page.drawText(line, {
        x: M + (o.indent ?? 0),
        y: y - size,
        size,
        font: regular,
        color: o.color ? rgb(...o.color) : rgb(0, 0, 0),
      });
      y -= size + 3;
    }
  };
  const gap = (h = 6) => {
    y -= h;
  };
  const field = (label: string, value: string) => text(`${label}: ${value}`, { indent: 8 });

  text("Signature protocol / Протокол подписания", { size: 16 });
  gap(4);
  text(
    `${KIND_NAMES[doc.kind] ?? doc.kind}${doc.number ? ` No. ${doc.number}` : ""}${doc.doc_date ? ` of ${doc.doc_date}` : ""}`,
    { size: 11 },
  );
  gap();
  field("Document id", doc.id);
  if (doc.title) field("Title", doc.title);
  field("Sender", doc.sender_name);
  if (doc.recipient_name) field("Recipient", doc.recipient_name);
  field("Content", `${doc.content_name} (${Number(doc.content_size).toLocaleString("en")} bytes, ${doc.content_type})`);
  field("SHA-256 of the content", doc.content_sha256);
  field("Status", `${doc.status}, as of ${asOf.toISOString()}`);
  gap(8);
  text(`Signatures (${p.signatures.length})`, { size: 12 });
  if (p.signatures.length === 0) text("none", { indent: 8 });
  for (const s of p.signatures) {
    const report = s.validation ? (JSON.parse(s.validation) as ValidationReport) : null;
    const failed = report?.checks.filter((c) => c.ok === false).map((c) => c.check) ?? [];
    gap(4);
    ensure(90);
    text(
      `${s.position}. ${s.signer_type === "seal" ? "Seal of the organization" : "Signature"} — ${s.side === "sender" ? "sender side" : "recipient side"}`,
      { size: 10.5 },
    );
    field("Signer", s.signer_subject);
    field("IIN / BIN", `${s.signer_iin ?? "—"} / ${s.signer_bin ?? "—"}`);
    field(
      "Certificate",
      `serial ${s.signer_serial}, issued by ${s.signer_issuer}, valid ${s.cert_not_before.slice(0, 10)} to ${s.cert_not_after.slice(0, 10)}`,
    );
    field("Signing time", `${s.signing_time ?? "—"} (received ${s.created_at})`);
    field("Timestamp", report?.timestamp ? `${report.timestamp.genTime} by ${report.timestamp.tsa ?? "TSA"}` : "none");
    field("Algorithms", `${s.signature_algorithm}, ${s.digest_algorithm}`);
    const revocation = report?.revocation?.evidence
      ? `${report.revocation.status} by ${report.revocation.evidence.source.toUpperCase()} (${report.revocation.evidence.thisUpdate})`
      : "not recorded";
    field("Revocation", revocation);
    text(
      `Validation: ${report ? (report.valid ? "VALID — every check passed at " + report.checkedAt : "NOT VALID — failed: " + failed.join(", ")) : "no report"}`,
      { indent: 8, color: report?.valid ? [0, 0.4, 0] : [0.7, 0, 0] },
    );
  }
  gap(10);
  ensure(140);
  const reference = `${p.verifyUrl.replace(/\/$/, "")}/api/v1/documents/${doc.id}/signatures#sha256=${doc.content_sha256}`;
  text("Verification / Проверка", { size: 12 });
  text(
    `Check this protocol against the appliance: ${reference}. Each signature (.p7s) verifies with any CMS tool over the content with the SHA-256 above; this PDF is signed by the appliance's system key (signature-protocol.p7s beside it).`,
    { indent: 8 },
  );
  const qr = await QRCode.toBuffer(reference, { type: "png", errorCorrectionLevel: "M", margin: 1, scale: 3 });
  const image = await pdf.embedPng(qr);
  ensure(image.height + 10);
  page.drawImage(image, { x: M + 8, y: y - image.height, width: image.width, height: image.height });
  y -= image.height + 6;
  return Buffer.from(await pdf.save({ useObjectStreams: false }));
}
