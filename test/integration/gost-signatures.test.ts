// KZ GOST end to end (SPEC R3.2, R3.4): test GOST CAs (2004 and 2015-512, and 2015-256) in the
// trust store, their CRLs served over HTTP on loopback and signed with GOST, and detached CMS made
// by the reference library — never by the appliance's code — posted to the verification service
// and as a document signature. A revoked certificate, a CRL signed by another key and a CMS over
// other content are refused with the check named.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { startTestApp, type TestApp } from "../support/app.js";
import { jsonDocument, invoiceFields, pdf } from "../support/documents.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import {
  gostCertificate,
  gostCms,
  gostCrl,
  GOST_VARIANTS,
  type GostCertificate,
  type GostVariant,
} from "../support/gostPki.js";
import { testCa } from "../support/pki.js";

// The test appliance's clock starts at 2026-03-02 (support/app.ts): certificates and CRLs are dated around it.
const VALID = { notBefore: new Date("2026-01-01T00:00:00Z"), notAfter: new Date("2027-12-31T00:00:00Z") };
// The revocation checker judges a CRL's freshness by the wall clock, so its nextUpdate lies past both.
const CRL_DATES = { thisUpdate: new Date("2026-03-01T00:00:00Z"), nextUpdate: new Date("2030-01-01T00:00:00Z") };

describe("KZ GOST signatures end to end (reference-library CMS, GOST CAs, GOST-signed CRLs)", () => {
  let app: TestApp;
  let trustDir: string;
  let crlServer: Server;
  let crlBase: string;
  const crls = new Map<string, Buffer>();
  const cas = {} as Record<GostVariant, GostCertificate>;
  let seller: Awaited<ReturnType<typeof buildOrganization>>;
  let buyerId: string;
  let clerk: BuiltUser, head: BuiltUser;

  before(async () => {
    crlServer = createServer((req, res) => {
      const body = crls.get(req.url ?? "");
      res.writeHead(body ? 200 : 404, { "content-type": "application/pkix-crl" }).end(body ?? "");
    });
    await new Promise<void>((r) => crlServer.listen(0, "127.0.0.1", r));
    crlBase = `http://127.0.0.1:${(crlServer.address() as AddressInfo).port}`;
    trustDir = mkdtempSync(path.join(os.tmpdir(), "qujat-gost-trust-"));
    copyFileSync(path.join(testCa().trustDir, "test-ca.pem"), path.join(trustDir, "test-ca.pem"));
    for (const v of ["2004", "2015-256", "2015-512"] as GostVariant[]) {
      cas[v] = gostCertificate({ variant: v, cn: `Qujat GOST ${v} Test CA`, ...VALID });
      writeFileSync(path.join(trustDir, `gost-${v}.cer`), cas[v].der);
      crls.set(`/${v}.crl`, gostCrl(cas[v], [], CRL_DATES));
    }
    app = await startTestApp({ pki: { trustDir } });
    seller = await buildOrganization(app, { name: "GOST Seller LLP" });
    buyerId = (await buildOrganization(app, { name: "GOST Buyer LLP" })).id;
    clerk = await buildUser(app, [{ role: "clerk", organizationId: seller.id, branchId: seller.headOfficeId }]);
    head = await buildUser(app, [{ role: "head", organizationId: seller.id, branchId: seller.headOfficeId }]);
  });
  after(async () => {
    await app?.close();
    crlServer?.close();
    rmSync(trustDir, { recursive: true, force: true });
  });

  // The appliance caches a CRL by its URL until its nextUpdate: a case that serves another list names its own URL.
  const headCertificate = (v: GostVariant, crl = `${v}.crl`) =>
    gostCertificate({
      issuer: cas[v],
      iin: head.iin,
      bin: seller.bin,
      roles: ["legal_entity", "first_head"],
      crlUrl: `${crlBase}/${crl}`,
      cn: `Head ${v}`,
      ...VALID,
    });
  const verify = (cms: Buffer, content: Buffer) =>
    clerk.client.post("/api/v1/signatures/verify", {
      cms: cms.toString("base64"),
      content: content.toString("base64"),
    });
  const checks = (body: { checks: Array<{ check: string; ok: boolean | null }> }) =>
    Object.fromEntries(body.checks.map((c) => [c.check, c.ok]));

  for (const v of ["2015-512", "2004", "2015-256"] as GostVariant[]) {
    it(`${GOST_VARIANTS[v].label}: the verification service accepts the reference library's CMS, the chain to the GOST CA and the CRL it signs`, async () => {
      const leaf = headCertificate(v);
      const content = Buffer.from(`an act of completed works, ${v}`);
      const r = await verify(gostCms(leaf, content), content);
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      expect(r.body.valid, JSON.stringify(r.body.checks)).to.equal(true);
      expect(r.body.signatureAlgorithm).to.equal(GOST_VARIANTS[v].label);
      expect(r.body.certificate).to.include({ iin: head.iin, bin: seller.bin });
      expect(r.body.certificate.keyAlgorithm).to.include({ name: GOST_VARIANTS[v].label, supported: true });
      expect(checks(r.body)).to.include({
        cms_signature: true,
        algorithm_supported: true,
        chain_trusted: true,
        certificate_valid: true,
        revocation: true,
      });
      expect(r.body.revocation).to.include({ status: "good", source: "crl", url: `${crlBase}/${v}.crl` });
      // Over other content, the same CMS is refused: its message digest (the GOST hash) does not match.
      const elsewhere = await verify(gostCms(leaf, content), Buffer.from("other content"));
      expect(elsewhere.status).to.equal(422);
      expect(elsewhere.body.code).to.equal("digest_mismatch");
    });
  }

  it("GOST 34.10-2015, 512 bit, and GOST 34.310-2004: the head's CMS is accepted as a document signature and the report kept names the algorithm", async () => {
    for (const v of ["2015-512", "2004"] as GostVariant[]) {
      const bytes = pdf(`gost signature ${v} ${Math.random()}`);
      const d = await clerk.client.post(
        "/api/v1/documents",
        jsonDocument(
          {
            kind: "invoice",
            recipient: { organizationId: buyerId },
            fields: invoiceFields({ number: `G-${Math.random().toString(36).slice(2, 8)}` }),
          },
          bytes,
        ),
      );
      expect(d.status, JSON.stringify(d.body)).to.equal(201);
      const leaf = headCertificate(v);
      const r = await head.client.post(`/api/v1/documents/${d.body.id}/signatures`, {
        cms: gostCms(leaf, bytes).toString("base64"),
      });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const [s] = (await clerk.client.get(`/api/v1/documents/${d.body.id}/signatures`)).body.items;
      expect(s.signatureAlgorithm).to.equal(GOST_VARIANTS[v].label);
      expect(s.certificate).to.include({ iin: head.iin, bin: seller.bin });
      expect(s.certificate.roles).to.deep.equal(["legal_entity", "first_head"]);
      expect(s.validation.valid).to.equal(true);
      expect(s.validation.revocation).to.include({ status: "good", source: "crl" });
      // The printable signature protocol names the algorithm and its digest.
      const protocol = await clerk.client.bytes(`/api/v1/documents/${d.body.id}/signature-protocol`);
      expect(protocol.status).to.equal(200);
      const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-gost-protocol-"));
      try {
        writeFileSync(path.join(dir, "p.pdf"), protocol.body);
        const text = execFileSync("pdftotext", ["-layout", "p.pdf", "-"], { cwd: dir }).toString();
        expect(text).to.include(`${GOST_VARIANTS[v].label}, ${v === "2004" ? "GOST R 34.11-94" : "Streebog-512"}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it("a certificate the GOST CA's CRL revokes is reported invalid, with the revocation named", async () => {
    const v: GostVariant = "2015-512";
    const leaf = headCertificate(v, "revoking.crl");
    crls.set(
      "/revoking.crl",
      gostCrl(
        cas[v],
        [
          {
            serial: Buffer.from(leaf.cert.serialNumber.valueBlock.valueHexView).toString("hex"),
            at: new Date("2026-02-15T00:00:00Z"),
          },
        ],
        CRL_DATES,
      ),
    );
    const content = Buffer.from("signed after revocation");
    const r = await verify(gostCms(leaf, content), content);
    expect(r.status).to.equal(200);
    expect(r.body.valid).to.equal(false);
    expect(checks(r.body).revocation).to.equal(false);
    expect(r.body.revocation).to.include({ status: "revoked", source: "crl" });
  });

  it("a CRL signed by another GOST key is not believed: the status stays unknown and the signature is refused", async () => {
    const v: GostVariant = "2004";
    const impostor = gostCertificate({ variant: v, cn: `Qujat GOST ${v} Test CA`, ...VALID }); // same name, other key
    crls.set("/impostor.crl", gostCrl(impostor, [], CRL_DATES));
    const content = Buffer.from("a CRL from someone else");
    const r = await verify(gostCms(headCertificate(v, "impostor.crl"), content), content);
    expect(r.status).to.equal(200);
    expect(r.body.valid).to.equal(false);
    const revocation = r.body.checks.find((c: { check: string }) => c.check === "revocation");
    expect(revocation.ok).to.equal(false);
    expect(revocation.detail).to.match(/impostor\.crl/);
  });
});
