// KZ GOST as NCA RK issues it [SPEC R3.4; seed 000 §1.7–1.8, §8.4.9.1]:
// - GOST 34.310-2004: key 1.2.398.3.10.1.1.1.1 over 1.2.398.3.10.1.1.1.1.1 (= CryptoPro-A), signed
//   1.2.398.3.10.1.1.1.2 with GOST R 34.11-94 under its test S-box (1.2.398.3.10.1.3.1);
// - GOST 34.10-2015: keys 1.2.398.3.10.1.1.2.1 (256 bit, 1.2.398.3.10.1.1.2.1.1 = tc26 256
//   paramSetA) and 1.2.398.3.10.1.1.2.2 (512 bit, 1.2.398.3.10.1.1.2.2.1 = tc26 512 paramSetA),
//   signed 1.2.398.3.10.1.1.2.3.1 / .3.2 with Streebog-256 / -512 (1.2.398.3.10.1.3.2 / .3.3).
// Byte orders, pinned by the NCA's own certificates and CRLs (test/unit/pki/gost.test.ts): the
// public key is an OCTET STRING of x ‖ y little-endian; a signature is r ‖ s little-endian (the
// byte reversal of the RFC 4491 s ‖ r big-endian); e is the digest read as a little-endian integer.
import { SignatureFormatError } from "../providerErrors.js";
import { gost94 } from "./gost94.js";
import { leToBigInt, PrimeCurve } from "./primeCurve.js";
import { streebog } from "./streebog.js";

export const KZ = {
  key2004: "1.2.398.3.10.1.1.1.1",
  key2015_256: "1.2.398.3.10.1.1.2.1",
  key2015_512: "1.2.398.3.10.1.1.2.2",
  sig2004: "1.2.398.3.10.1.1.1.2",
  sig2015_256: "1.2.398.3.10.1.1.2.3.1",
  sig2015_512: "1.2.398.3.10.1.1.2.3.2",
  curve2004A: "1.2.398.3.10.1.1.1.1.1",
  curve2015_256A: "1.2.398.3.10.1.1.2.1.1",
  curve2015_512A: "1.2.398.3.10.1.1.2.2.1",
  hash94: "1.2.398.3.10.1.3.1",
  streebog256: "1.2.398.3.10.1.3.2",
  streebog512: "1.2.398.3.10.1.3.3",
} as const;

const h = (s: string) => BigInt("0x" + s);

// Curve constants as the standards publish them (RFC 4357 §11.4, RFC 7836 §A.1–A.2).
export const CURVES: Record<string, PrimeCurve> = {
  [KZ.curve2004A]: new PrimeCurve({
    name: "CryptoPro-A (GOST 34.310-2004 PKIGOVKZ-A)",
    p: h("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97"),
    a: h("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD94"),
    b: 166n,
    q: h("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893"),
    x: 1n,
    y: h("8D91E471E0989CDA27DF505A453F2B7635294F2DDF23E3B122ACC99C9E9F1E14"),
  }),
  [KZ.curve2015_256A]: new PrimeCurve({
    name: "tc26 256 paramSetA (GOST 34.10-2015 256)",
    p: h("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97"),
    a: h("C2173F1513981673AF4892C23035A27CE25E2013BF95AA33B22C656F277E7335"),
    b: h("295F9BAE7428ED9CCC20E7C359A9D41A22FCCD9108E17BF7BA9337A6F8AE9513"),
    q: h("400000000000000000000000000000000FD8CDDFC87B6635C115AF556C360C67"),
    x: h("91E38443A5E82C0D880923425712B2BB658B9196932E02C78B2582FE742DAA28"),
    y: h("32879423AB1A0375895786C4BB46E9565FDE0B5344766740AF268ADB32322E5C"),
  }),
  [KZ.curve2015_512A]: new PrimeCurve({
    name: "tc26 512 paramSetA (GOST 34.10-2015 512)",
    p: h(
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC7",
    ),
    a: h(
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFDC4",
    ),
    b: h(
      "E8C2505DEDFC86DDC1BD0B2B6667F1DA34B82574761CB0E879BD081CFD0B6265EE3CB090F30D27614CB4574010DA90DD862EF9D4EBEE4761503190785A71C760",
    ),
    q: h(
      "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF27E69532F48D89116FF22B8D4E0560609B4B38ABFAD2B85DCACDB1411F10B275",
    ),
    x: 3n,
    y: h(
      "7503CFE87A836AE3A61B8816E25450E6CE5E1C93ACF1ABC1778064FDCBEFA921DF1626BE4FD036E93D75E6A50E3A41E98028FE5FC235F5B889A589CB5215F2A4",
    ),
  }),
};

/** Each key algorithm: the curves it may name, its signature OID, its digest, and how reports name it. */
export const KEYS: Record<string, { curves: string[]; signature: string; digest: string; label: string }> = {
  [KZ.key2004]: {
    curves: [KZ.curve2004A],
    signature: KZ.sig2004,
    digest: KZ.hash94,
    label: "GOST 34.310-2004",
  },
  [KZ.key2015_256]: {
    curves: [KZ.curve2015_256A],
    signature: KZ.sig2015_256,
    digest: KZ.streebog256,
    label: "GOST 34.10-2015, 256 bit",
  },
  [KZ.key2015_512]: {
    curves: [KZ.curve2015_512A],
    signature: KZ.sig2015_512,
    digest: KZ.streebog512,
    label: "GOST 34.10-2015, 512 bit",
  },
};

export const DIGESTS: Record<string, (data: Uint8Array) => Uint8Array> = {
  [KZ.hash94]: (d) => gost94(d),
  [KZ.streebog256]: (d) => streebog(d, 256),
  [KZ.streebog512]: (d) => streebog(d, 512),
};

/** x, y of a GOST public key: the SubjectPublicKeyInfo's BIT STRING holds an OCTET STRING of x ‖ y (LE). */
export function gostPoint(raw: Uint8Array, size: number): { x: bigint; y: bigint } {
  let body = raw;
  if (raw[0] === 0x04) {
    let len = raw[1];
    let at = 2;
    if (len & 0x80) {
      const n = len & 0x7f;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + raw[2 + i];
      at += n;
    }
    if (at + len === raw.length) body = raw.subarray(at);
  }
  if (body.length !== 2 * size)
    throw new SignatureFormatError(`a GOST public key of this curve is ${2 * size} bytes, not ${body.length}`);
  return { x: leToBigInt(body.subarray(0, size)), y: leToBigInt(body.subarray(size)) };
}

/** r, s of a signature: r ‖ s little-endian, each half the curve's size. */
export function gostSignature(sig: Uint8Array, size: number): { r: bigint; s: bigint } {
  if (sig.length !== 2 * size)
    throw new SignatureFormatError(`a GOST signature on this curve is ${2 * size} bytes, not ${sig.length}`);
  return { r: leToBigInt(sig.subarray(0, size)), s: leToBigInt(sig.subarray(size)) };
}
