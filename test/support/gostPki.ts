// A KZ GOST test PKI whose every signature is made by an independent implementation — the reference
// library @wavesenterprise/crypto-gost-js — never by the appliance's code: a CA, certificates it
// issues (NCA fields: IIN, BIN, role EKUs), CRLs and detached CAdES-BES CMS. The structures are
// assembled with pkijs; only the bytes to be signed go to the reference library.
import * as asn1js from "asn1js";
import { createRequire } from "node:module";
import * as pkijs from "pkijs";
import { NCA_ROLE_OIDS } from "./pki.js";

const require = createRequire(import.meta.url);

/**
 * The reference library's modular inverse (engine/gostSign.js, invMod) ends with `subtract(d, m)`
 * for the rare result d ≥ m, a function the library never defines (it means its own `sub`). That
 * branch is taken in about one key generation, signature or verification in 3000, where it throws
 * a ReferenceError. Its numbers are arrays of 28-bit words (two's complement, sign in `s`, length
 * in `t`); this computes d − m on them exactly, so the library reaches the answer it was written to.
 */
type LibNumber = number[] & { s: number; t: number };
const DB = 28n;
function fromLib(x: LibNumber): bigint {
  let v = 0n;
  for (let i = x.t - 1; i >= 0; i--) v = (v << DB) | BigInt(x[i]);
  return x.s < 0 ? v - (1n << (DB * BigInt(x.t))) : v;
}
function toLib(v: bigint): LibNumber {
  if (v < 0n) throw new RangeError("invMod's d − m is never negative");
  const r = [] as unknown as LibNumber;
  for (; v > 0n; v >>= DB) r.push(Number(v & ((1n << DB) - 1n)));
  r.s = 0;
  r.t = r.length;
  return r;
}
const globals = globalThis as { subtract?: (a: LibNumber, b: LibNumber) => LibNumber };
globals.subtract ??= (a, b) => toLib(fromLib(a) - fromLib(b));

const { GostEngine } = require("@wavesenterprise/crypto-gost-js") as {
  GostEngine: { getGostSign(a: object): GostSign; getGostDigest(a: object): { digest(d: ArrayBuffer): ArrayBuffer } };
};
interface GostSign {
  generateKey(): { privateKey: ArrayBuffer; publicKey: ArrayBuffer };
  sign(privateKey: ArrayBuffer, data: ArrayBuffer): ArrayBuffer;
  verify(publicKey: ArrayBuffer, signature: ArrayBuffer, data: ArrayBuffer): boolean;
}

export type GostVariant = "2004" | "2015-256" | "2015-512";

// tc26 256 paramSetA in Weierstrass form (RFC 7836 §A.2): the reference library has no name for it.
const TC26_256_A = {
  p: "0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97",
  a: "0xC2173F1513981673AF4892C23035A27CE25E2013BF95AA33B22C656F277E7335",
  b: "0x295F9BAE7428ED9CCC20E7C359A9D41A22FCCD9108E17BF7BA9337A6F8AE9513",
  q: "0x400000000000000000000000000000000FD8CDDFC87B6635C115AF556C360C67",
  x: "0x91E38443A5E82C0D880923425712B2BB658B9196932E02C78B2582FE742DAA28",
  y: "0x32879423AB1A0375895786C4BB46E9565FDE0B5344766740AF268ADB32322E5C",
};

/** Each NCA GOST generation: its OIDs and the reference library's settings for it. */
export const GOST_VARIANTS: Record<
  GostVariant,
  { key: string; params: string[]; signature: string; digest: string; reference: object; label: string }
> = {
  "2004": {
    key: "1.2.398.3.10.1.1.1.1",
    params: ["1.2.398.3.10.1.1.1.1.1", "1.2.398.3.10.1.3.1.1.0"],
    signature: "1.2.398.3.10.1.1.1.2",
    digest: "1.2.398.3.10.1.3.1",
    reference: {
      name: "GOST R 34.10",
      version: 2001,
      namedCurve: "S-256-A",
      hash: { name: "GOST R 34.11", version: 1994 },
      sBox: "D-TEST",
    },
    label: "GOST 34.310-2004",
  },
  "2015-256": {
    key: "1.2.398.3.10.1.1.2.1",
    params: ["1.2.398.3.10.1.1.2.1.1", "1.2.398.3.10.1.3.2"],
    signature: "1.2.398.3.10.1.1.2.3.1",
    digest: "1.2.398.3.10.1.3.2",
    reference: {
      name: "GOST R 34.10",
      version: 2012,
      length: 256,
      curve: TC26_256_A,
      hash: { name: "GOST R 34.11", version: 2012, length: 256 },
    },
    label: "GOST 34.10-2015, 256 bit",
  },
  "2015-512": {
    key: "1.2.398.3.10.1.1.2.2",
    params: ["1.2.398.3.10.1.1.2.2.1", "1.2.398.3.10.1.3.3"],
    signature: "1.2.398.3.10.1.1.2.3.2",
    digest: "1.2.398.3.10.1.3.3",
    reference: {
      name: "GOST R 34.10",
      version: 2012,
      length: 512,
      namedCurve: "T-512-A",
      hash: { name: "GOST R 34.11", version: 2012, length: 512 },
    },
    label: "GOST 34.10-2015, 512 bit",
  },
};

const ab = (b: Uint8Array): ArrayBuffer => new Uint8Array(b).buffer;

/** The reference library's signer with settings of the caller's own (a fixed key: `ukm`). */
export const referenceSignerWith = (settings: object): GostSign => GostEngine.getGostSign(settings);
/** The reference library's signer for a variant (hashes the data itself with the variant's digest). */
export const referenceSigner = (v: GostVariant): GostSign => GostEngine.getGostSign({ ...GOST_VARIANTS[v].reference });
/** The reference library's digest of a variant, for content digests in CMS. */
export function referenceDigest(v: GostVariant, data: Uint8Array): Buffer {
  const r = GOST_VARIANTS[v].reference as { hash: object; sBox?: string };
  return Buffer.from(GostEngine.getGostDigest({ ...r.hash, sBox: r.sBox }).digest(ab(data)));
}

export interface GostKey {
  variant: GostVariant;
  privateKey: ArrayBuffer;
  /** x ‖ y little-endian, as the reference library makes it */
  publicKey: Buffer;
}

export function gostKey(variant: GostVariant): GostKey {
  const k = referenceSigner(variant).generateKey();
  return { variant, privateKey: k.privateKey, publicKey: Buffer.from(k.publicKey) };
}

export function referenceSign(key: GostKey, data: Uint8Array): Buffer {
  return Buffer.from(referenceSigner(key.variant).sign(key.privateKey, ab(data)));
}

const algorithm = (oid: string) => new pkijs.AlgorithmIdentifier({ algorithmId: oid });

function spki(key: GostKey): pkijs.PublicKeyInfo {
  const v = GOST_VARIANTS[key.variant];
  return new pkijs.PublicKeyInfo({
    algorithm: new pkijs.AlgorithmIdentifier({
      algorithmId: v.key,
      algorithmParams: new asn1js.Sequence({ value: v.params.map((o) => new asn1js.ObjectIdentifier({ value: o })) }),
    }),
    subjectPublicKey: new asn1js.BitString({
      valueHex: ab(new Uint8Array(new asn1js.OctetString({ valueHex: ab(key.publicKey) }).toBER(false))),
    }),
  });
}

function name(attrs: Array<[string, string]>): pkijs.RelativeDistinguishedNames {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: attrs.map(
      ([type, value]) =>
        new pkijs.AttributeTypeAndValue({
          type,
          value:
            type === "2.5.4.6" || type === "2.5.4.5"
              ? new asn1js.PrintableString({ value })
              : new asn1js.Utf8String({ value }),
        }),
    ),
  });
}

/** Basic constraints and key usage of a CA (keyCertSign, cRLSign) or a signer (digitalSignature, nonRepudiation). */
export function caOrSignerExtensions(isCa: boolean): pkijs.Extension[] {
  const bits = isCa ? 0b00000110 : 0b11000000;
  return [
    new pkijs.Extension({
      extnID: "2.5.29.19",
      critical: true,
      extnValue: new pkijs.BasicConstraints({ cA: isCa }).toSchema().toBER(false),
    }),
    new pkijs.Extension({
      extnID: "2.5.29.15",
      critical: true,
      extnValue: new asn1js.BitString({ valueHex: new Uint8Array([bits]).buffer, unusedBits: isCa ? 1 : 6 }).toBER(
        false,
      ),
    }),
  ];
}

/** The CRL distribution points extension naming one URL (shared with the DSTU test PKI). */
export function crlDistributionPoints(url: string): pkijs.Extension {
  return new pkijs.Extension({
    extnID: "2.5.29.31",
    extnValue: new pkijs.CRLDistributionPoints({
      distributionPoints: [
        new pkijs.DistributionPoint({ distributionPoint: [new pkijs.GeneralName({ type: 6, value: url })] }),
      ],
    })
      .toSchema()
      .toBER(false),
  });
}

export interface GostCertificate {
  der: Buffer;
  cert: pkijs.Certificate;
  key: GostKey;
  subject: pkijs.RelativeDistinguishedNames;
}

let serialCounter = 0x4f00;

/** Signs a certificate's or CRL's TBS with the issuer's key through the reference library. */
function signTbs(target: pkijs.Certificate | pkijs.CertificateRevocationList, issuer: GostKey) {
  const alg = algorithm(GOST_VARIANTS[issuer.variant].signature);
  target.signature = alg;
  target.signatureAlgorithm = alg;
  // encodeTBS is protected on CertificateRevocationList's type, public in its JavaScript.
  const tbs = new Uint8Array((target as unknown as { encodeTBS(): asn1js.Sequence }).encodeTBS().toBER(false));
  target.signatureValue = new asn1js.BitString({ valueHex: ab(referenceSign(issuer, tbs)) });
}

export interface GostCertOptions {
  variant?: GostVariant;
  cn?: string;
  iin?: string;
  bin?: string;
  roles?: string[];
  crlUrl?: string;
  notBefore?: Date;
  notAfter?: Date;
  /** the issuing CA; none makes a self-signed CA */
  issuer?: GostCertificate;
}

export function gostCertificate(o: GostCertOptions = {}): GostCertificate {
  const variant = o.variant ?? o.issuer?.key.variant ?? "2015-512";
  const key = gostKey(variant);
  const isCa = !o.issuer;
  const attrs: Array<[string, string]> = [
    ["2.5.4.3", o.cn ?? (isCa ? `Qujat GOST ${variant} Test CA` : "GOST Test Signer")],
  ];
  if (o.iin) attrs.push(["2.5.4.5", `IIN${o.iin}`]);
  attrs.push(["2.5.4.6", "KZ"]);
  if (o.bin) attrs.push(["2.5.4.11", `BIN${o.bin}`]);
  const subject = name(attrs);
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: ++serialCounter });
  cert.issuer = o.issuer ? o.issuer.subject : subject;
  cert.subject = subject;
  cert.notBefore.value = o.notBefore ?? new Date(Date.now() - 24 * 3600e3);
  cert.notAfter.value = o.notAfter ?? new Date(Date.now() + 365 * 24 * 3600e3);
  cert.subjectPublicKeyInfo = spki(key);
  const extensions = caOrSignerExtensions(isCa);
  if (!isCa) {
    const purposes = ["1.3.6.1.5.5.7.3.4", ...(o.roles ?? []).map((r) => NCA_ROLE_OIDS[r])];
    extensions.push(
      new pkijs.Extension({
        extnID: "2.5.29.37",
        extnValue: new pkijs.ExtKeyUsage({ keyPurposes: purposes }).toSchema().toBER(false),
      }),
    );
    extensions.push(
      new pkijs.Extension({
        extnID: "2.5.29.32",
        extnValue: new pkijs.CertificatePolicies({
          certificatePolicies: [new pkijs.PolicyInformation({ policyIdentifier: "1.2.398.3.3.2.3" })],
        })
          .toSchema()
          .toBER(false),
      }),
    );
  }
  if (o.crlUrl) extensions.push(crlDistributionPoints(o.crlUrl));
  cert.extensions = extensions;
  signTbs(cert, o.issuer?.key ?? key);
  const der = Buffer.from(cert.toSchema(true).toBER(false));
  return { der, cert: new pkijs.Certificate({ schema: asn1js.fromBER(new Uint8Array(der)).result }), key, subject };
}

/** A CRL the CA signs (through the reference library), revoking `revoked` serials (hex). */
export function gostCrl(
  ca: GostCertificate,
  revoked: Array<{ serial: string; at?: Date }> = [],
  o: { thisUpdate?: Date; nextUpdate?: Date } = {},
): Buffer {
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1;
  crl.issuer = ca.subject;
  crl.thisUpdate = new pkijs.Time({ type: 0, value: o.thisUpdate ?? new Date(Date.now() - 3600e3) });
  crl.nextUpdate = new pkijs.Time({ type: 0, value: o.nextUpdate ?? new Date(Date.now() + 24 * 3600e3) });
  if (revoked.length) {
    crl.revokedCertificates = revoked.map(
      (r) =>
        new pkijs.RevokedCertificate({
          userCertificate: new asn1js.Integer({ valueHex: ab(Buffer.from(r.serial, "hex")) }),
          revocationDate: new pkijs.Time({ type: 0, value: r.at ?? new Date(Date.now() - 1800e3) }),
        }),
    );
  }
  signTbs(crl, ca.key);
  return Buffer.from(crl.toSchema(true).toBER(false));
}

/** A detached CAdES-BES CMS over `content`, signed by `signer` through the reference library. */
export function gostCms(signer: GostCertificate, content: Uint8Array, chain: GostCertificate[] = []): Buffer {
  const v = GOST_VARIANTS[signer.key.variant];
  const attrs = new pkijs.SignedAndUnsignedAttributes({
    type: 0,
    attributes: [
      new pkijs.Attribute({
        type: "1.2.840.113549.1.9.3",
        values: [new asn1js.ObjectIdentifier({ value: "1.2.840.113549.1.7.1" })],
      }),
      new pkijs.Attribute({ type: "1.2.840.113549.1.9.5", values: [new asn1js.UTCTime({ valueDate: new Date() })] }),
      new pkijs.Attribute({
        type: "1.2.840.113549.1.9.4",
        values: [new asn1js.OctetString({ valueHex: ab(referenceDigest(signer.key.variant, content)) })],
      }),
    ],
  });
  // The signature is over the DER of the attributes as a SET (tag 0x31), not as the [0] they are stored under.
  const encoded = new Uint8Array(attrs.toSchema().toBER(false));
  encoded[0] = 0x31;
  const si = new pkijs.SignerInfo({
    version: 1,
    sid: new pkijs.IssuerAndSerialNumber({ issuer: signer.cert.issuer, serialNumber: signer.cert.serialNumber }),
    digestAlgorithm: algorithm(v.digest),
    signedAttrs: attrs,
    signatureAlgorithm: algorithm(v.signature),
    signature: new asn1js.OctetString({ valueHex: ab(referenceSign(signer.key, encoded)) }),
  });
  const sd = new pkijs.SignedData({
    version: 1,
    digestAlgorithms: [algorithm(v.digest)],
    encapContentInfo: new pkijs.EncapsulatedContentInfo({ eContentType: "1.2.840.113549.1.7.1" }),
    certificates: [signer.cert, ...chain.map((c) => c.cert)],
    signerInfos: [si],
  });
  const ci = new pkijs.ContentInfo({ contentType: "1.2.840.113549.1.7.2", content: sd.toSchema(true) });
  return Buffer.from(ci.toSchema().toBER(false));
}
