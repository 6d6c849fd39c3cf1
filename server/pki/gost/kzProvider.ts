// The KZ GOST signature provider (SPEC R3.4): NCA RK's GOST 34.310-2004 and GOST 34.10-2015
// (256/512) keys, for every signature the appliance checks through the seam — certificates, CRLs,
// OCSP responses, CMS signers, timestamp tokens.
import {
  SignatureFormatError,
  subjectPublicKeyBits,
  UnsupportedAlgorithmError,
  type SignatureProvider,
} from "../provider.js";
import { CURVES, DIGESTS, gostPoint, gostSignature, KEYS } from "./kzGost.js";
import { leToBigInt } from "./primeCurve.js";

export const kzGostProvider: SignatureProvider = {
  name: "KZ GOST: GOST 34.310-2004 and GOST 34.10-2015 (256/512 bit), GOST R 34.11-94 and Streebog",
  supports: (key) => Boolean(KEYS[key.algorithm]?.curves.includes(key.curve ?? "")),
  digest: (oid, data) => {
    const d = DIGESTS[oid]?.(data);
    return d ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : null;
  },
  verify(r) {
    const key = KEYS[r.publicKey.algorithm];
    const curve = key?.curves.includes(r.publicKey.curve ?? "") ? CURVES[r.publicKey.curve!] : undefined;
    if (!key || !curve)
      throw new UnsupportedAlgorithmError(
        `key ${r.publicKey.algorithm} with parameters ${r.publicKey.curve ?? "(none)"} is not a KZ GOST key`,
      );
    // A CMS may name the key algorithm as its signature algorithm (as rsaEncryption does); its digest must then be the key's.
    const named =
      r.signatureAlgorithm === key.signature ||
      (r.signatureAlgorithm === r.publicKey.algorithm && (r.digestAlgorithm ?? key.digest) === key.digest);
    if (!named)
      throw new UnsupportedAlgorithmError(
        `signature algorithm ${r.signatureAlgorithm} does not go with a ${key.label} key`,
      );
    if (r.digestAlgorithm && r.digestAlgorithm !== key.digest)
      throw new UnsupportedAlgorithmError(
        `digest ${r.digestAlgorithm} does not go with a ${key.label} key (${key.digest})`,
      );
    const { x, y } = gostPoint(subjectPublicKeyBits(r.publicKey.spki), curve.size);
    if (!curve.onCurve(x, y)) throw new SignatureFormatError(`the ${key.label} public key is not a point of its curve`);
    const { r: rr, s } = gostSignature(r.signature, curve.size);
    return curve.verify(x, y, leToBigInt(DIGESTS[key.digest](r.data)), rr, s);
  },
};

/** How reports name a KZ GOST key or signature algorithm ("GOST 34.10-2015, 512 bit"), or null. */
export function kzAlgorithmLabel(oid: string): string | null {
  if (KEYS[oid]) return KEYS[oid].label;
  return Object.values(KEYS).find((k) => k.signature === oid)?.label ?? null;
}
