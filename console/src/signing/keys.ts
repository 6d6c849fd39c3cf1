// A private key from a key file, bound to its certificate, signing a detached CMS (RFC 5652) in the
// browser. RSA and ECDSA P-256 sign through WebCrypto (the key imported non-extractable); KZ GOST
// 34.310-2004 / 34.10-2015 and UA DSTU 4145 through the same curve code the server verifies with
// (server/pki/gost), so a signature made here is checked by the code that pins it on real vectors.
// The key lives in this tab's memory only and is never sent anywhere.
import {
  BinaryCurve,
  DEFAULT_DKE,
  NAMED,
  unpackDke,
  type BinaryCurveParams,
} from "../../../server/pki/gost/dstu4145.js";
import { gost94, type SBox } from "../../../server/pki/gost/gost94.js";
import { CURVES, DIGESTS, KEYS } from "../../../server/pki/gost/kzGost.js";
import { bigIntToLe, leToBigInt } from "../../../server/pki/gost/primeCurve.js";
import type { CertificateSummary } from "./certificate.js";
import {
  children,
  compareBytes,
  element,
  integer,
  intValue,
  NULL,
  octets,
  oid,
  oidText,
  parse,
  sameBytes,
  seq,
  set,
  tlv,
  value,
  type El,
} from "./der.js";

export class KeyFileError extends Error {
  constructor(
    readonly code: "wrong_password" | "not_a_key_file" | "unsupported_key" | "no_certificate" | "no_key",
    message: string,
  ) {
    super(message);
  }
}

const OID = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
  sha256: "2.16.840.1.101.3.4.2.1",
  rsaEncryption: "1.2.840.113549.1.1.1",
  sha256WithRsa: "1.2.840.113549.1.1.11",
  ecPublicKey: "1.2.840.10045.2.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
  p256: "1.2.840.10045.3.1.7",
  dstu: "1.2.804.2.1.1.1.1.3.1.1",
  dstuHash: "1.2.804.2.1.1.1.1.2.1",
  dstuNamed: "1.2.804.2.1.1.1.1.3.1.1.2.",
};

/** What a key signs with: the CMS digest and signature algorithms, and the raw signature of the signed attributes. */
interface Engine {
  label: string;
  digestOid: string;
  digest(data: Uint8Array): Promise<Uint8Array>;
  /** the SignerInfo's signatureAlgorithm, whole */
  signatureAlgorithm: Uint8Array;
  sign(signedAttrs: Uint8Array): Promise<Uint8Array>;
  /** whether this certificate's public key is this key's */
  matches(cert: CertificateSummary): boolean;
}

/** A PrivateKeyInfo (PKCS#8) or a DSTU key of the same shape: its algorithm decides the engine. */
export async function engineOf(pkcs8: Uint8Array, dstuCurveFrom?: CertificateSummary): Promise<Engine> {
  let top: El;
  try {
    top = parse(pkcs8);
  } catch {
    throw new KeyFileError("not_a_key_file", "not a private key");
  }
  const [, alg, key] = children(top);
  const [algOid, params] = children(alg);
  const keyOid = oidText(algOid);
  if (keyOid === OID.rsaEncryption || keyOid === OID.ecPublicKey) return webCryptoEngine(pkcs8, keyOid, value(key));
  if (KEYS[keyOid]) return gostEngine(keyOid, params, value(key));
  if (keyOid === OID.dstu) return dstuEngine(params ?? dstuCurveFrom?.keyParams ?? null, value(key));
  throw new KeyFileError("unsupported_key", `keys of algorithm ${keyOid} are not supported`);
}

async function webCryptoEngine(pkcs8: Uint8Array, keyOid: string, inner: Uint8Array): Promise<Engine> {
  const ec = keyOid === OID.ecPublicKey;
  const algorithm = ec ? { name: "ECDSA", namedCurve: "P-256" } : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  if (!globalThis.crypto?.subtle)
    throw new KeyFileError("unsupported_key", "this browser signs with a key file only on a secure page (HTTPS)");
  const key = await crypto.subtle.importKey("pkcs8", pkcs8 as BufferSource, algorithm, false, ["sign"]).catch(() => {
    throw new KeyFileError("unsupported_key", ec ? "only P-256 EC keys are supported" : "the RSA key does not import");
  });
  // The public half, to find the certificate: an RSA key's modulus; an EC key's point when the file carries it.
  const body = children(parse(inner));
  const publicPart = ec
    ? body.find((e) => e.tag === 0xa1)
      ? value(children(body.find((e) => e.tag === 0xa1)!)[0]).subarray(1)
      : null
    : value(body[1]);
  return {
    label: ec ? "ECDSA P-256" : "RSA",
    digestOid: OID.sha256,
    digest: async (d) => new Uint8Array(await crypto.subtle.digest("SHA-256", d as BufferSource)),
    signatureAlgorithm: ec ? seq(oid(OID.ecdsaWithSha256)) : seq(oid(OID.sha256WithRsa), NULL),
    async sign(attrs) {
      const raw = new Uint8Array(
        await crypto.subtle.sign(ec ? { name: "ECDSA", hash: "SHA-256" } : algorithm, key, attrs as BufferSource),
      );
      if (!ec) return raw;
      const half = raw.length / 2;
      return seq(integer(raw.subarray(0, half)), integer(raw.subarray(half)));
    },
    matches(cert) {
      if (cert.keyAlgorithm !== keyOid || !publicPart) return false;
      if (ec) return sameBytes(cert.publicKey, publicPart);
      const modulus = (b: Uint8Array) => {
        let i = 0;
        while (b[i] === 0) i++;
        return b.subarray(i);
      };
      return sameBytes(modulus(value(children(parse(cert.publicKey))[0])), modulus(publicPart));
    },
  };
}

/** The private scalar: an INTEGER (big-endian) or an OCTET STRING / raw bytes (little-endian, as CryptoPro and IIT keep it). */
function scalarOf(inner: Uint8Array): bigint {
  try {
    const el = parse(inner);
    if (el.tag === 0x02) return intValue(el);
    if (el.tag === 0x04) return leToBigInt(value(el));
  } catch {
    /* raw bytes */
  }
  return leToBigInt(inner);
}

function gostEngine(keyOid: string, params: El | undefined, inner: Uint8Array): Engine {
  const meta = KEYS[keyOid];
  const curveOid = params ? oidText(children(params)[0]) : meta.curves[0];
  const curve = CURVES[curveOid];
  if (!curve || !meta.curves.includes(curveOid))
    throw new KeyFileError("unsupported_key", `GOST curve ${curveOid} is not supported`);
  const d = scalarOf(inner) % curve.params.q;
  const q = curve.publicKey(d);
  const pub = new Uint8Array([...bigIntToLe(q.x, curve.size), ...bigIntToLe(q.y, curve.size)]);
  const digest = DIGESTS[meta.digest];
  return {
    label: meta.label,
    digestOid: meta.digest,
    digest: async (data) => digest(data),
    signatureAlgorithm: seq(oid(meta.signature)),
    async sign(attrs) {
      const { r, s } = curve.sign(d, leToBigInt(digest(attrs)));
      return new Uint8Array([...bigIntToLe(r, curve.size), ...bigIntToLe(s, curve.size)]);
    },
    matches(cert) {
      if (cert.keyAlgorithm !== keyOid) return false;
      const bits = cert.publicKey[0] === 0x04 ? value(element(cert.publicKey)) : cert.publicKey;
      return sameBytes(bits, pub);
    },
  };
}

/** ECBinary: { [0] version?, { m, k | {k1, k2, k3} }, a, b (LE), n, base point (compressed, LE) }. */
function explicitCurve(el: El): BinaryCurveParams {
  let f = children(el);
  if (f[0]?.tag === 0xa0) f = f.slice(1);
  const [field, a, b, n, bp] = f;
  const [m, poly] = children(field);
  const ks = poly.tag === 0x02 ? [Number(intValue(poly))] : children(poly).map((k) => Number(intValue(k)));
  return {
    m: Number(intValue(m)),
    ks: ks.sort((x, y) => x - y),
    a: intValue(a),
    b: leToBigInt(value(b)),
    n: intValue(n),
    base: leToBigInt(value(bp)),
  };
}

function dstuEngine(params: El | null, inner: Uint8Array): Engine {
  if (!params) throw new KeyFileError("unsupported_key", "a DSTU 4145 key without its curve");
  const [curveEl, dkeEl] = children(params);
  const named = curveEl.tag === 0x06 ? oidText(curveEl) : null;
  if (named && !NAMED[named]) throw new KeyFileError("unsupported_key", `DSTU 4145 curve ${named} is not supported`);
  const curve = new BinaryCurve(named ? NAMED[named] : explicitCurve(curveEl));
  const sbox: SBox = unpackDke(dkeEl?.tag === 0x04 ? value(dkeEl) : DEFAULT_DKE);
  const standard = unpackDke(DEFAULT_DKE);
  const d = scalarOf(inner) % curve.params.n;
  const q = curve.publicKey(d);
  const compressed = curve.compress(q);
  const size = Math.ceil(curve.params.n.toString(2).length / 8);
  return {
    label: "DSTU 4145",
    digestOid: OID.dstuHash,
    // The content's digest under the standard DKE; the signed attributes' under the key's own.
    digest: async (data) => gost94(data, standard),
    signatureAlgorithm: seq(oid(OID.dstu)),
    async sign(attrs) {
      const { r, s } = curve.sign(d, leToBigInt(gost94(attrs, sbox)));
      return new Uint8Array([...bigIntToLe(r, size), ...bigIntToLe(s, size)]);
    },
    matches(cert) {
      if (cert.keyAlgorithm !== OID.dstu) return false;
      const bits = cert.publicKey[0] === 0x04 ? value(element(cert.publicKey)) : cert.publicKey;
      return leToBigInt(bits) === compressed;
    },
  };
}

function utcTime(d: Date) {
  const p = (n: number) => String(n).padStart(2, "0");
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x17, new TextEncoder().encode(s));
}

/** A detached CMS SignedData over `data` by this key, carrying its certificate. */
export async function detachedCms(engine: Engine, cert: CertificateSummary, data: Uint8Array, at = new Date()) {
  const digestAlg = engine.digestOid === OID.sha256 ? seq(oid(OID.sha256), NULL) : seq(oid(engine.digestOid));
  // DER orders a SET OF by its elements' encodings; verifiers re-encode the attributes so.
  const attrs = [
    seq(oid(OID.contentType), set(oid(OID.data))),
    seq(oid(OID.signingTime), set(utcTime(at))),
    seq(oid(OID.messageDigest), set(octets(await engine.digest(data)))),
  ].sort(compareBytes);
  // The signature covers the attributes as a SET (tag 0x31); the SignerInfo carries them as [0].
  const signature = await engine.sign(set(...attrs));
  const signerInfo = seq(
    tlv(0x02, new Uint8Array([1])),
    seq(cert.issuer, cert.serial),
    digestAlg,
    tlv(0xa0, ...attrs),
    engine.signatureAlgorithm,
    octets(signature),
  );
  const signedData = seq(
    tlv(0x02, new Uint8Array([1])),
    set(digestAlg),
    seq(oid(OID.data)),
    tlv(0xa0, cert.der),
    set(signerInfo),
  );
  return seq(oid(OID.signedData), tlv(0xa0, signedData));
}
