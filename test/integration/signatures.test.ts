// Certificate checks at signing (SPEC R3.2, R1.5): a CMS made by `openssl cms -sign` is accepted
// when its certificate chains to the trusted test CA, is valid, is a signing certificate of the
// signing user, issued to the signing organization with the authority to sign; refused otherwise
// with every failed check named and nothing stored. Plus the trust API and the verify service.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { jsonDocument, invoiceFields, pdf } from "../support/documents.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import { createTestCa, opensslVerifies, signerPool, testCa, type SignerOptions } from "../support/pki.js";

describe("signatures: certificate checks", () => {
  let app: TestApp;
  let seller: Awaited<ReturnType<typeof buildOrganization>>, other: Awaited<ReturnType<typeof buildOrganization>>;
  let clerk: BuiltUser, head: BuiltUser, signer: BuiltUser;
  const keys = signerPool();
  const key = keys.make;
  let trustDir: string;

  before(async () => {
    // A trust directory of this suite's own, so reloading it can be tested.
    trustDir = mkdtempSync(path.join(os.tmpdir(), "qujat-trustdir-"));
    copyFileSync(path.join(testCa().trustDir, "test-ca.pem"), path.join(trustDir, "test-ca.pem"));
    app = await startTestApp({ pki: { trustDir } });
    seller = await buildOrganization(app, { name: "Seal LLP" });
    other = await buildOrganization(app, { name: "Other LLP" });
    const buyer = await buildOrganization(app, { name: "Buyer LLP" });
    clerk = await buildUser(app, [{ role: "clerk", organizationId: seller.id, branchId: seller.headOfficeId }]);
    head = await buildUser(app, [{ role: "head", organizationId: seller.id, branchId: seller.headOfficeId }]);
    signer = await buildUser(app, [{ role: "signer", organizationId: seller.id, branchId: seller.headOfficeId }]);
    (app as any).buyerId = buyer.id;
  });
  after(async () => {
    keys.removeAll();
    await app.close();
    rmSync(trustDir, { recursive: true, force: true });
  });

  async function draft(kind: "invoice" | "contract" = "invoice") {
    const bytes = pdf(`signature checks ${Math.random()}`);
    const r = await clerk.client.post(
      "/api/v1/documents",
      jsonDocument(
        {
          kind,
          recipient: { organizationId: (app as any).buyerId },
          fields:
            kind === "invoice"
              ? invoiceFields({ number: `S-${Math.random().toString(36).slice(2, 8)}` })
              : { number: `C-${Math.random().toString(36).slice(2, 8)}`, date: "2026-03-01" },
        },
        bytes,
      ),
    );
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return { id: r.body.id as string, bytes };
  }
  const post = (who: BuiltUser, id: string, cms: Buffer) =>
    who.client.post(`/api/v1/documents/${id}/signatures`, { cms: cms.toString("base64") });
  const failedChecks = (body: { failures?: Array<{ check: string }> }) =>
    (body.failures ?? []).map((f) => f.check).sort();

  it("accepts the head's organization certificate and keeps the validation report with the signature", async () => {
    const d = await draft();
    const k = key({ cn: "Seal Head", iin: head.iin, bin: seller.bin });
    const cms = k.sign(d.bytes);
    const r = await post(head, d.id, cms);
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect(opensslVerifies(k, cms, d.bytes)).to.equal(true);
    const list = await clerk.client.get(`/api/v1/documents/${d.id}/signatures`);
    expect(list.status).to.equal(200);
    const [s] = list.body.items;
    expect(s.certificate).to.include({ iin: head.iin, bin: seller.bin, purpose: "sign" });
    expect(s.certificate.roles).to.deep.equal(["legal_entity", "first_head"]);
    expect(s.validation.valid).to.equal(true);
    const byName = Object.fromEntries(
      s.validation.checks.map((c: { check: string; ok: boolean | null }) => [c.check, c.ok]),
    );
    expect(byName).to.deep.equal({
      cms_signature: true,
      algorithm_supported: true,
      chain_trusted: true,
      certificate_valid: true,
      revocation: true,
      certificate_purpose: true,
      signer_identity: true,
      signer_organization: true,
      signer_authority: true,
    });
    expect(s.validation.chain.map((c: { subject: string }) => c.subject)).to.deep.equal([
      s.certificate.subject,
      "CN=Qujat Test CA, O=Qujat Test PKI, C=KZ",
    ]);
    // OpenSSL's responder said good; the report keeps where and when.
    expect(s.validation.revocation).to.include({ status: "good", source: "ocsp", url: testCa().ocspUrl });
    expect(Date.parse(s.validation.revocation.nextUpdate)).to.be.greaterThan(
      Date.parse(s.validation.revocation.thisUpdate),
    );
    // Someone outside the document does not see its signatures.
    const outsider = await buildUser(app, [{ role: "head", organizationId: other.id, branchId: other.headOfficeId }]);
    expect((await outsider.client.get(`/api/v1/documents/${d.id}/signatures`)).status).to.equal(404);
  });

  const refusals: Array<[string, () => SignerOptions, string[]]> = [
    [
      "a self-signed certificate no CA vouches for",
      () => ({ iin: head.iin, bin: seller.bin, ca: "self" }),
      ["chain_trusted"],
    ],
    [
      "a certificate of another CA",
      () => ({ iin: head.iin, bin: seller.bin, ca: createTestCa("Stranger CA") }),
      ["chain_trusted"],
    ],
    [
      "an expired certificate",
      () => ({ iin: head.iin, bin: seller.bin, validFrom: "2024-01-01T00:00:00", validTo: "2025-12-31T00:00:00" }),
      ["certificate_valid"],
    ],
    [
      "a certificate not yet valid",
      () => ({ iin: head.iin, bin: seller.bin, validFrom: "2027-01-01T00:00:00" }),
      ["certificate_valid"],
    ],
    ["an AUTH certificate", () => ({ iin: head.iin, bin: seller.bin, purpose: "auth" }), ["certificate_purpose"]],
    ["someone else's certificate", () => ({ iin: signer.iin, bin: seller.bin }), ["signer_identity"]],
    ["a certificate of another organization", () => ({ iin: head.iin, bin: other.bin }), ["signer_organization"]],
    [
      "an individual's certificate for an organization",
      () => ({ iin: head.iin }),
      ["signer_authority", "signer_organization"],
    ],
    [
      "an employee's certificate without a power of attorney",
      () => ({ iin: head.iin, bin: seller.bin, roles: ["legal_entity", "employee"] }),
      ["signer_authority"],
    ],
    [
      "an expired AUTH certificate of someone else",
      () => ({ iin: signer.iin, bin: seller.bin, purpose: "auth", validTo: "2025-06-01T00:00:00" }),
      ["certificate_purpose", "certificate_valid", "signer_identity"],
    ],
  ];
  for (const [what, options, expected] of refusals) {
    it(`refuses ${what}: 422 naming ${expected.join(", ")}; nothing is stored`, async () => {
      const d = await draft();
      const r = await post(head, d.id, key(options()).sign(d.bytes));
      expect(r.status, JSON.stringify(r.body)).to.equal(422);
      expect(r.body.code).to.equal("signature_rejected");
      expect(failedChecks(r.body)).to.deep.equal([...expected].sort());
      expect(await app.db("document_signatures").where({ document_id: d.id })).to.have.length(0);
      const doc = (await app.db("documents").where({ id: d.id }).first())!;
      expect(doc).to.include({ status: "draft", frozen_at: null });
    });
  }

  it("refuses a revoked certificate (OpenSSL's OCSP responder says so): 422 naming revocation", async () => {
    const d = await draft();
    const k = key({ iin: head.iin, bin: seller.bin });
    testCa().revoke(k, "keyCompromise");
    const r = await post(head, d.id, k.sign(d.bytes));
    expect(r.status, JSON.stringify(r.body)).to.equal(422);
    expect(failedChecks(r.body)).to.deep.equal(["revocation"]);
    expect(r.body.failures[0].detail).to.match(/revoked at .* \(keyCompromise\) according to the OCSP responder/);
    expect(await app.db("document_signatures").where({ document_id: d.id })).to.have.length(0);
  });

  it("when neither the OCSP responder nor the CRL answers: 503 revocation_unavailable, nothing stored; the same signature passes once they are back", async () => {
    const d = await draft();
    const k = key({ iin: head.iin, bin: seller.bin });
    const cms = k.sign(d.bytes);
    testCa().stopResponder();
    testCa().publishCrl(null);
    try {
      const r = await post(head, d.id, cms);
      expect(r.status, JSON.stringify(r.body)).to.equal(503);
      expect(r.body.code).to.equal("revocation_unavailable");
      expect(r.body.failures[0].detail).to.match(/no revocation source answered/);
      expect(await app.db("document_signatures").where({ document_id: d.id })).to.have.length(0);
      expect(await app.db("documents").where({ id: d.id }).first())!.to.include({ status: "draft", frozen_at: null });
    } finally {
      testCa().publishCrl();
      testCa().startResponder();
    }
    expect((await post(head, d.id, cms)).status).to.equal(201);
  });

  it("with the OCSP responder down the CRL answers; the very CRL used is kept once and goes into the evidence package", async () => {
    const d = await draft();
    const k = key({ iin: head.iin, bin: seller.bin });
    testCa().stopResponder();
    try {
      const r = await post(head, d.id, k.sign(d.bytes));
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const revocation = r.body.signature.validation.revocation;
      expect(revocation).to.include({ status: "good", source: "crl", url: testCa().crlUrl });
      const published = readFileSync(path.join(testCa().dir, "crl.der"));
      expect(revocation.crlSha256).to.equal(createHash("sha256").update(published).digest("hex"));
      const kept = await app.db("revocation_evidence").where({ sha256: revocation.crlSha256 });
      expect(kept).to.have.length(1);
      expect(Buffer.from(kept[0].der).equals(published)).to.equal(true);
      const zip = await head.client.bytes(`/api/v1/documents/${d.id}/evidence`);
      const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-crl-evidence-"));
      try {
        writeFileSync(path.join(dir, "e.zip"), zip.body);
        execFileSync("unzip", ["-q", "e.zip", "-d", "x"], { cwd: dir });
        const crl = readFileSync(path.join(dir, "x", "signatures", "01-sender.crl"));
        expect(crl.equals(published)).to.equal(true);
        expect(
          execFileSync("openssl", [
            "crl",
            "-inform",
            "DER",
            "-in",
            path.join(dir, "x", "signatures", "01-sender.crl"),
            "-noout",
            "-issuer",
          ]).toString(),
        ).to.match(/Qujat Test CA/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    } finally {
      testCa().startResponder();
    }
  });

  it("a person with the right to sign financial documents signs an invoice but not a contract", async () => {
    const k = key({ key: "ec", iin: signer.iin, bin: seller.bin, roles: ["legal_entity", "financial_signer"] });
    const invoice = await draft("invoice");
    expect((await post(signer, invoice.id, k.sign(invoice.bytes))).status).to.equal(201);
    const contract = await draft("contract");
    const r = await post(signer, contract.id, k.sign(contract.bytes));
    expect(r.status).to.equal(422);
    expect(failedChecks(r.body)).to.deep.equal(["signer_authority"]);
  });

  describe("trust store API", () => {
    it("lists the trusted CAs to administrators; a clerk is refused", async () => {
      const r = await app.admin.get("/api/v1/trust");
      expect(r.status).to.equal(200);
      expect(r.body.anchors).to.have.length(1);
      expect(r.body.anchors[0]).to.include({
        file: "test-ca.pem",
        subject: "CN=Qujat Test CA, O=Qujat Test PKI, C=KZ",
        purpose: "ca",
      });
      expect(r.body.anchors[0].fingerprint).to.match(/^[0-9a-f]{64}$/);
      expect((await clerk.client.get("/api/v1/trust")).status).to.equal(403);
      expect((await clerk.client.post("/api/v1/trust/reload")).status).to.equal(403);
    });

    it("a CA added to the directory is trusted after a reload, without a restart; removing it ends that", async () => {
      const ca = createTestCa("Added Later CA");
      const d = await draft();
      const k = key({ iin: head.iin, bin: seller.bin, ca });
      expect((await post(head, d.id, k.sign(d.bytes))).status).to.equal(422);
      writeFileSync(path.join(trustDir, "added.pem"), ca.certPem);
      writeFileSync(
        path.join(trustDir, "broken.crt"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
      );
      const reloaded = await app.admin.post("/api/v1/trust/reload");
      expect(reloaded.status).to.equal(200);
      expect(reloaded.body.anchors.map((a: { subject: string }) => a.subject)).to.include(
        "CN=Added Later CA, O=Qujat Test PKI, C=KZ",
      );
      expect(reloaded.body.problems.map((p: { file: string }) => p.file)).to.deep.equal(["broken.crt"]);
      const audited = (await app.db("audit_log").where({ action: "trust.reload" }).orderBy("seq", "desc").first())!;
      expect(JSON.parse(audited.details).added).to.deep.equal(["CN=Added Later CA, O=Qujat Test PKI, C=KZ"]);
      expect((await post(head, d.id, k.sign(d.bytes))).status).to.equal(201);
      rmSync(path.join(trustDir, "added.pem"));
      rmSync(path.join(trustDir, "broken.crt"));
      await app.admin.post("/api/v1/trust/reload");
      const d2 = await draft();
      expect((await post(head, d2.id, k.sign(d2.bytes))).status).to.equal(422);
      rmSync(ca.dir, { recursive: true, force: true });
    });
  });

  describe("verification service", () => {
    it("reports on any detached CMS and content without storing them: valid, untrusted, or not over this content", async () => {
      const anon = app.client();
      const content = Buffer.from("a contract someone holds");
      const k = key({ iin: head.iin, bin: seller.bin });
      const body = (cms: Buffer, c = content) => ({ cms: cms.toString("base64"), content: c.toString("base64") });
      expect((await anon.post("/api/v1/signatures/verify", body(k.sign(content)))).status).to.equal(401);
      const ok = await clerk.client.post("/api/v1/signatures/verify", body(k.sign(content)));
      expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
      expect(ok.body).to.include({ valid: true, digestAlgorithm: "SHA-256" });
      expect(ok.body.certificate).to.include({ iin: head.iin, bin: seller.bin });
      expect(ok.body.checks.map((c: { check: string }) => c.check)).to.not.include("signer_identity"); // no holder to compare with
      const stranger = await clerk.client.post(
        "/api/v1/signatures/verify",
        body(key({ iin: head.iin, ca: "self" }).sign(content)),
      );
      expect(stranger.body.valid).to.equal(false);
      expect(stranger.body.checks.find((c: { check: string }) => c.check === "chain_trusted").ok).to.equal(false);
      const elsewhere = await clerk.client.post(
        "/api/v1/signatures/verify",
        body(k.sign(content), Buffer.from("other content")),
      );
      expect(elsewhere.status).to.equal(422);
      expect(elsewhere.body.code).to.equal("digest_mismatch");
      const garbage = await clerk.client.post("/api/v1/signatures/verify", {
        cms: Buffer.from("not a cms at all, really").toString("base64"),
        content: content.toString("base64"),
      });
      expect(garbage.status).to.equal(400);
      expect(garbage.body.code).to.equal("cms_malformed");
    });
  });

  it("the signing user must have an IIN on file", async () => {
    const noIin = await app.admin.post("/api/v1/users", {
      login: "noiin_head",
      email: "noiin@example.kz",
      fullName: "No IIN",
      password: PASSWORD,
      roles: [{ role: "head", organizationId: seller.id, branchId: seller.headOfficeId }],
    });
    expect(noIin.status, JSON.stringify(noIin.body)).to.equal(201);
    const client = app.client();
    await client.login("noiin_head", PASSWORD);
    const d = await draft();
    const r = await client.post(`/api/v1/documents/${d.id}/signatures`, {
      cms: key({ iin: head.iin, bin: seller.bin }).sign(d.bytes).toString("base64"),
    });
    expect(r.status).to.equal(422);
    expect(r.body.failures.find((f: { check: string }) => f.check === "signer_identity").detail).to.match(
      /no IIN on file/,
    );
  });
});
