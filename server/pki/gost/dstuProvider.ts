// The UA DSTU 4145 signature provider (SPEC R3.4): keys "DSTU 4145-2002 little endian"
// (1.2.804.2.1.1.1.1.3.1.1) with the curve named (1.2.804.2.1.1.1.1.3.1.1.2.N) or given explicitly
// (ECBinary: m, reduction polynomial, A, B, n, compressed base point), and the DKE S-box of
// GOST 34.311-95 packed in 64 bytes after it. Certificates, CRLs, OCSP responses and CMS signers
// signed with such keys verify through the seam like any other.
import { childrenOf, contentOf, oidOf, tlvAt, type Tlv } from "../der.js";
import {
  keyParameters,
  SignatureFormatError,
  subjectPublicKeyBits,
  UnsupportedAlgorithmError,
  type SignatureProvider,
} from "../provider.js";
import { BinaryCurve, DEFAULT_DKE, NAMED, unpackDke, type BinaryCurveParams } from "./dstu4145.js";

export { unpackDke };
import { gost94, type SBox } from "./gost94.js";
import { leToBigInt } from "./primeCurve.js";

export const DSTU = {
  key: "1.2.804.2.1.1.1.1.3.1.1",
  namedCurvePrefix: "1.2.804.2.1.1.1.1.3.1.1.2.",
  hash: "1.2.804.2.1.1.1.1.2.1",
} as const;

const DEFAULT_SBOX = unpackDke(DEFAULT_DKE);

const intOf = (buf: Buffer, t: Tlv | undefined) => {
  if (t?.tag !== 0x02) throw new SignatureFormatError("a DSTU 4145 parameter is not an INTEGER");
  const b = contentOf(buf, t);
  return b.length ? BigInt("0x" + b.toString("hex")) : 0n;
};

/** ECBinary ::= SEQUENCE { version [0] INTEGER OPTIONAL, f SEQUENCE { m, trinomial k | pentanomial {k, j, l} }, a INTEGER, b OCTET STRING, n INTEGER, bp OCTET STRING } */
function explicitCurve(buf: Buffer, seq: Tlv): BinaryCurveParams {
  let fields = childrenOf(buf, seq);
  if (fields[0]?.tag === 0xa0) fields = fields.slice(1);
  const [f, a, b, n, bp] = fields;
  if (!bp || f.tag !== 0x30 || b.tag !== 0x04 || bp.tag !== 0x04)
    throw new SignatureFormatError("DSTU 4145 curve parameters are not an ECBinary");
  const [m, poly] = childrenOf(buf, f);
  const ks = !poly
    ? []
    : poly.tag === 0x02
      ? [Number(intOf(buf, poly))]
      : childrenOf(buf, poly).map((k) => Number(intOf(buf, k)));
  if (ks.length !== 1 && ks.length !== 3)
    throw new SignatureFormatError("a DSTU 4145 reduction polynomial is a trinomial or a pentanomial");
  return {
    m: Number(intOf(buf, m)),
    ks: ks.sort((x, y) => x - y),
    a: intOf(buf, a),
    b: leToBigInt(contentOf(buf, b)),
    n: intOf(buf, n),
    base: leToBigInt(contentOf(buf, bp)),
  };
}

interface DstuKey {
  curve: BinaryCurve;
  sbox: SBox;
  /** the public key, decompressed once: a trace, a half-trace and an inversion each time otherwise */
  point: { x: bigint; y: bigint };
}

const curves = new Map<string, BinaryCurve>();
const keys = new Map<string, DstuKey>();

/** The curve, DKE and public point of a DSTU SubjectPublicKeyInfo (cached by its DER). */
function dstuKey(spki: Buffer): DstuKey {
  const id = spki.toString("base64");
  const hit = keys.get(id);
  if (hit) return hit;
  const params = keyParameters(spki);
  if (!params) throw new SignatureFormatError("a DSTU 4145 key without curve parameters");
  const outer = tlvAt(params, 0);
  if (outer.tag !== 0x30) throw new SignatureFormatError("DSTU 4145 key parameters are a SEQUENCE");
  const [curveTlv, dkeTlv] = childrenOf(params, outer);
  if (!curveTlv || (curveTlv.tag !== 0x06 && curveTlv.tag !== 0x30))
    throw new SignatureFormatError("DSTU 4145 key parameters name no curve");
  const curveId =
    curveTlv.tag === 0x06 ? oidOf(params, curveTlv) : params.subarray(curveTlv.start, curveTlv.end).toString("base64");
  let curve = curves.get(curveId);
  if (!curve) {
    const named = curveTlv.tag === 0x06 ? NAMED[curveId] : undefined;
    if (curveTlv.tag === 0x06 && !named)
      throw new UnsupportedAlgorithmError(
        `DSTU 4145 named curve ${curveId} is not supported (curves 6 and 9 are; others as explicit parameters)`,
      );
    curve = new BinaryCurve(named ?? explicitCurve(params, curveTlv));
    if (curves.size < 64) curves.set(curveId, curve);
  }
  const sbox = dkeTlv?.tag === 0x04 ? unpackDke(contentOf(params, dkeTlv)) : DEFAULT_SBOX;
  // subjectPublicKey: an OCTET STRING of the compressed point, little-endian.
  const bits = subjectPublicKeyBits(spki);
  const inner = bits[0] === 0x04 ? contentOf(bits, tlvAt(bits, 0)) : bits;
  const point = curve.decompress(leToBigInt(inner));
  if (!point) throw new SignatureFormatError("the DSTU 4145 public key is not a point of its curve");
  const key = { curve, sbox, point };
  if (keys.size >= 1000) keys.delete(keys.keys().next().value!);
  keys.set(id, key);
  return key;
}

/** r, s of a DSTU signature: r ‖ s little-endian halves, possibly inside an OCTET STRING (certificates, CRLs). */
function dstuSignature(sig: Buffer, n: bigint): { r: bigint; s: bigint } {
  const size = Math.ceil(n.toString(2).length / 8);
  let body = sig;
  if (sig.length === 2 * size + 2 && sig[0] === 0x04 && sig[1] === 2 * size) body = sig.subarray(2);
  else if (sig.length === 2 * size + 3 && sig[0] === 0x04 && sig[1] === 0x81 && sig[2] === 2 * size)
    body = sig.subarray(3);
  if (body.length !== 2 * size)
    throw new SignatureFormatError(`a DSTU 4145 signature on this curve is ${2 * size} bytes, not ${body.length}`);
  return { r: leToBigInt(body.subarray(0, size)), s: leToBigInt(body.subarray(size)) };
}

export const dstuProvider: SignatureProvider = {
  name: "UA DSTU 4145: DSTU 4145-2002 (little endian) over GF(2^m), GOST 34.311-95 under the key's DKE",
  supports: (key) => key.algorithm === DSTU.key && (key.curve === undefined || key.curve in NAMED),
  digest: (oid, data) => (oid === DSTU.hash ? Buffer.from(gost94(data, DEFAULT_SBOX)) : null),
  verify(r) {
    if (r.publicKey.algorithm !== DSTU.key)
      throw new UnsupportedAlgorithmError(`key ${r.publicKey.algorithm} is not a DSTU 4145 key`);
    if (r.signatureAlgorithm !== DSTU.key)
      throw new UnsupportedAlgorithmError(
        `signature algorithm ${r.signatureAlgorithm} does not go with a DSTU 4145 key`,
      );
    if (r.digestAlgorithm && r.digestAlgorithm !== DSTU.hash)
      throw new UnsupportedAlgorithmError(
        `digest ${r.digestAlgorithm} does not go with a DSTU 4145 key (${DSTU.hash})`,
      );
    const key = dstuKey(r.publicKey.spki);
    const { r: rr, s } = dstuSignature(r.signature, key.curve.params.n);
    return key.curve.verify(key.point, leToBigInt(gost94(r.data, key.sbox)), rr, s);
  },
};

/** How reports name DSTU keys and signatures, or null. */
export function dstuAlgorithmLabel(oid: string): string | null {
  return oid === DSTU.key ? "DSTU 4145" : null;
}
