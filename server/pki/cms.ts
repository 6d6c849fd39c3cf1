// Checking a detached CMS (CAdES-BES) signature over a document's content (SPEC R3.1): the
// structure, the signer's certificate carried inside it, the message-digest attribute against the
// content hash we already hold, and the signature over the signed attributes. Trust in the
// certificate, its owner and its revocation are checked after this one (domain/signatures/validation.ts).
//
// pkijs is pinned to 3.4.x: it parses CMS about 1.7x faster than 4.0 on these machines.
import type * as Asn1js from "asn1js";
import { webcrypto } from "node:crypto";
import type * as Pkijs from "pkijs";
import { AppError, UnprocessableError, ValidationError } from "../errors.js";
import { parsedCertificate, spkiOf, verifiedBy } from "./certificates.js";
import { nationalAlgorithmLabel } from "./gost/labels.js";
import { publicKeyRef, SignatureFormatError, signatureProviders, UnsupportedAlgorithmError } from "./providers.js";
import { OIDS, SHA2_DIGESTS } from "./oids.js";
import { bytesOf, childrenOf, contentOf, DerError, oidOf, tlvAt, type Tlv } from "./der.js";

// pkijs and asn1js are loaded on first use: an appliance that has not verified a signature since it
// started does not carry them (they cost startup time and resident memory).
let asn1js: typeof Asn1js;
let pkijs: typeof Pkijs;
let loading: Promise<void> | null = null;
function loadPki(): Promise<void> {
  loading ??= (async () => {
    asn1js = await import("asn1js");
    pkijs = await import("pkijs");
    pkijs.setEngine(
      "node",
      new pkijs.CryptoEngine({
        name: "node",
        crypto: webcrypto as unknown as ConstructorParameters<typeof pkijs.CryptoEngine>[0]["crypto"],
      }),
    );
  })();
  return loading;
}

/**
 * asn1js.fromBER that never throws: asn1js throws plain errors (RangeError) on some malformed
 * input, e.g. a UniversalString whose length is not a multiple of 4. Those are "not DER" too.
 */
export function fromBer(bytes: Uint8Array): { offset: number; result: Asn1js.AsnType } {
  try {
    return asn1js.fromBER(bytes);
  } catch {
    return { offset: -1, result: undefined as unknown as Asn1js.AsnType };
  }
}

/** The one DER element `bytes` hold, nothing before or after it; else the caller's `malformed()`. */
export function wholeDer(bytes: Uint8Array, malformed: () => Error): Asn1js.AsnType {
  const asn1 = fromBer(bytes);
  if (asn1.offset === -1 || asn1.offset !== bytes.length) throw malformed();
  return asn1.result;
}

/**
 * Runs a parser of outside bytes: whatever it throws that is not already a ValidationError (a
 * library's RangeError or TypeError on bytes it cannot make sense of) becomes `malformed` (400).
 */
export async function parsingOutside<T>(
  malformed: (why: string) => ValidationError,
  run: () => Promise<T>,
): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw malformed((err as Error).message);
  }
}

/** pkijs and asn1js, loaded (once) with the node WebCrypto engine set. */
export async function pkiModules(): Promise<{ asn1js: typeof Asn1js; pkijs: typeof Pkijs }> {
  await loadPki();
  return { asn1js, pkijs };
}

const SUBJECT_KEY_IDENTIFIER = "2.5.29.14";

const RDN_NAMES: Record<string, string> = {
  "2.5.4.3": "CN",
  "2.5.4.4": "SN",
  "2.5.4.42": "G",
  "2.5.4.5": "SERIALNUMBER",
  "2.5.4.6": "C",
  "2.5.4.7": "L",
  "2.5.4.8": "ST",
  "2.5.4.10": "O",
  "2.5.4.11": "OU",
  "1.2.840.113549.1.9.1": "E",
  "2.5.4.12": "T",
};

export interface CertificateSummary {
  subject: string;
  issuer: string;
  serialNumber: string; // hex
  notBefore: string;
  notAfter: string;
  der: Buffer;
}

export interface DetachedCmsCheck {
  digestAlgorithm: string;
  signatureAlgorithm: string;
  /** the message digest the signer signed, hex */
  messageDigest: string;
  signingTime: string | null;
  signer: CertificateSummary;
  /** the signer's certificate as parsed here, so later checks need not parse it again */
  signerCertificate: Pkijs.Certificate;
  /** every certificate the CMS carries, the signer's included (chains are built from them) */
  certificates: Array<{ cert: Pkijs.Certificate; der: Buffer }>;
}

export interface SignedContent {
  sha256: string;
  /** The content itself, read only when the digest is not SHA-256 or the CMS has no signed attributes. */
  read(): Promise<Buffer>;
}

const malformed = (why: string) => new ValidationError("cms_malformed", `Not a detached CMS signature: ${why}`);

export const nameToString = (n: Pkijs.RelativeDistinguishedNames) =>
  n.typesAndValues.map((tv) => `${RDN_NAMES[tv.type] ?? tv.type}=${String(tv.value.valueBlock.value)}`).join(", ");

export function summarizeCertificate(c: Pkijs.Certificate): CertificateSummary {
  return {
    subject: nameToString(c.subject),
    issuer: nameToString(c.issuer),
    serialNumber: Buffer.from(c.serialNumber.valueBlock.valueHexView).toString("hex"),
    notBefore: c.notBefore.value.toISOString(),
    notAfter: c.notAfter.value.toISOString(),
    der: Buffer.from(c.toSchema().toBER(false)),
  };
}

/** DER, or PEM with a CMS / PKCS7 label. */
export function cmsBytes(raw: Buffer): Buffer {
  const text = raw.subarray(0, 64).toString("latin1");
  if (!text.startsWith("-----BEGIN")) return raw;
  const m = /-----BEGIN (CMS|PKCS7)-----([\s\S]*?)-----END \1-----/.exec(raw.toString("latin1"));
  if (!m) throw malformed("PEM without a CMS or PKCS7 block");
  return Buffer.from(m[2].replace(/\s+/g, ""), "base64");
}

function signerCertificate(certs: Pkijs.Certificate[], si: Pkijs.SignerInfo): Pkijs.Certificate {
  const sid = si.sid;
  const found =
    sid instanceof pkijs.IssuerAndSerialNumber
      ? certs.find((c) => c.issuer.isEqual(sid.issuer) && c.serialNumber.isEqual(sid.serialNumber))
      : certs.find((c) => {
          const ski = c.extensions?.find((e) => e.extnID === SUBJECT_KEY_IDENTIFIER)?.parsedValue as
            Asn1js.OctetString | undefined;
          return (
            ski &&
            Buffer.from(ski.valueBlock.valueHexView).equals(
              Buffer.from((sid as Asn1js.OctetString).valueBlock.valueHexView),
            )
          );
        });
  if (!found)
    throw new ValidationError(
      "cms_signer_certificate_missing",
      "The CMS does not carry the signer's certificate; sign with the certificate included",
    );
  return found;
}

/**
 * Parses and checks a detached CMS over `content`. Throws 400 for what is not a usable detached CMS,
 * 422 when it is well formed but does not sign this content or its signature does not verify.
 */
export async function verifyDetachedCms(raw: Buffer, content: SignedContent): Promise<DetachedCmsCheck> {
  await loadPki();
  const fast = await fastVerify(cmsBytes(raw), content);
  return fast ?? verifyDetachedCmsFully(raw, content);
}

/** The full pkijs path: every shape of CMS, and the precise error for whatever is wrong. */
export async function verifyDetachedCmsFully(raw: Buffer, content: SignedContent): Promise<DetachedCmsCheck> {
  // Whatever the libraries throw on bytes they cannot make sense of is "malformed" (400); our own
  // content reader's failures pass through unchanged.
  const reading = new Set<unknown>();
  const guardedContent: SignedContent = {
    sha256: content.sha256,
    read: () =>
      content.read().catch((err) => {
        reading.add(err);
        throw err;
      }),
  };
  try {
    return await verifyFully(raw, guardedContent);
  } catch (err) {
    if (err instanceof AppError || reading.has(err)) throw err;
    throw malformed((err as Error).message);
  }
}

async function verifyFully(raw: Buffer, content: SignedContent): Promise<DetachedCmsCheck> {
  await loadPki();
  // Whatever pkijs throws here becomes cms_malformed (verifyDetachedCmsFully).
  const ci = new pkijs.ContentInfo({ schema: wholeDer(new Uint8Array(cmsBytes(raw)), () => malformed("not DER")) });
  if (ci.contentType !== OIDS.signedData) throw malformed("not SignedData");
  const sd = new pkijs.SignedData({ schema: ci.content });
  if (sd.encapContentInfo.eContent)
    throw new ValidationError("cms_not_detached", "The CMS carries the content inside it; post a detached signature");
  if (sd.signerInfos.length !== 1)
    throw new ValidationError("cms_signer_count", "Post one signer per CMS", { signers: sd.signerInfos.length });
  const si = sd.signerInfos[0];
  const digest = digestOf(si.digestAlgorithm.algorithmId);
  if (!digest) {
    throw new ValidationError(
      "cms_digest_unsupported",
      "Digest algorithm not supported (SHA-256, SHA-384, SHA-512, GOST R 34.11-94, Streebog-256/512, GOST 34.311-95 are)",
      { oid: si.digestAlgorithm.algorithmId },
    );
  }
  const carried = (sd.certificates ?? []).filter((c): c is Pkijs.Certificate => c instanceof pkijs.Certificate);
  const cert = signerCertificate(carried, si);

  const contentDigest = () => digest.of(content);

  let signedData: ArrayBuffer;
  let messageDigest: string;
  let signingTime: string | null = null;
  if (si.signedAttrs) {
    const attrs = si.signedAttrs.attributes;
    const md = attrs.find((a) => a.type === OIDS.messageDigest)?.values[0] as Asn1js.OctetString | undefined;
    const ct = attrs.find((a) => a.type === OIDS.contentType)?.values[0] as Asn1js.ObjectIdentifier | undefined;
    if (!md || !ct) throw malformed("signed attributes lack content-type or message-digest");
    if (ct.valueBlock.toString() !== OIDS.data) throw malformed("signed content type is not id-data");
    const st = attrs.find((a) => a.type === OIDS.signingTime)?.values[0] as
      Asn1js.UTCTime | Asn1js.GeneralizedTime | undefined;
    if (st && "toDate" in st) signingTime = st.toDate().toISOString();
    messageDigest = Buffer.from(md.valueBlock.valueHexView).toString("hex");
    const expected = await contentDigest();
    if (messageDigest !== expected) {
      throw new UnprocessableError(
        "digest_mismatch",
        "The signature is over other content: its message digest is not this document's hash",
        {
          signedDigest: messageDigest,
          contentDigest: expected,
        },
      );
    }
    signedData = si.signedAttrs.encodedValue;
  } else {
    const bytes = await content.read();
    messageDigest = await contentDigest();
    signedData = new Uint8Array(bytes).buffer;
  }
  let ok: boolean;
  try {
    ok = await verifiedBy(cert, {
      algorithm: si.signatureAlgorithm,
      data: new Uint8Array(signedData),
      signature: si.signature.valueBlock.valueHexView,
      digestAlgorithm: si.digestAlgorithm.algorithmId,
    });
  } catch (err) {
    if (err instanceof SignatureFormatError)
      throw new UnprocessableError("signature_malformed", `The signature cannot be checked: ${err.message}`, {
        oid: si.signatureAlgorithm.algorithmId,
      });
    if (!(err instanceof UnsupportedAlgorithmError)) throw err;
    throw new ValidationError(
      "cms_algorithm_unsupported",
      `Signature algorithm not supported: ${(err as Error).message}`,
      { oid: si.signatureAlgorithm.algorithmId },
    );
  }
  if (!ok)
    throw new UnprocessableError("signature_invalid", "The signature does not verify with the signer's certificate");
  return {
    digestAlgorithm: digest.name,
    signatureAlgorithm: signatureAlgorithmName(si.signatureAlgorithm.algorithmId),
    messageDigest,
    signingTime,
    signer: summarizeCertificate(cert),
    signerCertificate: cert,
    certificates: carried.map((c) => ({ cert: c, der: Buffer.from(c.toSchema().toBER(false)) })),
  };
}

// ---------------------------------------------------------------------------------------------
// The fast path: the common CAdES-BES shape (one signer named by issuer and serial, signed
// attributes, SHA-2, a signature algorithm a provider supports) read with a bare DER walk and
// verified through the signature providers, certificates from the parse cache. Anything else — and any failure — goes to the
// full pkijs path above, which gives the precise error. Same result either way (tests compare).

/** How reports name a signature algorithm (rsaEncryption as a CMS signature algorithm is PKCS#1 v1.5 signing). */
function signatureAlgorithmName(oid: string): string {
  if (oid === OIDS.rsaEncryption || /^1\.2\.840\.113549\.1\.1\.(5|11|12|13)$/.test(oid)) return "RSASSA-PKCS1-v1_5";
  if (oid === "1.2.840.113549.1.1.10") return "RSA-PSS";
  if (oid.startsWith("1.2.840.10045.4.")) return "ECDSA";
  return nationalAlgorithmLabel(oid) ?? oid;
}

// The national digests (SPEC R3.4), computed by the signature providers that know them.
const NATIONAL_DIGESTS: Record<string, string> = {
  "1.2.398.3.10.1.3.1": "GOST R 34.11-94",
  "1.2.398.3.10.1.3.2": "Streebog-256",
  "1.2.398.3.10.1.3.3": "Streebog-512",
  "1.2.804.2.1.1.1.1.2.1": "GOST 34.311-95",
};

interface ContentDigest {
  name: string;
  /** the content's digest, hex: SHA-256 from what registration already computed, any other read and hashed */
  of(content: SignedContent): Promise<string>;
}

/** The digest a CMS names, or null when none we know. */
export function digestOf(oid: string): ContentDigest | null {
  const name = SHA2_DIGESTS[oid]?.name ?? NATIONAL_DIGESTS[oid];
  if (!name) return null;
  // SHA-256 is the hash registration already computed; any other digest reads the content and asks
  // the provider that knows it (node:crypto for SHA-2, the national providers for theirs).
  return {
    name,
    of: async (c) => (oid === OIDS.sha256 ? c.sha256 : signatureProviders.digest(oid, await c.read())!.toString("hex")),
  };
}

function timeOf(buf: Buffer, t: Tlv): string | null {
  const v = contentOf(buf, t).toString("latin1");
  const m =
    t.tag === 0x17
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(v)
      : t.tag === 0x18
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(?:\.\d+)?Z$/.exec(v)
        : null;
  if (!m) return null;
  const year = t.tag === 0x17 ? (Number(m[1]) < 50 ? 2000 : 1900) + Number(m[1]) : Number(m[1]);
  return new Date(
    Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])),
  ).toISOString();
}

async function fastVerify(der: Buffer, content: SignedContent): Promise<DetachedCmsCheck | null> {
  let parts;
  try {
    const ci = tlvAt(der, 0);
    if (ci.tag !== 0x30 || ci.end !== der.length) return null;
    const [type, wrapped] = childrenOf(der, ci);
    if (!wrapped || oidOf(der, type) !== OIDS.signedData || wrapped.tag !== 0xa0) return null;
    const sd = tlvAt(der, wrapped.body, wrapped.end);
    const kids = childrenOf(der, sd);
    const encap = kids[2];
    if (!encap || encap.tag !== 0x30 || childrenOf(der, encap).length !== 1) return null; // attached: the full path says so
    const certSet = kids.find((k) => k.tag === 0xa0);
    const signerSet = kids[kids.length - 1];
    if (!certSet || signerSet.tag !== 0x31) return null;
    const signers = childrenOf(der, signerSet);
    if (signers.length !== 1) return null;
    const [, sid, digestAlg, attrs, sigAlg, signature] = childrenOf(der, signers[0]);
    if (!signature || sid.tag !== 0x30 || attrs.tag !== 0xa0 || signature.tag !== 0x04) return null;
    const digestOid = oidOf(der, childrenOf(der, digestAlg)[0]);
    const digest = digestOf(digestOid);
    const [sigOidTlv, sigParams] = childrenOf(der, sigAlg);
    const sigOid = oidOf(der, sigOidTlv);
    if (!digest) return null;
    const [sidIssuer, sidSerial] = childrenOf(der, sid);
    const certs = childrenOf(der, certSet).map((c) => bytesOf(der, c));
    const signerDer = certs.find((c) => {
      const tbs = childrenOf(c, tlvAt(c, 0))[0];
      const f = childrenOf(c, tbs);
      const i = f[0].tag === 0xa0 ? 1 : 0; // [0] version
      return (
        contentOf(c, f[i]).equals(contentOf(der, sidSerial)) && bytesOf(c, f[i + 2]).equals(bytesOf(der, sidIssuer))
      );
    });
    if (!signerDer) return null;
    let messageDigest: string | null = null;
    let contentTypeOk = false;
    let signingTime: string | null = null;
    for (const a of childrenOf(der, attrs)) {
      const [t, values] = childrenOf(der, a);
      const attrOid = oidOf(der, t);
      const value = childrenOf(der, values)[0];
      if (attrOid === OIDS.messageDigest && value?.tag === 0x04) messageDigest = contentOf(der, value).toString("hex");
      else if (attrOid === OIDS.contentType && value) contentTypeOk = oidOf(der, value) === OIDS.data;
      else if (attrOid === OIDS.signingTime && value) signingTime = timeOf(der, value);
    }
    if (!messageDigest || !contentTypeOk) return null;
    parts = {
      digest,
      digestOid,
      sigOid,
      sigParams: sigParams && sigParams.tag !== 0x05 ? bytesOf(der, sigParams) : undefined,
      signerDer,
      certs,
      messageDigest,
      signingTime,
      attrs,
      signature: contentOf(der, signature),
    };
  } catch (err) {
    if (err instanceof DerError) return null;
    throw err;
  }
  const expected = await parts.digest.of(content);
  if (parts.messageDigest !== expected) return null; // the full path reports digest_mismatch
  const certificates = [];
  try {
    for (const c of parts.certs) certificates.push(await parsedCertificate(c));
  } catch {
    return null;
  }
  const signer = certificates[parts.certs.indexOf(parts.signerDer)];
  const signedAttrs = Buffer.concat([Buffer.from([0x31]), der.subarray(parts.attrs.start + 1, parts.attrs.end)]);
  let ok: boolean;
  try {
    ok = await signatureProviders.verify({
      publicKey: publicKeyRef(spkiOf(signer.cert)),
      signatureAlgorithm: parts.sigOid,
      signatureParameters: parts.sigParams,
      digestAlgorithm: parts.digestOid,
      data: signedAttrs,
      signature: parts.signature,
    });
  } catch {
    return null; // unsupported: the full path names it
  }
  if (!ok) return null;
  const i = signer.info;
  return {
    digestAlgorithm: parts.digest.name,
    signatureAlgorithm: signatureAlgorithmName(parts.sigOid),
    messageDigest: parts.messageDigest,
    signingTime: parts.signingTime,
    signer: {
      subject: i.subject,
      issuer: i.issuer,
      serialNumber: i.serialNumber,
      notBefore: i.notBefore,
      notAfter: i.notAfter,
      der: signer.der,
    },
    signerCertificate: signer.cert,
    certificates: certificates.map((c) => ({ cert: c.cert, der: c.der })),
  };
}
