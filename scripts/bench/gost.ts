// KZ GOST verification speed (SPEC R3.4), as ratios against the reference library
// (@wavesenterprise/crypto-gost-js) called directly on the same input, in the same run:
//  - certificate: the issuer's signature over a certificate — the NCA's real GOST 2004 head's
//    certificate under its CA, and a GOST 2015-512 certificate under a test CA (target ≥ 10× each);
//  - CMS: a detached CAdES-BES over a 4 KB document, content digest and signed attributes (target ≥ 10×);
//  - informational: the same CMS check with a signer key never seen before (no per-key table).
// Ours runs from parsed certificates, as a chain check does; the reference gets the raw key and bytes.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import { certificateBlocks, issuedBy, parseCertificate, spkiOf } from "../../server/pki/certificates.js";
import { verifyDetachedCms } from "../../server/pki/cms.js";
import { subjectPublicKeyBits } from "../../server/pki/providers.js";
import {
  gostCertificate,
  gostCms,
  referenceDigest,
  referenceSigner,
  type GostCertificate,
  type GostVariant,
} from "../../test/support/gostPki.js";

type Report = (name: string, value: string, verdict: string) => void;
const SECONDS = Number(process.env.BENCH_GOST_SECONDS ?? 2);
const fixtures = path.resolve(import.meta.dirname, "../../test/fixtures/nca-test");

/** Operations per second of `op` run back to back for `seconds`. */
async function rate(seconds: number, op: () => unknown): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    await op();
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ab = (b: Uint8Array) => new Uint8Array(b).buffer;
/** The raw x ‖ y of a certificate's GOST key (the OCTET STRING inside its BIT STRING). */
const rawKey = (spki: Buffer) => {
  const bits = subjectPublicKeyBits(spki);
  return bits.subarray(bits.length - (bits.length > 100 ? 128 : 64));
};

/** Three alternating rounds of ours and the reference's; medians. */
async function pair(ours: () => unknown, reference: () => unknown): Promise<{ ours: number; reference: number }> {
  await rate(0.5, ours);
  await rate(0.5, reference);
  const o: number[] = [];
  const r: number[] = [];
  for (let round = 0; round < 3; round++) {
    o.push(await rate(SECONDS, ours));
    r.push(await rate(SECONDS, reference));
  }
  return { ours: median(o), reference: median(r) };
}

function verdict(report: Report, name: string, p: { ours: number; reference: number }) {
  const ratio = p.ours / p.reference;
  report(
    name,
    `${Math.round(p.ours)}/s vs reference ${p.reference.toFixed(1)}/s`,
    `(ratio ${ratio.toFixed(1)}, target ≥ 10)`,
  );
}

function cmsCase(variant: GostVariant, signer: GostCertificate) {
  const content = Buffer.alloc(4096, 0x41);
  const cms = gostCms(signer, content);
  const sha256 = createHash("sha256").update(content).digest("hex");
  return { content, cms, sha256 };
}

/** The reference's check of the same CMS: the content digest, then the signature over the signed attributes. */
async function referenceCmsCheck(variant: GostVariant, signer: GostCertificate, cms: Buffer, content: Buffer) {
  const { pkiModules } = await import("../../server/pki/cms.js");
  const { asn1js, pkijs } = await pkiModules();
  const sd = new pkijs.SignedData({
    schema: new pkijs.ContentInfo({ schema: asn1js.fromBER(new Uint8Array(cms)).result }).content,
  });
  const si = sd.signerInfos[0];
  const attrs = new Uint8Array(si.signedAttrs!.encodedValue);
  const signature = ab(si.signature.valueBlock.valueHexView);
  const md = Buffer.from(
    (
      si.signedAttrs!.attributes.find((a) => a.type === "1.2.840.113549.1.9.4")!.values[0] as InstanceType<
        typeof asn1js.OctetString
      >
    ).valueBlock.valueHexView,
  );
  const ref = referenceSigner(variant);
  const key = ab(signer.key.publicKey);
  return () => {
    if (!referenceDigest(variant, content).equals(md)) throw new Error("reference: digest mismatch");
    if (!ref.verify(key, signature, ab(attrs))) throw new Error("reference: signature does not verify");
  };
}

export async function gostBenches(report: Report) {
  // Certificates: the NCA's real 2004 head's certificate; a 512-bit one from a test CA.
  const load = async (rel: string) => parseCertificate(certificateBlocks(readFileSync(path.join(fixtures, rel)))[0]);
  const ca04 = await load("ca/nca_gost_test.crt");
  const ceo = await load("certs/ceo_valid_sign_2004_gost.cer");
  const ca512 = gostCertificate({ variant: "2015-512" });
  const leaf512 = gostCertificate({ issuer: ca512, iin: "880101300123", roles: ["individual"] });
  for (const [name, variant, leaf, issuer] of [
    ["GOST 2004 certificate verification (NCA)", "2004", ceo.cert, ca04.cert],
    ["GOST 2015-512 certificate verification", "2015-512", leaf512.cert, ca512.cert],
  ] as const) {
    const ref = referenceSigner(variant);
    const key = ab(rawKey(spkiOf(issuer)));
    const tbs = ab(leaf.tbsView);
    const sig = ab(leaf.signatureValue.valueBlock.valueHexView);
    if (!(await issuedBy(leaf, issuer)) || !ref.verify(key, sig, tbs))
      throw new Error(`${name}: the input does not verify`);
    verdict(
      report,
      name,
      await pair(
        async () => {
          if (!(await issuedBy(leaf, issuer))) throw new Error("ours: does not verify");
        },
        () => {
          if (!ref.verify(key, sig, tbs)) throw new Error("reference: does not verify");
        },
      ),
    );
  }

  // Detached CMS over 4 KB: parse, content digest, signed attributes' signature.
  for (const variant of ["2004", "2015-512"] as GostVariant[]) {
    const ca = gostCertificate({ variant });
    const signer = gostCertificate({ issuer: ca, iin: "880101300123", roles: ["individual"] });
    const c = cmsCase(variant, signer);
    const read = async () => c.content;
    verdict(
      report,
      `GOST ${variant} detached CMS verification`,
      await pair(
        () => verifyDetachedCms(c.cms, { sha256: c.sha256, read }),
        await referenceCmsCheck(variant, signer, c.cms, c.content),
      ),
    );
  }

  // Informational: every CMS by another signer, each key used once (no per-key table is built), 512 bit.
  const ca = gostCertificate({ variant: "2015-512" });
  const many = Array.from({ length: 24 }, () =>
    cmsCase("2015-512", gostCertificate({ issuer: ca, iin: "880101300123", roles: ["individual"] })),
  );
  const t0 = performance.now();
  for (const c of many) await verifyDetachedCms(c.cms, { sha256: c.sha256, read: async () => c.content });
  const cold = many.length / ((performance.now() - t0) / 1000);
  report(
    "GOST 2015-512 CMS, each signer key new",
    `${Math.round(cold)}/s (24 keys, each verified once)`,
    "(informational)",
  );
}
