// UA DSTU 4145 verification (SPEC R3.4) on real public vectors (test/fixtures/ua-dstu, see its
// README): the Central Certification Authority's root, a qualified CA it issued, and a detached CMS.
// The hash is checked against an independent implementation (npm gost89); every byte order and the
// key's own parameters have a negative case that must fail.
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { issuedBy, parseCertificate, spkiOf } from "../../server/pki/certificates.js";
import { verifyDetachedCms } from "../../server/pki/cms.js";
import { DSTU, unpackDke } from "../../server/pki/gost/dstuProvider.js";
import { gost94 } from "../../server/pki/gost/gost94.js";
import {
  publicKeyRef,
  SignatureFormatError,
  signatureProviders,
  UnsupportedAlgorithmError,
} from "../../server/pki/providers.js";

const require = createRequire(import.meta.url);
const gost89 = require("gost89") as { compat: { algos(): { hash(d: Buffer): Buffer } } };
const dir = path.resolve(import.meta.dirname, "../fixtures/ua-dstu");
const bytes = (f: string) => readFileSync(path.join(dir, f));
const load = (f: string) => parseCertificate(bytes(f));
const flip = (b: Uint8Array, at: number) => {
  const c = Buffer.from(b);
  c[at] ^= 0x01;
  return c;
};
const DEFAULT_DKE = Buffer.from(
  "A9D6EB45F13C708280C4967B231F5EADF658EBA4C037291D38D96BF025CA4E17F8E9720DC615B43A28975F0BC1DEA36438B564EA2C179FD0123E6DB8FAC57904",
  "hex",
);

describe("UA DSTU 4145 on real artefacts", () => {
  it("GOST 34.311-95 under the DKE S-box equals gost89's on every block boundary; the DKE unpacks row 0 for the lowest nibble", () => {
    const sbox = unpackDke(DEFAULT_DKE);
    const algos = gost89.compat.algos();
    for (const len of [0, 1, 31, 32, 33, 64, 100, 1000]) {
      const d = randomBytes(len);
      expect(Buffer.from(gost94(d, sbox)).equals(Buffer.from(algos.hash(d))), `${len}`).to.equal(true);
    }
    // Rows in the other order is another hash.
    const reversed = [
      ...sbox.slice(112),
      ...sbox.slice(96, 112),
      ...sbox.slice(80, 96),
      ...sbox.slice(64, 80),
      ...sbox.slice(48, 64),
      ...sbox.slice(32, 48),
      ...sbox.slice(16, 32),
      ...sbox.slice(0, 16),
    ];
    expect(
      Buffer.from(gost94(Buffer.from("abc"), reversed)).equals(Buffer.from(algos.hash(Buffer.from("abc")))),
    ).to.equal(false);
  });

  it("the Central Certification Authority's root verifies itself (explicit GF(2^431) parameters) and the Ministry of Justice's qualified CA under it (GF(2^257))", async () => {
    const root = await load("CZOROOT.cer");
    const justice = await load("CA-Justice.cer");
    expect(root.info.keyAlgorithm).to.include({ name: "DSTU 4145", supported: true });
    expect(await issuedBy(root.cert, root.cert)).to.equal(true);
    expect(await issuedBy(justice.cert, root.cert)).to.equal(true);
    // EDRPOU from the "UA-<EDRPOU>-<suffix>" serialNumber of both.
    expect(root.info.edrpou).to.equal("00015622");
    expect(justice.info.edrpou).to.equal("39787008");
    expect(justice.info.drfo).to.equal(null);
  });

  it("a named-curve key (curve 6) verifies its own certificate; the Justice CA's ECDSA certificate names NTRUA- EDRPOU and an OpenSSL key", async () => {
    const self = await load("SELF_SIGNED1.cer");
    expect(publicKeyRef(spkiOf(self.cert)).curve).to.equal(`${DSTU.namedCurvePrefix}6`);
    expect(await issuedBy(self.cert, self.cert)).to.equal(true);
    expect(self.info.edrpou).to.equal("99999999");
    const ecdsa = await load("CA-Justice-ECDSA-261217.cer");
    expect(ecdsa.info.edrpou).to.equal("39787008");
    expect(ecdsa.info.keyAlgorithm).to.include({ name: "EC", curve: "P-256", supported: true });
  });

  it("tampering is refused: a flipped bit in the signed part or the signature, r and s swapped, the signature read big-endian, another CA's key", async () => {
    const root = await load("CZOROOT.cer");
    const justice = await load("CA-Justice.cer");
    const tbs = Buffer.from(justice.cert.tbsView);
    const sig = Buffer.from(justice.cert.signatureValue.valueBlock.valueHexView);
    const verify = (data: Buffer, signature: Buffer, spki = spkiOf(root.cert)) =>
      signatureProviders.verify({ publicKey: publicKeyRef(spki), signatureAlgorithm: DSTU.key, data, signature });
    expect(await verify(tbs, sig)).to.equal(true);
    expect(await verify(flip(tbs, 100), sig), "data").to.equal(false);
    expect(await verify(tbs, flip(sig, 10)), "signature").to.equal(false);
    // The signature is an OCTET STRING of r ‖ s, 54 bytes each on this curve.
    expect(sig.subarray(0, 2).toString("hex")).to.equal("046c");
    const [r, s] = [sig.subarray(2, 56), sig.subarray(56)];
    expect(await verify(tbs, Buffer.concat([sig.subarray(0, 2), s, r])), "r and s swapped").to.equal(false);
    expect(
      await verify(tbs, Buffer.concat([sig.subarray(0, 2), Buffer.from(r).reverse(), Buffer.from(s).reverse()])),
      "big-endian halves",
    ).to.equal(false);
    const self = await load("SELF_SIGNED1.cer");
    const wrongKey = await verify(tbs, sig, spkiOf(self.cert)).then(
      (ok) => ok,
      (e) => e,
    );
    expect(wrongKey).to.be.instanceOf(SignatureFormatError); // a 257-bit key cannot carry a 431-bit signature
    expect(await issuedBy(justice.cert, self.cert).catch(() => false)).to.equal(false);
    // A DKE other than the key's: the same signature over the same bytes no longer verifies.
    const otherDke = Buffer.from(spkiOf(root.cert));
    const at = otherDke.indexOf(DEFAULT_DKE);
    otherDke[at + 5] ^= 0x11;
    expect(await verify(tbs, sig, otherDke), "another DKE").to.equal(false);
  });

  it("a signature of the wrong length and a named curve this provider does not carry are named, never a crash", async () => {
    const root = await load("CZOROOT.cer");
    const sig = Buffer.from(root.cert.signatureValue.valueBlock.valueHexView);
    const err = await signatureProviders
      .verify({
        publicKey: publicKeyRef(spkiOf(root.cert)),
        signatureAlgorithm: DSTU.key,
        data: Buffer.from("x"),
        signature: sig.subarray(0, 40),
      })
      .then(
        () => null,
        (e) => e,
      );
    expect(err).to.be.instanceOf(SignatureFormatError);
    expect(err.message).to.match(/108 bytes, not 40/);
    // SELF_SIGNED1 with its named curve changed from 6 to 3 (m = 179, not carried here).
    const self = await load("SELF_SIGNED1.cer");
    const spki = Buffer.from(spkiOf(self.cert));
    const oid = Buffer.from([0x06, 0x0b, 0x2a, 0x86, 0x24, 0x02, 0x01, 0x01, 0x01, 0x01, 0x03, 0x01, 0x01, 0x02, 0x06]);
    spki[spki.indexOf(oid) + oid.length - 1] = 0x03;
    expect(signatureProviders.supports(publicKeyRef(spki))).to.equal(false);
    const e2 = await signatureProviders
      .verify({
        publicKey: publicKeyRef(spki),
        signatureAlgorithm: DSTU.key,
        data: Buffer.from("x"),
        signature: Buffer.alloc(66),
      })
      .then(
        () => null,
        (e) => e,
      );
    expect(e2).to.be.instanceOf(UnsupportedAlgorithmError);
  });

  it("jkurwa's detached CMS over '123' verifies, names DSTU 4145 and GOST 34.311-95, and is refused over other content", async () => {
    const content = Buffer.from("123");
    const cms = bytes("message_detached.p7");
    const sha = (b: Buffer) => createHash("sha256").update(b).digest("hex");
    const check = await verifyDetachedCms(cms, { sha256: sha(content), read: async () => content });
    expect(check).to.include({ signatureAlgorithm: "DSTU 4145", digestAlgorithm: "GOST 34.311-95" });
    expect(check.signer.subject).to.match(/Very Much CA/);
    const other = Buffer.from("124");
    const err = await verifyDetachedCms(cms, { sha256: sha(other), read: async () => other }).then(
      () => null,
      (e) => e,
    );
    expect(err?.code).to.equal("digest_mismatch");
    const attached = await verifyDetachedCms(bytes("message.p7"), {
      sha256: sha(content),
      read: async () => content,
    }).then(
      () => null,
      (e) => e,
    );
    expect(attached?.code).to.equal("cms_not_detached");
  });
});
