// Detached CMS (CAdES-BES) made by the appliance's own keys (SPEC R3.1): the parts that do not
// change between signatures — the certificate, the signer identifier, the algorithm identifiers,
// the ESS signing-certificate-v2 attribute — are encoded once per key; a signature then encodes
// only its signed attributes (content type, signing time, message digest) and the final wrapping.
// That keeps the appliance's own work per signature to microseconds, so HSM signing runs at the
// HSM's rate (see scripts/bench). The result is ordinary DER that `openssl cms -verify` checks.
import { createHash } from "node:crypto";
import type * as Pkijs from "pkijs";
import { pkiModules } from "./cms.js";
import { OIDS } from "./oids.js";

// --- minimal DER writer ---------------------------------------------------------------------

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
export const tlv = (tag: number, ...parts: Buffer[]): Buffer => {
  const body = parts.length === 1 ? parts[0] : Buffer.concat(parts);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const seq = (...parts: Buffer[]) => tlv(0x30, ...parts);
const set = (...parts: Buffer[]) => tlv(0x31, ...parts);
const octets = (b: Buffer) => tlv(0x04, b);
const oidCache = new Map<string, Buffer>();
function oid(dotted: string): Buffer {
  let hit = oidCache.get(dotted);
  if (!hit) oidCache.set(dotted, (hit = encodeOid(dotted)));
  return hit;
}
function encodeOid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const parts: number[] = [];
    let v = n;
    do {
      parts.unshift(v & 0x7f);
      v = Math.floor(v / 128);
    } while (v > 0);
    for (let i = 0; i < parts.length - 1; i++) parts[i] |= 0x80;
    out.push(...parts);
  }
  return tlv(0x06, Buffer.from(out));
}
const NULL = Buffer.from([0x05, 0x00]);
const integer = (n: number) => tlv(0x02, Buffer.from([n]));
function utcTime(d: Date): Buffer {
  const p = (n: number) => String(n).padStart(2, "0");
  const y = d.getUTCFullYear();
  const s = `${p(y % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return y >= 1950 && y < 2050
    ? tlv(0x17, Buffer.from(s, "latin1"))
    : tlv(0x18, Buffer.from(String(y) + s.slice(2), "latin1"));
}
/** A DER SET OF: members sorted by their encodings (X.690 11.6). */
const setOf = (members: Buffer[]) => set(...[...members].sort(Buffer.compare));

/** ECDSA signature from WebCrypto's r||s to the DER Ecdsa-Sig-Value CMS carries. */
export function ecdsaToDer(raw: Buffer): Buffer {
  const half = raw.length / 2;
  const int = (b: Buffer) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    return tlv(0x02, v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
  };
  return seq(int(raw.subarray(0, half)), int(raw.subarray(half)));
}

export type KeyKind = "rsa" | "ec";

export const algorithmId = (o: string, params?: Buffer) => seq(oid(o), ...(params ? [params] : []));
export { oid, octets, seq, set, setOf, utcTime, integer, NULL };

/** DER INTEGER from unsigned big-endian bytes. */
export function unsignedInteger(bytes: Buffer): Buffer {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  return tlv(0x02, v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

/** GeneralizedTime with milliseconds, as RFC 3161 timestamps carry them (YYYYMMDDHHMMSS.fffZ, trailing zeros dropped). */
export function generalizedTime(d: Date): Buffer {
  const iso = d.toISOString(); // 2026-11-21T09:16:30.123Z
  let frac = iso.slice(20, 23).replace(/0+$/, "");
  frac = frac ? "." + frac : "";
  return tlv(0x18, Buffer.from(iso.slice(0, 19).replace(/[-:T]/g, "") + frac + "Z", "latin1"));
}

/** What a key's CMS signatures share, encoded once. */
export class CmsTemplate {
  private constructor(
    readonly certificate: Buffer,
    readonly cert: Pkijs.Certificate,
    readonly kind: KeyKind,
    private readonly sid: Buffer,
    private readonly essAttribute: Buffer,
  ) {}

  static async forCertificate(der: Buffer): Promise<CmsTemplate> {
    const { asn1js, pkijs } = await pkiModules();
    const cert = new pkijs.Certificate({ schema: asn1js.fromBER(new Uint8Array(der)).result });
    const spki = cert.subjectPublicKeyInfo.algorithm.algorithmId;
    const kind: KeyKind = spki === OIDS.ecPublicKey ? "ec" : "rsa";
    const issuer = Buffer.from(cert.issuer.toSchema().toBER(false));
    const serial = Buffer.from(cert.serialNumber.toBER(false));
    const sid = seq(issuer, serial);
    // ESS signing-certificate-v2 (RFC 5035), required by CAdES-BES: binds the signer's certificate.
    const certHash = createHash("sha256").update(der).digest();
    const ess = seq(
      oid(OIDS.signingCertificateV2),
      set(seq(seq(seq(octets(certHash), seq(seq(tlv(0xa4, issuer)), serial))))),
    );
    return new CmsTemplate(der, cert, kind, sid, ess);
  }

  // Encoded once: the attributes and algorithm identifiers that never change.
  private readonly contentTypeAttr = seq(oid(OIDS.contentType), set(oid(OIDS.data)));
  private readonly signingTimeOid = oid(OIDS.signingTime);
  private readonly messageDigestOid = oid(OIDS.messageDigest);
  private readonly sha256Id = algorithmId(OIDS.sha256);
  private readonly versionAndSid = Buffer.concat([integer(1), this.sid, this.sha256Id]);
  private readonly signatureAlgorithmId =
    this.kind === "rsa" ? algorithmId(OIDS.rsaEncryption, NULL) : algorithmId(OIDS.ecdsaWithSha256);
  private readonly signedDataHead = Buffer.concat([
    integer(1),
    set(this.sha256Id),
    seq(oid(OIDS.data)),
    tlv(0xa0, this.certificate),
  ]);
  private readonly contentInfoOid = oid(OIDS.signedData);

  /**
   * The signed attributes as the DER SET that is signed (its encoding with the [0] tag goes into
   * the CMS). `contentType`: id-data for signatures, id-ct-TSTInfo for timestamp tokens.
   */
  signedAttributes(digest: Buffer, at: Date, contentType = OIDS.data): Buffer {
    return setOf([
      contentType === OIDS.data ? this.contentTypeAttr : seq(oid(OIDS.contentType), set(oid(contentType))),
      seq(this.signingTimeOid, set(utcTime(at))),
      seq(this.messageDigestOid, set(octets(digest))),
      this.essAttribute,
    ]);
  }

  /**
   * The ContentInfo (DER) of a detached SignedData: `signedAttrs` from signedAttributes(),
   * `signature` as the key produced it (WebCrypto's r||s for ECDSA). `unsigned` are ready encoded
   * Attribute SEQUENCEs (a timestamp token for CAdES-T).
   */
  assemble(
    signedAttrs: Buffer,
    signature: Buffer,
    unsigned: Buffer[] = [],
    encapsulated?: { type: string; content: Buffer },
  ): Buffer {
    const value = this.kind === "rsa" ? signature : ecdsaToDer(signature);
    const signerInfo = seq(
      this.versionAndSid,
      retag(0xa0, signedAttrs), // [0] IMPLICIT SET OF Attribute
      this.signatureAlgorithmId,
      octets(value),
      ...(unsigned.length ? [retag(0xa1, setOf(unsigned))] : []), // [1] IMPLICIT
    );
    if (encapsulated) {
      // An attached SignedData of another content type (a timestamp token's TSTInfo): version 3 (RFC 5652 §5.1).
      const head = Buffer.concat([
        integer(3),
        set(this.sha256Id),
        seq(oid(encapsulated.type), tlv(0xa0, octets(encapsulated.content))),
        tlv(0xa0, this.certificate),
      ]);
      return seq(this.contentInfoOid, tlv(0xa0, seq(head, set(signerInfo))));
    }
    return seq(this.contentInfoOid, tlv(0xa0, seq(this.signedDataHead, set(signerInfo))));
  }
}

/** The same element under another tag (IMPLICIT tagging). */
const retag = (tag: number, der: Buffer) => Buffer.concat([Buffer.from([tag]), der.subarray(1)]);
