// The HSM (SPEC R3.1) on a fresh SoftHSM2 token through PKCS#11: the system key generated inside
// the token and certified by the test CA; CMS by it verified by `openssl cms -verify`; concurrent
// signing over several sessions; signed audit checkpoints; /readyz; `npx qujat hsm:status`; an HSM
// that is gone answers 503 and stores nothing.
import { expect } from "chai";
import { execFile, execFileSync } from "node:child_process";
import { createHash, X509Certificate } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Hsm, initializeFlags } from "../../server/pki/hsm.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { certifyKey, testHsm, type TestHsm } from "../support/hsm.js";
import { jsonDocument, invoiceFields, pdf } from "../support/documents.js";
import { buildOrganization, buildUser } from "../support/factories.js";
import { removeSigner, testSigner } from "../support/pki.js";

/** `openssl cms -verify` of a detached CMS over content, trusting the test CA. */
function opensslVerifies(cms: Buffer, content: Buffer, caFile: string): boolean {
  const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-cmsv-"));
  try {
    writeFileSync(path.join(dir, "s.p7s"), cms);
    writeFileSync(path.join(dir, "c.bin"), content);
    execFileSync(
      "openssl",
      [
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        "s.p7s",
        "-content",
        "c.bin",
        "-CAfile",
        caFile,
        "-purpose",
        "any",
        "-out",
        "/dev/null",
      ],
      { cwd: dir, stdio: "ignore" },
    );
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("HSM (SoftHSM2 through PKCS#11)", function () {
  this.timeout(60_000);
  let t: TestHsm;
  let app: TestApp;

  before(async () => {
    t = await testHsm();
    app = await startTestApp(t.config);
  });
  after(async () => app?.close());

  it("signs CMS with the system key from several sessions at once; every signature verifies with openssl cms -verify", async () => {
    const contents = Array.from({ length: 24 }, (_, i) => Buffer.from(`content ${i} ${Math.random()}`));
    const signed = await Promise.all(contents.map((c) => app.deps.signer.signSystem(c)));
    for (let i = 0; i < contents.length; i++)
      expect(opensslVerifies(signed[i], contents[i], t.caFile), `#${i}`).to.equal(true);
    // C_Initialize was called by us with CKF_OS_LOCKING_OK (2): without it concurrent signing crashes SoftHSM.
    expect(initializeFlags(t.module)).to.equal(2);
    expect(opensslVerifies(signed[0], contents[1], t.caFile)).to.equal(false);
  });

  it("an EC P-256 key generated in the token signs CMS that OpenSSL verifies; the key cannot be exported", async () => {
    const hsm = await Hsm.open({ module: t.module, tokenLabel: t.tokenLabel, pin: t.pin, lanes: 2 });
    try {
      await certifyKey(hsm, "seal-ec-test", "CN=EC Seal, O=Qujat Test PKI, C=KZ", undefined, "ec");
      const content = Buffer.from("sealed by an EC key");
      const cms = await hsm.signCms("seal-ec-test", createHash("sha256").update(content).digest(), new Date());
      expect(opensslVerifies(cms, content, t.caFile)).to.equal(true);
      const k = hsm.key("seal-ec-test");
      expect(k.algorithm).to.equal("ECDSA P-256");
      expect(k.key.extractable).to.equal(false);
      const attrs = (k.key.p11Object as any).getAttribute({ sensitive: null, extractable: null });
      expect(attrs).to.deep.equal({ sensitive: true, extractable: false });
    } finally {
      await hsm.close();
    }
  });

  it("organization seals: the HSM key whose certificate carries the organization's BIN seals its outgoing documents at sending; openssl verifies", async () => {
    const seller = await buildOrganization(app, { name: "Sealed LLP" });
    const other = await buildOrganization(app, { name: "Unsealed LLP" });
    const buyer = await buildOrganization(app, { name: "Seal Buyer LLP" });
    const admin = await buildUser(app, [
      { role: "org_admin", organizationId: seller.id, branchId: seller.headOfficeId },
    ]);
    const head = await buildUser(app, [{ role: "head", organizationId: seller.id, branchId: seller.headOfficeId }]);
    await buildUser(app, [{ role: "clerk", organizationId: buyer.id, branchId: buyer.headOfficeId }]); // someone to receive
    const hsm = await Hsm.open({ module: t.module, tokenLabel: t.tokenLabel, pin: t.pin, lanes: 1 });
    try {
      await certifyKey(hsm, `seal-${seller.bin}`, `CN=Sealed LLP seal, OU=BIN${seller.bin}, O=Sealed LLP, C=KZ`);
      await certifyKey(hsm, `seal-${other.bin}`, `CN=Unsealed LLP seal, OU=BIN${other.bin}, O=Unsealed LLP, C=KZ`);
    } finally {
      await hsm.close();
    }
    await app.deps.signer.hsm!.reloadKeys(); // the running appliance sees the new keys
    const wrong = await admin.client.put(`/api/v1/organizations/${seller.id}/seal`, { keyLabel: `seal-${other.bin}` });
    expect(wrong.status).to.equal(422);
    expect(wrong.body.code).to.equal("seal_not_for_organization");
    expect(
      (await admin.client.put(`/api/v1/organizations/${seller.id}/seal`, { keyLabel: "no-such-key" })).body.code,
    ).to.equal("seal_key_missing");
    expect(
      (await head.client.put(`/api/v1/organizations/${seller.id}/seal`, { keyLabel: `seal-${seller.bin}` })).status,
    ).to.equal(403);
    const set = await admin.client.put(`/api/v1/organizations/${seller.id}/seal`, { keyLabel: `seal-${seller.bin}` });
    expect(set.status, JSON.stringify(set.body)).to.equal(200);
    expect(set.body.certificate.subject).to.match(/CN=Sealed LLP seal/);

    const content = pdf(`sealed ${Math.random()}`);
    const d = await head.client.post(
      "/api/v1/documents",
      jsonDocument(
        { kind: "invoice", recipient: { organizationId: buyer.id }, fields: invoiceFields({ number: "SEAL-1" }) },
        content,
      ),
    );
    expect(d.status, JSON.stringify(d.body)).to.equal(201);
    const headKey = testSigner({ iin: head.iin, bin: seller.bin });
    expect(
      (
        await head.client.post(`/api/v1/documents/${d.body.id}/signatures`, {
          cms: headKey.sign(content).toString("base64"),
        })
      ).status,
    ).to.equal(201);
    const sent = await head.client.post(`/api/v1/documents/${d.body.id}/send`);
    expect(sent.status, JSON.stringify(sent.body)).to.equal(200);
    const sigs = (await head.client.get(`/api/v1/documents/${d.body.id}/signatures`)).body.items;
    expect(sigs).to.have.length(2);
    const seal = sigs[1];
    expect(seal.certificate.bin).to.equal(seller.bin);
    expect(seal.validation.valid).to.equal(true);
    expect(seal.validation.checks.find((c: { check: string }) => c.check === "seal_organization").ok).to.equal(true);
    expect(seal.validation.revocation).to.include({ status: "good", source: "ocsp" });
    const der = await head.client.bytes(`/api/v1/documents/${d.body.id}/signatures/${seal.id}`);
    expect(opensslVerifies(der.body, content, t.caFile)).to.equal(true);
    removeSigner(headKey);
  });

  it("/readyz reports the HSM: its system key signs", async () => {
    const r = await app.client().get("/readyz");
    expect(r.status).to.equal(200);
    expect(r.body.checks.hsm.ok).to.equal(true);
    expect(r.body.checks.hsm.detail).to.match(/token "qujat-test", system key "qujat-system"/);
  });

  it("audit checkpoints: the chain's head signed by the HSM system key, by the hourly job and on demand; openssl verifies", async () => {
    const job = await app.deps.jobs.runNow("audit.checkpoint");
    expect(job.outcome, job.error).to.equal("success");
    const made = await app.admin.post("/api/v1/audit/checkpoints");
    expect(made.status, JSON.stringify(made.body)).to.equal(201);
    const head = await app.db("audit_head").where({ id: 1 }).first();
    const body = JSON.parse(made.body.body);
    expect(body).to.include({ format: "qujat.audit-checkpoint/1", seq: Number(head.seq), hash: head.hash });
    expect(made.body.signer).to.match(/CN=Qujat Test Appliance/);
    expect(opensslVerifies(Buffer.from(made.body.cms, "base64"), Buffer.from(made.body.body), t.caFile)).to.equal(true);
    // A checkpoint whose body was altered no longer verifies.
    const forged = made.body.body.replace(`"seq":${body.seq}`, `"seq":${body.seq + 1}`);
    expect(opensslVerifies(Buffer.from(made.body.cms, "base64"), Buffer.from(forged), t.caFile)).to.equal(false);
    const list = await app.admin.get("/api/v1/audit/checkpoints");
    expect(list.body.items).to.have.length(2);
    expect((await (await app.client()).get("/api/v1/audit/checkpoints")).status).to.equal(401);
  });

  it("npx qujat hsm:status prints module, token, keys and a test signature; a wrong PIN or token fails clearly without printing the PIN", async function () {
    const cli = path.resolve("scripts/qujat.mjs");
    const run = (env: Record<string, string>) =>
      new Promise<{ code: number; out: string; err: string }>((resolve) => {
        execFile(
          "node",
          [cli, "hsm:status"],
          {
            env: {
              ...process.env,
              NODE_ENV: "test",
              QUJAT_DATA_DIR: app.dataDir,
              QUJAT_HSM_MODULE: t.module,
              QUJAT_HSM_TOKEN: t.tokenLabel,
              ...env,
            },
          },
          (e, out, err) => resolve({ code: e ? (e as any).code : 0, out, err }),
        );
      });
    const ok = await run({ QUJAT_HSM_PIN: t.pin });
    expect(ok.code, ok.err).to.equal(0);
    expect(ok.out).to.include(`module: ${t.module}`);
    expect(ok.out).to.match(/token: {2}"qujat-test" \(SoftHSM project SoftHSM v2/);
    expect(ok.out).to.match(/qujat-system {2}RSA 2048 .* certificate sha256 [0-9a-f]{64} {2}\(system key\)/);
    expect(ok.out).to.match(/test signature: ok .*a CMS by it verifies/);
    const wrongPin = await run({ QUJAT_HSM_PIN: "999999" });
    expect(wrongPin.code).to.equal(1);
    expect(wrongPin.err).to.match(/login to token "qujat-test" failed: CKR_PIN_INCORRECT/);
    expect(wrongPin.err + wrongPin.out).to.not.include("999999");
    const wrongToken = await run({ QUJAT_HSM_PIN: t.pin, QUJAT_HSM_TOKEN: "nope" });
    expect(wrongToken.code).to.equal(1);
    expect(wrongToken.err).to.match(/no token labelled "nope" \(tokens present: .*"qujat-test"/);
  });

  it("an HSM that is gone: 503 hsm_unavailable, /readyz not ready, nothing stored", async () => {
    const other = await startTestApp(t.config);
    try {
      await other.deps.signer.close(); // the token's sessions are gone
      const before = await other.db("audit_checkpoints").count({ n: "*" }).first();
      const r = await other.admin.post("/api/v1/audit/checkpoints");
      expect(r.status).to.equal(503);
      expect(r.body.code).to.equal("hsm_unavailable");
      expect(await other.db("audit_checkpoints").count({ n: "*" }).first()).to.deep.equal(before);
      const ready = await other.client().get("/readyz");
      expect(ready.status).to.equal(503);
      expect(ready.body.checks.hsm.ok).to.equal(false);
    } finally {
      await other.close();
    }
    // The first appliance, on the same module, still signs (the module is finalized only by its last user).
    expect((await app.admin.post("/api/v1/audit/checkpoints")).status).to.equal(201);
  });

  it("without an HSM configured, a checkpoint is refused with 503 hsm_not_configured", async () => {
    const plain = await startTestApp();
    try {
      const r = await plain.admin.post("/api/v1/audit/checkpoints");
      expect(r.status).to.equal(503);
      expect(r.body.code).to.equal("hsm_not_configured");
    } finally {
      await plain.close();
    }
  });

  it("the system certificate on the token is the CA's certificate for the key in the token", async () => {
    const hsm = await Hsm.open({ module: t.module, tokenLabel: t.tokenLabel, pin: t.pin, lanes: 1 });
    try {
      const k = hsm.key(t.systemKeyLabel);
      const x = new X509Certificate(k.certificate!);
      expect(x.subject).to.include("CN=Qujat Test Appliance");
      expect(x.checkIssued(new X509Certificate(execFileSync("cat", [t.caFile])))).to.equal(true);
    } finally {
      await hsm.close();
    }
  });
});
