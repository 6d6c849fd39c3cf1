// The detached-CMS check against signatures made by OpenSSL.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { verifyDetachedCms, verifyDetachedCmsFully } from "../../server/pki/cms.js";
import { AppError } from "../../server/errors.js";
import { removeSigner, testSigner, type TestSigner } from "../support/pki.js";

const content = (bytes: Buffer) => ({
  sha256: createHash("sha256").update(bytes).digest("hex"),
  read: async () => bytes,
});

async function refusal(p: Promise<unknown>): Promise<AppError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
  throw new Error("expected a refusal");
}

describe("detached CMS check", () => {
  let rsa: TestSigner, ec: TestSigner;
  const doc = Buffer.from("%PDF-1.4\nAct of completed works No. 7\n%%EOF\n");
  before(() => {
    rsa = testSigner({ key: "rsa", cn: "Head Of Seller", iin: "880101300123" });
    ec = testSigner({ key: "ec", cn: "EC Signer" });
  });
  after(() => [rsa, ec].forEach(removeSigner));

  it("accepts an RSA signature made by openssl cms -sign and reports the signer and algorithms", async () => {
    const r = await verifyDetachedCms(rsa.sign(doc), content(doc));
    expect(r.digestAlgorithm).to.equal("SHA-256");
    expect(r.signatureAlgorithm).to.match(/RSA/);
    expect(r.messageDigest).to.equal(content(doc).sha256);
    expect(r.signer.subject).to.include("CN=Head Of Seller").and.include("SERIALNUMBER=IIN880101300123");
    expect(r.signingTime).to.match(/^\d{4}-\d\d-\d\dT/);
    expect(r.certificates).to.have.length(1);
  });

  it("accepts ECDSA P-256, SHA-512 digests, PEM input and signatures without signed attributes", async () => {
    expect((await verifyDetachedCms(ec.sign(doc), content(doc))).signatureAlgorithm).to.match(/ECDSA/);
    expect((await verifyDetachedCms(rsa.sign(doc, { md: "sha512" }), content(doc))).digestAlgorithm).to.equal(
      "SHA-512",
    );
    expect((await verifyDetachedCms(rsa.sign(doc, { pem: true }), content(doc))).digestAlgorithm).to.equal("SHA-256");
    const bare = await verifyDetachedCms(rsa.sign(doc, { noattr: true }), content(doc));
    expect(bare.signingTime).to.equal(null);
  });

  it("accepts RSA-PSS (openssl cms -sign -keyopt rsa_padding_mode:pss) and refuses it tampered", async () => {
    const cms = rsa.sign(doc, { pss: true });
    expect((await verifyDetachedCms(cms, content(doc))).signatureAlgorithm).to.equal("RSA-PSS");
    const bad = Buffer.from(cms);
    bad[bad.length - 5] ^= 0xff;
    expect((await refusal(verifyDetachedCms(bad, content(doc)))).code).to.equal("signature_invalid");
  });

  it("refuses a signature over other content, with both digests", async () => {
    const e = await refusal(verifyDetachedCms(rsa.sign(doc), content(Buffer.concat([doc, Buffer.from(" ")]))));
    expect(e.code).to.equal("digest_mismatch");
    expect(e.extras.signedDigest).to.equal(content(doc).sha256);
    const bare = await refusal(verifyDetachedCms(rsa.sign(doc, { noattr: true }), content(Buffer.from("other"))));
    expect(bare.code).to.equal("signature_invalid");
  });

  it("refuses a tampered signature value", async () => {
    const cms = Buffer.from(rsa.sign(doc));
    cms[cms.length - 5] ^= 0xff; // inside the signature value, the last field of the SignerInfo
    expect((await refusal(verifyDetachedCms(cms, content(doc)))).code).to.equal("signature_invalid");
  });

  it("refuses garbage, an attached CMS and one without the signer's certificate", async () => {
    expect((await refusal(verifyDetachedCms(Buffer.from("not a cms"), content(doc)))).code).to.equal("cms_malformed");
    expect((await refusal(verifyDetachedCms(rsa.sign(doc, { attached: true }), content(doc)))).code).to.equal(
      "cms_not_detached",
    );
    expect((await refusal(verifyDetachedCms(rsa.sign(doc, { nocerts: true }), content(doc)))).code).to.equal(
      "cms_signer_certificate_missing",
    );
  });

  it("the fast path gives exactly what the full pkijs path gives, for every shape it takes (RSA, ECDSA, SHA-2 variants, PEM)", async () => {
    const cases = [
      rsa.sign(doc),
      ec.sign(doc),
      rsa.sign(doc, { pss: true }),
      rsa.sign(doc, { pss: true, md: "sha512" }),
      rsa.sign(doc, { md: "sha384" }),
      rsa.sign(doc, { md: "sha512" }),
      ec.sign(doc, { md: "sha384" }),
      rsa.sign(doc, { pem: true }),
      rsa.sign(doc, { noattr: true }),
    ];
    for (const cms of cases) {
      const fast = await verifyDetachedCms(cms, content(doc));
      const full = await verifyDetachedCmsFully(cms, content(doc));
      const plain = (r: typeof fast) => ({
        ...r,
        signerCertificate: undefined,
        signer: { ...r.signer, der: r.signer.der.toString("hex") },
        certificates: r.certificates.map((c) => c.der.toString("hex")),
      });
      expect(plain(fast)).to.deep.equal(plain(full));
    }
  });
});
