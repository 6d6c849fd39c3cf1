// Document fixtures: files whose bytes are what they claim (magic numbers) and valid invoice fields.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { request } from "node:http";
import type { Client } from "./client.js";

export const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

/** A minimal PDF: file-type recognizes it by its %PDF- header. */
export const pdf = (text = "invoice") => Buffer.from(`%PDF-1.4\n1 0 obj<<>>endobj\n% ${text}\ntrailer<<>>\n%%EOF\n`);
/**
 * A PDF a reader draws: one A4 page with `text` in large Helvetica, the cross-reference table's
 * offsets computed, so PDF.js (or any reader) opens it without repairing anything.
 */
export function renderablePdf(text = "QUJAT PREVIEW") {
  const stream = `BT /F1 36 Tf 72 700 Td (${text.replace(/[()\\]/g, "")}) Tj ET`;
  const objects = [
    "<< /Type /Catalog /Pages 2 0 R >>",
    "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
    "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
  ];
  let body = "%PDF-1.4\n";
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body);
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const off of offsets) body += `${String(off).padStart(10, "0")} 00000 n \n`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, "latin1");
}
/** A 1×1 PNG. */
export const png = () =>
  Buffer.from(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082",
    "hex",
  );

export function invoiceFields(o: Partial<{ number: string; date: string; total: string; vat: string }> = {}) {
  return {
    number: o.number ?? "INV-1",
    date: o.date ?? "2026-03-02",
    currency: "KZT",
    seller: { name: "Сатушы ЖШС", bin: "123456789012" },
    buyer: { name: "Алушы АҚ" },
    lines: [
      {
        name: "Консультация",
        unit: "hour",
        quantity: "2.5",
        price: "10000.00",
        amount: "25000.00",
        vatRate: "12",
        vatAmount: "3000.00",
      },
      { name: "Лицензия", quantity: "1", price: "5000.00", amount: "5000.00", vatRate: "12", vatAmount: "600.00" },
    ],
    vat: o.vat ?? "3600.00",
    total: o.total ?? "33600.00",
  };
}

export function documentForm(
  metadata: unknown,
  content: { bytes: Buffer; name: string; type: string },
  attachments: Array<{ bytes: Buffer; name: string; type: string }> = [],
) {
  const form = new FormData();
  form.append("metadata", JSON.stringify(metadata));
  form.append("content", new Blob([new Uint8Array(content.bytes)], { type: content.type }), content.name);
  for (const a of attachments)
    form.append("attachments[]", new Blob([new Uint8Array(a.bytes)], { type: a.type }), a.name);
  return form;
}

/** A JSON registration body (base64 content). */
export function jsonDocument(
  metadata: Record<string, unknown>,
  content: Buffer = pdf(String(Math.random())),
  name = "doc.pdf",
) {
  return { metadata, content: { name, mediaType: "application/pdf", data: content.toString("base64") } };
}

/**
 * A multipart upload that declares 5 MB, sends `parts`, then hangs up after `afterMs`: a client
 * going away mid-upload. `head` is the multipart text before the file's bytes (boundary `cutShort`).
 */
export function uploadCutShort(url: string, token: string, head: string, bytes: Buffer, afterMs: number) {
  return new Promise<void>((resolve) => {
    const req = request(url + "/api/v1/documents", {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": `multipart/form-data; boundary=${CUT_SHORT_BOUNDARY}`,
        "content-length": String(5 * 1024 * 1024),
      },
    });
    req.on("error", () => resolve());
    req.write(head);
    req.write(bytes, () =>
      setTimeout(() => {
        req.destroy();
        resolve();
      }, afterMs),
    );
  });
}
export const CUT_SHORT_BOUNDARY = "----qujatCutShort";

/**
 * A document on its way: registered by `by` for the organization `recipient` with invoice fields
 * numbered `number`, signed by `signer` (default `by`) with `key`, and sent by `by` — each step's
 * answer checked. Returns the registration's answer (id, content hash…).
 */
export async function sentDocument(
  by: { client: Client },
  key: { sign(content: Buffer): Buffer },
  o: { recipient: string; number: string; bytes: Buffer; kind?: string; signer?: { client: Client } },
) {
  const d = await by.client.post(
    "/api/v1/documents",
    jsonDocument(
      {
        kind: o.kind ?? "invoice",
        recipient: { organizationId: o.recipient },
        fields: invoiceFields({ number: o.number }),
      },
      o.bytes,
    ),
  );
  expect(d.status, JSON.stringify(d.body)).to.equal(201);
  const signed = await (o.signer ?? by).client.post(`/api/v1/documents/${d.body.id}/signatures`, {
    cms: key.sign(o.bytes).toString("base64"),
  });
  expect(signed.status, JSON.stringify(signed.body)).to.equal(201);
  const sent = await by.client.post(`/api/v1/documents/${d.body.id}/send`);
  expect(sent.status, JSON.stringify(sent.body)).to.equal(200);
  return d.body as { id: string; content: { sha256: string } };
}
