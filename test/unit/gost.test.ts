// KZ GOST verification (SPEC R3.4) pinned from three sides: the NCA's own certificates and CRLs
// (test/fixtures/nca-test), the hashes' published vectors (RFC 6986; GOST R 34.11-94's test
// parameter set), and signatures made by an independent implementation (the reference library).
// Each byte-order choice has a negative case that must fail, so no test passes vacuously.
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { certificateBlocks, issuedBy, parseCertificate, spkiOf } from "../../server/pki/certificates.js";
import { verifyDetachedCms } from "../../server/pki/cms.js";
import { gost94 } from "../../server/pki/gost/gost94.js";
import { CURVES, DIGESTS, KZ } from "../../server/pki/gost/kzGost.js";
import { bigIntToLe, leToBigInt } from "../../server/pki/gost/primeCurve.js";
import { streebog } from "../../server/pki/gost/streebog.js";
import { parseCrl } from "../../server/pki/revocation.js";
import {
  publicKeyRef,
  SignatureFormatError,
  signatureProviders,
  UnsupportedAlgorithmError,
} from "../../server/pki/providers.js";
import { TrustStore } from "../../server/pki/trust.js";
import {
  gostCertificate,
  gostCms,
  gostKey,
  GOST_VARIANTS,
  referenceSigner,
  referenceSignerWith as GostEngineSigner,
  referenceDigest,
  referenceSign,
  type GostVariant,
} from "../support/gostPki.js";

const fixtures = path.resolve(import.meta.dirname, "../fixtures/nca-test");
const bytes = (rel: string) => readFileSync(path.join(fixtures, rel));
const load = async (rel: string) => parseCertificate(certificateBlocks(bytes(rel))[0]);
const ab = (b: Uint8Array) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
const flip = (b: Uint8Array, at: number) => {
  const c = Buffer.from(b);
  c[at] ^= 0x01;
  return c;
};
const reverse = (b: Uint8Array) => Buffer.from(b).reverse();
const VARIANTS: GostVariant[] = ["2004", "2015-256", "2015-512"];
const verify = (spki: Buffer, data: Buffer, signature: Buffer, alg: string = KZ.sig2015_512) =>
  signatureProviders.verify({ publicKey: publicKeyRef(spki), signatureAlgorithm: alg, data, signature });

describe("GOST hashes", () => {
  it("Streebog reproduces RFC 6986's example M1 in both sizes (digests in little-endian byte order)", () => {
    const m1 = Buffer.from("012345678901234567890123456789012345678901234567890123456789012");
    // RFC 6986 prints the digests big-endian; their byte reversal is what implementations return.
    expect(reverse(streebog(m1, 512)).toString("hex")).to.equal(
      "486f64c1917879417fef082b3381a4e211c324f074654c38823a7b76f830ad00fa1fbae42b1285c0352f227524bc9ab16254288dd6863dccd5b9f54a1ad0541b",
    );
    expect(reverse(streebog(m1, 256)).toString("hex")).to.equal(
      "00557be5e584fd52a449b16b0251d05d27f94ab76cbaa6da890b59d8ef1e159d",
    );
  });

  it("GOST R 34.11-94 under the test parameter set gives the standard's published digests", () => {
    expect(Buffer.from(gost94(Buffer.alloc(0))).toString("hex")).to.equal(
      "ce85b99cc46752fffee35cab9a7b0278abb4c2d2055cff685af4912c49490f8d",
    );
    expect(Buffer.from(gost94(Buffer.from("abc"))).toString("hex")).to.equal(
      "f3134348c44fb1b2a277729e2285ebb5cb5e0f29c975bc753b70497c06a4d51d",
    );
    expect(Buffer.from(gost94(Buffer.from("message digest"))).toString("hex")).to.equal(
      "ad4434ecb18f2c99b60cbe59ec3d2469582b65273f48de72db2fde16a4889a4d",
    );
  });

  it("all three digests equal the reference library's on every block boundary", () => {
    for (const len of [0, 1, 31, 32, 33, 63, 64, 65, 127, 128, 1000, 4099]) {
      const d = randomBytes(len);
      expect(Buffer.from(gost94(d)).equals(referenceDigest("2004", d)), `94 ${len}`).to.equal(true);
      expect(Buffer.from(streebog(d, 256)).equals(referenceDigest("2015-256", d)), `256 ${len}`).to.equal(true);
      expect(Buffer.from(streebog(d, 512)).equals(referenceDigest("2015-512", d)), `512 ${len}`).to.equal(true);
    }
  });
});

describe("KZ GOST on the NCA's real artefacts", () => {
  it("the GOST 2004 head's certificate and the GOST 2004 CRL verify under the NCA GOST CA; the GOST 2015 CRL (512 bit) under the 2015 CA", async () => {
    const ca04 = await load("ca/nca_gost_test.crt");
    const ca15 = await load("ca/nca_gost2015_test.cer");
    expect(ca04.info.keyAlgorithm).to.include({ name: "GOST 34.310-2004", supported: true, curve: KZ.curve2004A });
    expect(ca15.info.keyAlgorithm).to.include({
      name: "GOST 34.10-2015, 512 bit",
      supported: true,
      curve: KZ.curve2015_512A,
    });
    expect(await issuedBy((await load("certs/ceo_valid_sign_2004_gost.cer")).cert, ca04.cert)).to.equal(true);
    expect(await issuedBy((await parseCrl(bytes("crl/nca_gost_test.crl"))).crl, ca04.cert)).to.equal(true);
    expect(await issuedBy((await parseCrl(bytes("crl/nca_gost2022_test.crl"))).crl, ca15.cert)).to.equal(true);
  });

  it("the head's GOST certificate chains to the NCA GOST intermediate as a trust anchor, and a tampered copy does not", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-gost-trust-"));
    try {
      writeFileSync(path.join(dir, "nca_gost_test.crt"), bytes("ca/nca_gost_test.crt"));
      const trust = new TrustStore(dir);
      const when = new Date("2022-06-01T00:00:00Z");
      const ceo = await load("certs/ceo_valid_sign_2004_gost.cer");
      const ok = await trust.verifyChain(ceo, [], when);
      expect(ok.failures).to.deep.equal([]);
      expect(ok.trusted).to.equal(true);
      // One bit of the signed part changed (the subject's serialNumber text): the CA's signature no longer holds.
      const at = ceo.der.indexOf(Buffer.from("IIN123456789011"));
      const tampered = await parseCertificate(flip(ceo.der, at + 5));
      const bad = await trust.verifyChain(tampered, [], when);
      expect(bad.trusted).to.equal(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // The CRL of the 2015 CA: its tbs, signature and the CA's key, for the byte-order negatives below.
  async function crl2015() {
    const ca = await load("ca/nca_gost2015_test.cer");
    const { crl } = await parseCrl(bytes("crl/nca_gost2022_test.crl"));
    const sig = Buffer.from(crl.signatureValue.valueBlock.valueHexView);
    const data = Buffer.from(crl.tbsView);
    return { ca, data, sig, spki: spkiOf(ca.cert) };
  }

  it("every byte-order and parameter choice is pinned: the real CRL fails under a flipped bit, r/s swapped, the RFC order, a reversed digest or the wrong curve", async () => {
    const { data, sig, spki } = await crl2015();
    expect(await verify(spki, data, sig)).to.equal(true);
    expect(await verify(spki, flip(data, 40), sig), "flipped data bit").to.equal(false);
    expect(await verify(spki, data, flip(sig, 3)), "flipped signature bit").to.equal(false);
    expect(
      await verify(spki, data, Buffer.concat([sig.subarray(64), sig.subarray(0, 64)])),
      "r and s swapped",
    ).to.equal(false);
    expect(await verify(spki, data, reverse(sig)), "s ‖ r big-endian read as it stands").to.equal(false);
    // The curve level: e from the digest read little-endian holds; read big-endian (reversed) it does not.
    const curve = CURVES[KZ.curve2015_512A];
    const key = Buffer.from(publicKeyRef(spki).spki);
    const point = key.subarray(key.length - 128);
    const [x, y] = [leToBigInt(point.subarray(0, 64)), leToBigInt(point.subarray(64))];
    const [r, s] = [leToBigInt(sig.subarray(0, 64)), leToBigInt(sig.subarray(64))];
    const digest = streebog(data, 512);
    expect(curve.verify(x, y, leToBigInt(digest), r, s)).to.equal(true);
    expect(curve.verify(x, y, leToBigInt(reverse(digest)), r, s), "reversed digest").to.equal(false);
    expect(curve.verify(x, y, leToBigInt(streebog(data, 256)), r, s), "the other Streebog").to.equal(false);
    // The 2004 CA's key is not a point of the 512-bit curve, and its signature is not 128 bytes.
    const ca04 = await load("ca/nca_gost_test.crt");
    const { crl: crl04 } = await parseCrl(bytes("crl/nca_gost_test.crl"));
    const sig04 = Buffer.from(crl04.signatureValue.valueBlock.valueHexView);
    const k04 = Buffer.from(spkiOf(ca04.cert));
    const p04 = k04.subarray(k04.length - 64);
    expect(
      CURVES[KZ.curve2015_256A].verify(
        leToBigInt(p04.subarray(0, 32)),
        leToBigInt(p04.subarray(32)),
        leToBigInt(gost94(crl04.tbsView)),
        leToBigInt(sig04.subarray(0, 32)),
        leToBigInt(sig04.subarray(32)),
      ),
      "2004 key on the tc26 256 curve",
    ).to.equal(false);
    expect(await verify(k04, Buffer.from(crl04.tbsView), sig04, KZ.sig2004)).to.equal(true);
  });

  it("a signature of the wrong length, a key off its curve, a signature algorithm of another key and unknown curve parameters are named, never a crash", async () => {
    const { data, sig, spki } = await crl2015();
    const err = await verify(spki, data, sig.subarray(0, 100)).then(
      () => null,
      (e) => e,
    );
    expect(err).to.be.instanceOf(SignatureFormatError);
    expect(err.message).to.match(/128 bytes, not 100/);
    const offCurve = Buffer.from(spki);
    offCurve[offCurve.length - 1] ^= 0x40;
    const e2 = await verify(offCurve, data, sig).then(
      () => null,
      (e) => e,
    );
    expect(e2).to.be.instanceOf(SignatureFormatError);
    expect(e2.message).to.match(/not a point of its curve/);
    const e3 = await verify(spki, data, sig, KZ.sig2004).then(
      () => null,
      (e) => e,
    );
    expect(e3).to.be.instanceOf(UnsupportedAlgorithmError);
    // The curve OID's last arc changed (…2.2.1 → …2.2.9): no provider knows those parameters.
    const unknownCurve = Buffer.from(spki);
    unknownCurve[
      unknownCurve.indexOf(Buffer.from([0x06, 0x0a, 0x2a, 0x83, 0x0e, 0x03, 0x0a, 0x01, 0x01, 0x02, 0x02, 0x01])) + 11
    ] = 0x09;
    expect(signatureProviders.supports(publicKeyRef(unknownCurve))).to.equal(false);
    const e4 = await verify(unknownCurve, data, sig).then(
      () => null,
      (e) => e,
    );
    expect(e4).to.be.instanceOf(UnsupportedAlgorithmError);
    expect(e4.message).to.match(/not supported by the installed providers/);
  });
});

describe("KZ GOST signatures made by the reference library", () => {
  for (const v of VARIANTS) {
    it(`${GOST_VARIANTS[v].label}: its signatures over random data verify, one flipped bit anywhere does not`, async () => {
      // The key as the test CA puts it in a certificate: x ‖ y little-endian as the reference library makes it.
      const cert = gostCertificate({ variant: v });
      const spki = spkiOf(cert.cert);
      expect(spki.subarray(spki.length - cert.key.publicKey.length).equals(cert.key.publicKey)).to.equal(true);
      for (let i = 0; i < 4; i++) {
        const data = randomBytes(50 + i * 300);
        const sig = referenceSign(cert.key, data);
        expect(await verify(spki, data, sig, GOST_VARIANTS[v].signature), `round ${i}`).to.equal(true);
        expect(await verify(spki, flip(data, i), sig, GOST_VARIANTS[v].signature)).to.equal(false);
        expect(await verify(spki, data, flip(sig, 7 * i + 1), GOST_VARIANTS[v].signature)).to.equal(false);
      }
    });

    it(`${GOST_VARIANTS[v].label}: a detached CMS the reference library signs verifies over its content, and names the algorithm`, async () => {
      const ca = gostCertificate({ variant: v });
      const leaf = gostCertificate({
        issuer: ca,
        iin: "880101300123",
        bin: "990940000123",
        roles: ["legal_entity", "first_head"],
      });
      const content = Buffer.from(`a contract signed with ${v}`);
      const cms = gostCms(leaf, content, [ca]);
      const check = await verifyDetachedCms(cms, {
        sha256: createHash("sha256").update(content).digest("hex"),
        read: async () => content,
      });
      expect(check.signatureAlgorithm).to.equal(GOST_VARIANTS[v].label);
      expect(check.digestAlgorithm).to.match(
        v === "2004" ? /34\.11-94/ : v === "2015-256" ? /Streebog-256/ : /Streebog-512/,
      );
      expect(await issuedBy(leaf.cert, ca.cert)).to.equal(true);
      const other = Buffer.from(`another contract signed with ${v}`);
      const err = await verifyDetachedCms(cms, {
        sha256: createHash("sha256").update(other).digest("hex"),
        read: async () => other,
      }).then(
        () => null,
        (e) => e,
      );
      expect(err?.code).to.equal("digest_mismatch");
      // The signature itself changed: the signed attributes no longer verify.
      const sigAt = cms.length - 3;
      const bad = await verifyDetachedCms(flip(cms, sigAt), {
        sha256: createHash("sha256").update(content).digest("hex"),
        read: async () => content,
      }).then(
        () => null,
        (e) => e,
      );
      expect(bad?.code).to.equal("signature_invalid");
    });
  }
});

describe("KZ GOST signing (the console's key files sign with this code)", () => {
  // Found by searching random keys: with these the reference library's modular inverse takes its
  // rare last branch (d ≥ m), which calls a function it never defines; test/support supplies it.
  for (const ukm of [
    "fe9cb0ba99dfce72f72f235ffaa84026c474b5cd916b895cff0888f47cf924a6",
    "ea69289ea3e0e70ea7e94a4d87c4ebfaf50733f1f63d603b5f1ef367bc9c9dc6",
  ]) {
    it(`the reference library's rare inverse branch gives the public key our curve computes (key ${ukm.slice(0, 8)}…)`, () => {
      const meta = GOST_VARIANTS["2004"];
      const key = GostEngineSigner({ ...meta.reference, ukm: ab(Buffer.from(ukm, "hex")) }).generateKey();
      const curve = CURVES[meta.params[0]];
      const q = curve.publicKey(leToBigInt(new Uint8Array(key.privateKey)));
      const pub = Buffer.concat([bigIntToLe(q.x, curve.size), bigIntToLe(q.y, curve.size)]);
      expect(Buffer.from(key.publicKey).toString("hex")).to.equal(pub.toString("hex"));
    });
  }

  for (const v of VARIANTS) {
    it(`${GOST_VARIANTS[v].label}: the reference library's private key gives its public key, and our signatures verify under the reference library`, () => {
      const meta = GOST_VARIANTS[v];
      const curve = CURVES[meta.params[0]];
      const key = gostKey(v);
      // The private key as the reference library keeps it: little-endian, as the public key.
      const d = leToBigInt(new Uint8Array(key.privateKey));
      const q = curve.publicKey(d);
      const pub = Buffer.concat([bigIntToLe(q.x, curve.size), bigIntToLe(q.y, curve.size)]);
      expect(pub.equals(key.publicKey)).to.equal(true);
      const reversed = curve.publicKey(leToBigInt(Buffer.from(key.privateKey).reverse()));
      expect(reversed.x, "the private key read big-endian").to.not.equal(q.x);
      const reference = referenceSigner(v);
      for (let i = 0; i < 3; i++) {
        const data = randomBytes(40 + 500 * i);
        const { r, s } = curve.sign(d, leToBigInt(DIGESTS[meta.digest](data)));
        const sig = Buffer.concat([bigIntToLe(r, curve.size), bigIntToLe(s, curve.size)]);
        expect(reference.verify(ab(key.publicKey), ab(sig), ab(data)), `round ${i}`).to.equal(true);
        expect(reference.verify(ab(key.publicKey), ab(flip(sig, 3 + i)), ab(data))).to.equal(false);
        expect(reference.verify(ab(key.publicKey), ab(sig), ab(flip(data, i)))).to.equal(false);
        // s ‖ r, or r ‖ s big-endian, are not what the reference library reads.
        const swapped = Buffer.concat([sig.subarray(curve.size), sig.subarray(0, curve.size)]);
        expect(reference.verify(ab(key.publicKey), ab(swapped), ab(data))).to.equal(false);
      }
    });
  }
});
