// Certificate parsing and chain checks against the real NCA RK test artefacts (test/fixtures/
// nca-test, from ../shared/fixtures): IIN, BIN, roles, AUTH vs signing, real RSA and GOST chains to the NCA
// intermediates, and a key no provider knows named as unsupported instead of crashing.
import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { certificateBlocks, parseCertificate } from "../../server/pki/certificates.js";
import { TrustStore } from "../../server/pki/trust.js";
import { parseCrl, parseOcspResponse } from "../../server/pki/revocation.js";
import { ValidationError } from "../../server/errors.js";
import { createHash } from "node:crypto";
import { nodeProvider, signatureProviders } from "../../server/pki/providers.js";
import { verifyDetachedCms } from "../../server/pki/cms.js";
import { removeSigner, testCa, testSigner } from "../support/pki.js";

// A copy of ../shared/fixtures/nca-test (see its README), kept in the repository so a clean clone has it.
const fixtures = path.resolve(import.meta.dirname, "../fixtures/nca-test");
const load = async (rel: string) => parseCertificate(certificateBlocks(readFileSync(path.join(fixtures, rel)))[0]);

describe("certificates (NCA RK test artefacts)", () => {
  it("reads the IIN, the purpose and the individual role of a signing and an AUTH certificate of the same person", async () => {
    const sign = (await load("certs/individual_valid_sign_2004_rsa.cer")).info;
    const auth = (await load("certs/individual_valid_sign_2004_rsa_auth.cer")).info;
    for (const c of [sign, auth]) {
      expect(c).to.include({ iin: "123456789011", bin: null, isCa: false });
      expect(c.roles).to.deep.equal(["individual"]);
      expect(c.keyAlgorithm).to.include({ name: "RSA", supported: true });
      expect(c.ocspUrls).to.deep.equal(["http://test.pki.gov.kz/ocsp/"]);
      expect(c.crlUrls).to.deep.equal(["http://test.pki.gov.kz/crl/nca_rsa_test.crl"]);
    }
    expect(sign.purpose).to.equal("sign");
    expect(sign.keyUsage).to.deep.equal(["digitalSignature", "nonRepudiation"]);
    expect(auth.purpose).to.equal("auth");
    expect(auth.extendedKeyUsage).to.include("clientAuth");
  });

  it("reads the BIN and the legal-entity and first-head roles of a head's GOST certificate, and names its algorithm as supported", async () => {
    const ceo = (await load("certs/ceo_valid_sign_2004_gost.cer")).info;
    expect(ceo).to.include({ iin: "123456789011", bin: "123456789021", purpose: "sign" });
    expect(ceo.roles).to.deep.equal(["legal_entity", "first_head"]);
    expect(ceo.keyAlgorithm).to.include({ supported: true, name: "GOST 34.310-2004" });
  });

  it("the fingerprint is the SHA-256 of the DER, as OpenSSL computes it", async () => {
    const c = await load("ca/nca_rsa_test.crt");
    const openssl = execFileSync("openssl", [
      "x509",
      "-in",
      path.join(fixtures, "ca/nca_rsa_test.crt"),
      "-noout",
      "-fingerprint",
      "-sha256",
    ]).toString();
    expect(openssl.split("=")[1].trim().replace(/:/g, "").toLowerCase()).to.equal(c.info.fingerprint);
    expect(c.info).to.include({ purpose: "ca", isCa: true });
  });

  it("refuses bytes that are not a certificate with a clean validation error", async () => {
    for (const bad of [
      Buffer.from("garbage"),
      Buffer.alloc(0),
      readFileSync(path.join(fixtures, "crl/nca_rsa_test.crl")),
      Buffer.from("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
    ]) {
      const err = await parseCertificate(certificateBlocks(bad)[0]).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err, String(bad.subarray(0, 20))).to.be.instanceOf(ValidationError);
    }
  });

  describe("chains", () => {
    let dir: string;
    let trust: TrustStore;
    before(async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), "qujat-trust-"));
      writeFileSync(path.join(dir, "nca_rsa_test.pem"), readFileSync(path.join(fixtures, "ca/nca_rsa_test.crt")));
      writeFileSync(path.join(dir, "nca_gost_test.crt"), readFileSync(path.join(fixtures, "ca/nca_gost_test.crt")));
      writeFileSync(
        path.join(dir, "broken.pem"),
        "-----BEGIN CERTIFICATE-----\nnot base64 der\n-----END CERTIFICATE-----\n",
      );
      writeFileSync(path.join(dir, "notes.txt"), "ignored");
      trust = new TrustStore(dir);
      await trust.reload();
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("loads every readable CA file and reports the broken one", () => {
      const l = trust.list();
      expect(l.anchors.map((a) => a.file)).to.deep.equal(["nca_gost_test.crt", "nca_rsa_test.pem"]);
      expect(l.problems.map((p) => p.file)).to.deep.equal(["broken.pem"]);
    });

    it("a real NCA signing certificate chains to the NCA RSA intermediate while it was valid, and is expired after", async () => {
      const leaf = await load("certs/individual_valid_sign_2004_rsa.cer");
      const then = await trust.verifyChain(leaf, [], new Date("2022-06-01T00:00:00Z"));
      expect(then.failures).to.deep.equal([]);
      expect(then.trusted).to.equal(true);
      expect(then.chain.map((c) => c.purpose)).to.deep.equal(["sign", "ca"]);
      const later = await trust.verifyChain(leaf, [], new Date("2023-06-01T00:00:00Z"));
      expect(later.trusted).to.equal(false);
      expect(later.failures.map((f) => f.check)).to.deep.equal(["certificate_expired"]);
    });

    it("a real NCA GOST 2004 head's certificate chains to the NCA GOST intermediate", async () => {
      const r = await trust.verifyChain(
        await load("certs/ceo_valid_sign_2004_gost.cer"),
        [],
        new Date("2022-06-01T00:00:00Z"),
      );
      expect(r.failures).to.deep.equal([]);
      expect(r.trusted).to.equal(true);
      expect(r.chain.map((c) => c.purpose)).to.deep.equal(["sign", "ca"]);
    });

    it("a certificate whose key parameters no provider knows is answered 'algorithm not supported by the installed providers', not a crash", async () => {
      // The head's GOST certificate with its curve OID's last arc changed (…1.1.1 → …1.1.9).
      const der = Buffer.from((await load("certs/ceo_valid_sign_2004_gost.cer")).der);
      const curve = Buffer.from([0x06, 0x0a, 0x2a, 0x83, 0x0e, 0x03, 0x0a, 0x01, 0x01, 0x01, 0x01, 0x01]);
      der[der.indexOf(curve) + curve.length - 1] = 0x09;
      const unknown = await parseCertificate(der);
      expect(unknown.info.keyAlgorithm).to.include({ supported: false });
      const r = await trust.verifyChain(unknown, [], new Date("2022-06-01T00:00:00Z"));
      expect(r.trusted).to.equal(false);
      expect(r.failures[0].check).to.equal("algorithm_unsupported");
      expect(r.failures[0].detail).to.match(/algorithm not supported by the installed providers: GOST/);
    });

    it("a certificate whose issuer is not in the store is untrusted", async () => {
      const empty = new TrustStore(path.join(dir, "missing-dir"));
      const r = await empty.verifyChain(
        await load("certs/individual_valid_sign_2004_rsa.cer"),
        [],
        new Date("2022-06-01T00:00:00Z"),
      );
      expect(r.failures.map((f) => f.check)).to.deep.equal(["certificate_untrusted"]);
    });
  });
});

describe("revocation data (NCA RK test artefacts)", () => {
  const bytes = (rel: string) => readFileSync(path.join(fixtures, rel));
  const opensslText = (args: string[]) =>
    execFileSync("openssl", args, { stdio: ["ignore", "pipe", "pipe"] }).toString();

  it("reads the NCA OCSP responses: one good, three revoked, with reasons and serials as OpenSSL reads them", async () => {
    const seen: Record<string, string> = {};
    for (const name of [
      "ocsp_response_individual_sign_2004.bin",
      "ocsp_response_ceo_sign_2004_revoked.bin",
      "ocsp_response_ceo_2015_revoked.bin",
      "ocsp_response_individual_2015.bin",
    ]) {
      const file = path.join(fixtures, "ocsp", name);
      const r = await parseOcspResponse(readFileSync(file));
      expect(r.responseStatus).to.equal(0);
      expect(r.responses).to.have.length(1);
      const s = r.responses[0];
      const text = opensslText(["ocsp", "-respin", file, "-resp_text", "-noverify"]);
      expect(text).to.include(`Serial Number: ${s.serialNumber.toUpperCase()}`);
      expect(text).to.include(`Cert Status: ${s.status}`);
      if (s.status === "revoked") expect(text).to.include(`Revocation Reason: ${s.reason}`);
      seen[name] = s.status === "revoked" ? `revoked:${s.reason}` : s.status;
    }
    expect(seen).to.deep.equal({
      "ocsp_response_individual_sign_2004.bin": "good",
      "ocsp_response_ceo_sign_2004_revoked.bin": "revoked:superseded",
      "ocsp_response_ceo_2015_revoked.bin": "revoked:certificateHold",
      "ocsp_response_individual_2015.bin": "revoked:certificateHold",
    });
  });

  it("reads the NCA CRLs (RSA and GOST): issuer, dates and every revoked serial; the RSA CRL verifies with the NCA RSA CA's key", async () => {
    for (const name of ["nca_rsa_test.crl", "nca_gost_test.crl", "nca_gost2022_test.crl"]) {
      const crl = await parseCrl(bytes(`crl/${name}`));
      const text = opensslText(["crl", "-inform", "DER", "-in", path.join(fixtures, "crl", name), "-noout", "-text"]);
      const serials = [...text.matchAll(/^ {4}Serial Number: ([0-9A-F]+)$/gm)].map((m) => m[1].toLowerCase());
      expect(crl.revoked.size, name).to.equal(serials.length);
      for (const s of serials) expect(crl.revoked.has(s), `${name} ${s}`).to.equal(true);
      expect(crl.nextUpdate!.getTime()).to.be.greaterThan(crl.thisUpdate.getTime());
    }
    const rsa = await parseCrl(bytes("crl/nca_rsa_test.crl"));
    const ca = await load("ca/nca_rsa_test.crt");
    expect(await rsa.crl.verify({ issuerCertificate: ca.cert })).to.equal(true);
    const gostCa = await load("ca/nca_gost_test.crt");
    expect(rsa.issuer.isEqual(gostCa.cert.subject)).to.equal(false);
  });

  it("malformed, truncated or empty OCSP responses and CRLs are clean 400s", async () => {
    const good = bytes("ocsp/ocsp_response_individual_sign_2004.bin");
    for (const b of [
      Buffer.alloc(0),
      Buffer.from("garbage"),
      good.subarray(0, good.length - 7),
      bytes("crl/nca_rsa_test.crl"),
    ]) {
      const err = await parseOcspResponse(b).then(
        () => null,
        (e) => e,
      );
      expect(err, b.toString("hex").slice(0, 20)).to.be.instanceOf(ValidationError);
      expect(err.code).to.equal("ocsp_malformed");
    }
    const crl = bytes("crl/nca_rsa_test.crl");
    for (const b of [Buffer.alloc(0), Buffer.from("garbage"), crl.subarray(0, 100), good]) {
      const err = await parseCrl(b).then(
        () => null,
        (e) => e,
      );
      expect(err).to.be.instanceOf(ValidationError);
      expect(err.code).to.equal("crl_malformed");
    }
  });
});

describe("signature providers (the GOST seam)", () => {
  it("a registered provider is asked for every signature of the keys it supports: CMS signers, certificate chains; removing it restores the default", async () => {
    const defaults = signatureProviders.list();
    const calls: string[] = [];
    const remove = signatureProviders.register({
      name: "counting RSA",
      supports: (k) => k.algorithm === "1.2.840.113549.1.1.1",
      digest: () => null,
      verify: (r) => {
        calls.push(r.signatureAlgorithm);
        return nodeProvider.verify(r);
      },
    });
    const k = testSigner({});
    try {
      const doc = Buffer.from("provider seam");
      await verifyDetachedCms(k.sign(doc), {
        sha256: createHash("sha256").update(doc).digest("hex"),
        read: async () => doc,
      });
      expect(calls).to.have.length(1);
      const store = new TrustStore(testCa().trustDir);
      const leaf = await parseCertificate(certificateBlocks(Buffer.from(k.certPem))[0]);
      expect((await store.verifyChain(leaf, [], new Date("2030-01-01T00:00:00Z"))).trusted).to.equal(true);
      expect(calls).to.have.length(2); // the chain link's signature
      expect(signatureProviders.list()[0]).to.equal("counting RSA");
    } finally {
      remove();
      removeSigner(k);
    }
    expect(signatureProviders.list()).to.deep.equal(defaults);
    expect(defaults.at(-1)).to.equal(nodeProvider.name);
  });

  it("KZ GOST and UA DSTU 4145 keys are supported by the built-in providers, asked before OpenSSL's", async () => {
    const gost = (
      await parseCertificate(
        certificateBlocks(readFileSync(path.join(fixtures, "certs/ceo_valid_sign_2004_gost.cer")))[0],
      )
    ).info.keyAlgorithm;
    expect(gost).to.include({ supported: true });
    expect(signatureProviders.list().map((n) => n.split(":")[0])).to.deep.equal(["KZ GOST", "UA DSTU 4145", "node"]);
  });
});
