// The signature-provider seam's vocabulary (SPEC R3.4): what a provider is asked and how it says
// "not mine". Kept apart from the registry (providers.ts) so that providers in their own modules
// (gost/) import it without importing the registry that lists them.
import { childrenOf, contentOf, DerError, oidOf, tlvAt, type Tlv } from "./der.js";

export interface PublicKeyRef {
  /** SubjectPublicKeyInfo algorithm OID */
  algorithm: string;
  /** named curve OID for EC keys */
  curve?: string;
  /** the SubjectPublicKeyInfo DER */
  spki: Buffer;
}

export interface VerifyRequest {
  publicKey: PublicKeyRef;
  /** the signature algorithm OID as the signed structure names it (sha256WithRSAEncryption, rsaEncryption, ecdsa-with-SHA256, RSASSA-PSS …) */
  signatureAlgorithm: string;
  /** DER of the signature algorithm's parameters, if any (RSASSA-PSS) */
  signatureParameters?: Buffer;
  /** the digest algorithm OID when the signature algorithm does not name one (CMS with rsaEncryption) */
  digestAlgorithm?: string;
  data: Buffer;
  signature: Buffer;
}

export interface SignatureProvider {
  name: string;
  supports(key: Omit<PublicKeyRef, "spki">): boolean;
  /** the digest of `data` by algorithm `oid`, or null if this provider does not know it */
  digest(oid: string, data: Buffer): Buffer | null;
  verify(request: VerifyRequest): Promise<boolean> | boolean;
}

export { SignatureFormatError, UnsupportedAlgorithmError } from "./providerErrors.js";

/** SubjectPublicKeyInfo ::= SEQUENCE { algorithm SEQUENCE { OID, parameters? }, subjectPublicKey BIT STRING }. */
function spkiParts(spki: Buffer): { alg: Tlv; bits: Tlv } {
  const seq = tlvAt(spki, 0);
  if (seq.tag !== 0x30) throw new DerError("a SubjectPublicKeyInfo is a SEQUENCE");
  const [alg, bits] = childrenOf(spki, seq);
  if (alg?.tag !== 0x30 || bits?.tag !== 0x03 || bits.end - bits.body < 1)
    throw new DerError("not a SubjectPublicKeyInfo");
  return { alg, bits };
}

/** The key of a SubjectPublicKeyInfo DER: algorithm and curve OIDs. */
export function publicKeyRef(spki: Buffer): PublicKeyRef {
  const [algOid, params] = childrenOf(spki, spkiParts(spki).alg);
  if (algOid?.tag !== 0x06) throw new DerError("a key algorithm is an OID");
  const algorithm = oidOf(spki, algOid);
  // EC keys name their curve by an OID; GOST keys by a SEQUENCE whose first element is the curve's.
  let curve: string | undefined;
  if (params?.tag === 0x06) curve = oidOf(spki, params);
  else if (params?.tag === 0x30) {
    const first = childrenOf(spki, params)[0];
    if (first?.tag === 0x06) curve = oidOf(spki, first);
  }
  return { algorithm, curve, spki };
}

/** The subjectPublicKey BIT STRING's bytes (after its unused-bits octet). */
export function subjectPublicKeyBits(spki: Buffer): Buffer {
  return contentOf(spki, spkiParts(spki).bits).subarray(1);
}

/** The DER of the SubjectPublicKeyInfo's algorithm parameters, if any. */
export function keyParameters(spki: Buffer): Buffer | undefined {
  const params = childrenOf(spki, spkiParts(spki).alg)[1];
  return params ? spki.subarray(params.start, params.end) : undefined;
}
