// Timestamps (SPEC R3.3): the appliance's own RFC 3161 TSA at POST /tsa, signed by an HSM key and
// checked by `openssl ts -verify`; signatures timestamped by a configured TSA (CAdES-T) with the
// token verifiable by OpenSSL; a TSA that is down refuses the signature unless allowed; the NCA
// timestamp artefacts read.
import { expect } from "chai";
import fc from "fast-check";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pkiModules } from "../../server/pki/cms.js";
import { parseTimestampResponse, parseTimestampToken, signatureTimestampOf } from "../../server/pki/tsa.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { jsonDocument, invoiceFields, pdf } from "../support/documents.js";
import { buildOrganization, buildUser } from "../support/factories.js";
import { testHsm, type TestHsm } from "../support/hsm.js";
import { freePort, removeSigner, testSigner, type TestSigner } from "../support/pki.js";

const fixtures = path.resolve(import.meta.dirname, "../fixtures/nca-test");

describe("timestamps (RFC 3161)", function () {
  this.timeout(60_000);
  let t: TestHsm;
  let tsaApp: TestApp;
  let dir: string;
  const signers: TestSigner[] = [];
  const run = (args: string[]) =>
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] }).toString();

  before(async () => {
    t = await testHsm();
    tsaApp = await startTestApp({ ...t.config, tsa: { serve: true } });
    dir = mkdtempSync(path.join(os.tmpdir(), "qujat-tsa-"));
  });
  after(async () => {
    signers.forEach(removeSigner);
    await tsaApp.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = async (url: string, body: Buffer) => {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/timestamp-query" },
      body: new Uint8Array(body),
    });
    return { status: res.status, type: res.headers.get("content-type"), body: Buffer.from(await res.arrayBuffer()) };
  };

  it("the internal TSA answers openssl ts -query; openssl ts -verify accepts the reply (imprint, nonce, TSA certificate chain)", async () => {
    writeFileSync(path.join(dir, "data.bin"), "data to timestamp " + Math.random());
    run(["ts", "-query", "-data", "data.bin", "-sha256", "-cert", "-out", "req.tsq"]);
    const r = await post(`${tsaApp.url}/tsa`, readFileSync(path.join(dir, "req.tsq")));
    expect(r.status).to.equal(200);
    expect(r.type).to.equal("application/timestamp-reply");
    writeFileSync(path.join(dir, "resp.tsr"), r.body);
    expect(run(["ts", "-verify", "-queryfile", "req.tsq", "-in", "resp.tsr", "-CAfile", t.caFile])).to.match(
      /Verification: OK/,
    );
    expect(run(["ts", "-verify", "-data", "data.bin", "-in", "resp.tsr", "-CAfile", t.caFile])).to.match(
      /Verification: OK/,
    );
    const text = run(["ts", "-reply", "-in", "resp.tsr", "-text"]);
    expect(text).to.match(/Status: Granted/);
    expect(text).to.match(/Policy OID: 1\.3\.6\.1\.4\.1\.59620\.3161\.1/);
    // Other data does not verify against it.
    writeFileSync(path.join(dir, "other.bin"), "other data");
    expect(() => run(["ts", "-verify", "-data", "other.bin", "-in", "resp.tsr", "-CAfile", t.caFile])).to.throw();
  });

  it("bad requests get a rejection with the reason, not a crash: not DER, a SHA-1 imprint, another policy", async () => {
    const garbage = await parseTimestampResponse((await post(`${tsaApp.url}/tsa`, Buffer.from("not a request"))).body);
    expect(garbage).to.include({ status: 2 });
    expect(garbage.statusText).to.match(/not a DER TimeStampReq/);
    run(["ts", "-query", "-data", "data.bin", "-sha1", "-out", "sha1.tsq"]);
    const sha1 = await parseTimestampResponse(
      (await post(`${tsaApp.url}/tsa`, readFileSync(path.join(dir, "sha1.tsq")))).body,
    );
    expect(sha1.status).to.equal(2);
    expect(sha1.statusText).to.match(/unsupported imprint hash/);
    run(["ts", "-query", "-data", "data.bin", "-sha256", "-tspolicy", "1.2.3.4", "-out", "pol.tsq"]);
    const policy = await parseTimestampResponse(
      (await post(`${tsaApp.url}/tsa`, readFileSync(path.join(dir, "pol.tsq")))).body,
    );
    expect(policy.statusText).to.match(/policy/);
    const json = await fetch(`${tsaApp.url}/tsa`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    expect(json.status).to.equal(415);
  });

  it("random and mutated requests (fast-check) always get a TimeStampResp, never a 5xx", async () => {
    const valid = readFileSync(path.join(dir, "req.tsq"));
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
          fc
            .tuple(
              fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
              fc.option(fc.nat()),
            )
            .map(([flips, cut]) => {
              const b = Buffer.from(valid);
              for (const [at, v] of flips) b[at % b.length] = v;
              return cut === null ? b : b.subarray(0, cut % (b.length + 1));
            }),
        ),
        async (body) => {
          const r = await post(`${tsaApp.url}/tsa`, body);
          if (body.length === 0) return r.status === 415; // no body: not a request at all
          expect(r.status).to.equal(200);
          const parsed = await parseTimestampResponse(r.body);
          return parsed.status === 0 || parsed.status === 2;
        },
      ),
      { numRuns: 150 },
    );
  });

  it("without tsa.serve there is no TSA", async () => {
    const plain = await startTestApp();
    try {
      expect((await post(`${plain.url}/tsa`, Buffer.from([0x30, 0x00]))).status).to.equal(404);
    } finally {
      await plain.close();
    }
  });

  describe("CAdES-T at signing", () => {
    /** On a fresh app: a draft registered by the head, and his signature over it posted. */
    async function signFreshDraft(app: TestApp) {
      const seller = await buildOrganization(app, { name: "Stamped LLP" });
      const buyer = await buildOrganization(app, { name: "Stamped Buyer LLP" });
      const head = await buildUser(app, [{ role: "head", organizationId: seller.id, branchId: seller.headOfficeId }]);
      const k = testSigner({ iin: head.iin, bin: seller.bin });
      signers.push(k);
      const content = pdf(`stamped ${Math.random()}`);
      const reg = await head.client.post(
        "/api/v1/documents",
        jsonDocument(
          {
            kind: "invoice",
            recipient: { organizationId: buyer.id },
            fields: invoiceFields({ number: `T-${Math.random().toString(36).slice(2, 8)}` }),
          },
          content,
        ),
      );
      expect(reg.status, JSON.stringify(reg.body)).to.equal(201);
      const d = { id: reg.body.id as string, content };
      const r = await head.client.post(`/api/v1/documents/${d.id}/signatures`, {
        cms: k.sign(d.content).toString("base64"),
      });
      return { head, k, d, r };
    }

    it("a signature is timestamped by the configured TSA: the stored CMS is CAdES-T, still verifies, and its token verifies with openssl ts", async () => {
      const app = await startTestApp({ tsa: { url: `${tsaApp.url}/tsa` } });
      try {
        const { head, k, d, r } = await signFreshDraft(app);
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        const check = r.body.signature.validation.checks.find((c: { check: string }) => c.check === "timestamp");
        expect(check.ok).to.equal(true);
        expect(check.detail).to.match(/timestamped .* by CN=Qujat Test TSA/);
        const stored = (await head.client.bytes(`/api/v1/documents/${d.id}/signatures/${r.body.signature.id}`)).body;
        writeFileSync(path.join(dir, "s.p7s"), stored);
        writeFileSync(path.join(dir, "s.bin"), d.content);
        run([
          "cms",
          "-verify",
          "-binary",
          "-inform",
          "DER",
          "-in",
          "s.p7s",
          "-content",
          "s.bin",
          "-CAfile",
          k.caFile,
          "-purpose",
          "any",
          "-out",
          "/dev/null",
        ]);
        const token = (await signatureTimestampOf(stored)).token!;
        expect(token).to.not.equal(null);
        const { asn1js, pkijs } = await pkiModules();
        const sd = new pkijs.SignedData({
          schema: new pkijs.ContentInfo({ schema: asn1js.fromBER(new Uint8Array(stored)).result }).content,
        });
        const value = Buffer.from(sd.signerInfos[0].signature.valueBlock.valueHexView);
        writeFileSync(path.join(dir, "token.der"), token);
        const digest = createHash("sha256").update(value).digest("hex");
        expect(
          run(["ts", "-verify", "-digest", digest, "-in", "token.der", "-token_in", "-CAfile", t.caFile]),
        ).to.match(/Verification: OK/);
        expect((await parseTimestampToken(token)).info.imprint.hash).to.equal(digest);
      } finally {
        await app.close();
      }
    });

    it("a TSA that is down: 503 tsa_unavailable and nothing stored; with tsa.allowWithout the signature is accepted without one, and says so", async () => {
      const down = `http://127.0.0.1:${freePort()}/tsa`;
      const strict = await startTestApp({ tsa: { url: down, timeoutMs: 500 } });
      try {
        const { d, r } = await signFreshDraft(strict);
        expect(r.status, JSON.stringify(r.body)).to.equal(503);
        expect(r.body.code).to.equal("tsa_unavailable");
        expect(await strict.db("document_signatures").where({ document_id: d.id })).to.have.length(0);
      } finally {
        await strict.close();
      }
      const lenient = await startTestApp({ tsa: { url: down, timeoutMs: 500, allowWithout: true } });
      try {
        const { r } = await signFreshDraft(lenient);
        expect(r.status, JSON.stringify(r.body)).to.equal(201);
        const check = r.body.signature.validation.checks.find((c: { check: string }) => c.check === "timestamp");
        expect(check.ok).to.equal(null);
        expect(check.detail).to.match(/no timestamp: .*did not answer/);
      } finally {
        await lenient.close();
      }
    });
  });

  it("reads the NCA timestamp artefacts: a granted response and its token (SHA-1 imprint, NCA policy)", async () => {
    const resp = await parseTimestampResponse(readFileSync(path.join(fixtures, "tsp/tsp_response.bin")));
    expect(resp.status).to.equal(0);
    const token = await parseTimestampToken(readFileSync(path.join(fixtures, "tsp/tsp_token.bin")));
    expect(token.info.policy).to.equal("1.2.398.3.3.2.6.1");
    expect(token.info.imprint.algorithm).to.equal("1.3.14.3.2.26");
    const text = execFileSync(
      "openssl",
      ["ts", "-reply", "-in", path.join(fixtures, "tsp/tsp_token.bin"), "-token_in", "-text"],
      { stdio: ["ignore", "pipe", "pipe"] },
    ).toString();
    expect(text).to.include(`Serial number: 0x${token.info.serialNumber.toUpperCase().replace(/^0+/, "")}`);
    const malformed = await parseTimestampToken(Buffer.from("nope")).then(
      () => null,
      (e) => e,
    );
    expect(malformed.code).to.equal("timestamp_malformed");
  });
});
