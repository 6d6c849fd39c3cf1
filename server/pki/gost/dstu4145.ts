// UA DSTU 4145-2002 verification (SPEC R3.4; seed 004 §7.3): elliptic curves y² + xy = x³ + ax² + b
// over GF(2^m) in a polynomial basis, keys and signatures as Ukrainian qualified trust service
// providers issue them ("DSTU 4145-2002 little endian", 1.2.804.2.1.1.1.1.3.1.1):
// - field elements are octet strings in little-endian order; the public key is a compressed point;
// - a signature is r ‖ s, little-endian halves, wrapped in an OCTET STRING inside a certificate's
//   BIT STRING and bare in a CMS SignerInfo;
// - the hash is GOST 34.311-95 under the key's DKE S-box (the standard's default when absent); its
//   digest read little-endian is the field element h.
// Check: R = s·P + r·Q; r' = h·x(R), truncated below the bit length of n; valid iff r' = r.
// Scalar multiplication is the López–Dahab Montgomery ladder (x-only, projective: one inversion per
// ladder); elements are BigInts whose bit i is the coefficient of x^i.
import { SignatureFormatError } from "../providerErrors.js";
import { randomBelow } from "./primeCurve.js";
import type { SBox } from "./gost94.js";

/** The arc under which DSTU 4145-2002 names its curves (…2.N). */
const DSTU_NAMED_CURVE = "1.2.804.2.1.1.1.1.3.1.1.2.";

export interface BinaryCurveParams {
  m: number;
  /** the reduction polynomial's middle exponents: [k] (trinomial) or [k1, k2, k3] (pentanomial) */
  ks: number[];
  a: bigint;
  b: bigint;
  /** the base point's order */
  n: bigint;
  /** the base point: compressed (DSTU form, as explicit parameters carry it) or both coordinates */
  base: bigint | { x: bigint; y: bigint };
}

const bitLength = (x: bigint) => (x === 0n ? 0 : x.toString(2).length);

// Squaring spreads bits: hex digit → its bits interleaved with zeros (two hex digits).
const SPREAD = Array.from({ length: 16 }, (_, d) => {
  let v = 0;
  for (let i = 0; i < 4; i++) if (d & (1 << i)) v |= 1 << (2 * i);
  return v.toString(16).padStart(2, "0");
});

export class BinaryCurve {
  readonly params: BinaryCurveParams;
  private readonly mask: bigint;
  private readonly m: bigint;
  private readonly tail: bigint[];
  readonly base: { x: bigint; y: bigint };

  constructor(params: BinaryCurveParams) {
    if (params.m < 100 || params.m > 600 || params.m % 2 === 0)
      throw new SignatureFormatError(`a DSTU 4145 field of degree ${params.m} is not supported (odd, 100…600)`);
    if (!params.ks.every((k) => k > 0 && k < params.m))
      throw new SignatureFormatError("a DSTU 4145 reduction polynomial's exponents must lie between 0 and m");
    this.params = params;
    this.m = BigInt(params.m);
    this.mask = (1n << this.m) - 1n;
    this.tail = params.ks.map(BigInt);
    if (params.a !== 0n && params.a !== 1n)
      throw new SignatureFormatError("a DSTU 4145 curve's coefficient A is 0 or 1");
    const base = typeof params.base === "bigint" ? this.decompress(params.base) : params.base;
    if (!base || !this.onCurve(base.x, base.y))
      throw new SignatureFormatError("the DSTU 4145 curve's base point is not a point of the curve");
    this.base = base;
  }

  /** x mod f(x) = x^m + x^k… + 1. */
  private reduce(x: bigint): bigint {
    while (x >> this.m) {
      const hi = x >> this.m;
      x = (x & this.mask) ^ hi;
      for (const k of this.tail) x ^= hi << k;
    }
    return x;
  }

  mul(a: bigint, b: bigint): bigint {
    if (a === 0n || b === 0n) return 0n;
    // 4-bit windows of b, most significant first, over a table of a·d for d = 0…15.
    const t: bigint[] = new Array(16);
    t[0] = 0n;
    t[1] = a;
    for (let d = 2; d < 16; d++) t[d] = d & 1 ? t[d - 1] ^ a : t[d >> 1] << 1n;
    const hex = b.toString(16);
    let acc = 0n;
    for (let i = 0; i < hex.length; i++) acc = (acc << 4n) ^ t[parseInt(hex[i], 16)];
    return this.reduce(acc);
  }

  sqr(a: bigint): bigint {
    let out = "";
    for (const ch of a.toString(16)) out += SPREAD[parseInt(ch, 16)];
    return this.reduce(BigInt("0x" + out));
  }

  /** a⁻¹ by the extended Euclidean algorithm over GF(2)[x]. */
  inv(a: bigint): bigint {
    if (a === 0n) throw new RangeError("zero has no inverse");
    let u = a;
    let v = (1n << this.m) | 1n;
    for (const k of this.tail) v |= 1n << k;
    let g1 = 1n;
    let g2 = 0n;
    while (u !== 1n) {
      // Outside parameters may name a reducible polynomial: an element sharing a factor reaches 0.
      if (u === 0n || v === 0n) throw new SignatureFormatError("the DSTU 4145 reduction polynomial is not irreducible");
      let j = bitLength(u) - bitLength(v);
      if (j < 0) {
        [u, v] = [v, u];
        [g1, g2] = [g2, g1];
        j = -j;
      }
      u ^= v << BigInt(j);
      g1 ^= g2 << BigInt(j);
    }
    return this.reduce(g1);
  }

  /** Tr(x) = x + x² + x⁴ + … + x^(2^(m−1)), 0 or 1. */
  trace(x: bigint): bigint {
    let t = x;
    let acc = x;
    for (let i = 1; i < this.params.m; i++) {
      t = this.sqr(t);
      acc ^= t;
    }
    return acc;
  }

  /** The half-trace (odd m): z with z² + z = x when Tr(x) = 0. */
  private halfTrace(x: bigint): bigint {
    let t = x;
    let acc = x;
    for (let i = 1; i <= (this.params.m - 1) / 2; i++) {
      t = this.sqr(this.sqr(t));
      acc ^= t;
    }
    return acc;
  }

  onCurve(x: bigint, y: bigint): boolean {
    const x2 = this.sqr(x);
    const lhs = this.sqr(y) ^ this.mul(x, y);
    const rhs = this.mul(x2, x) ^ (this.params.a ? x2 : 0n) ^ this.params.b;
    return lhs === rhs;
  }

  /**
   * A DSTU compressed point: bit 0 of the stored value carries Tr(y/x); x is the value with bit 0
   * set so that Tr(x) = a. Null when no point of the curve has that x.
   */
  decompress(c: bigint): { x: bigint; y: bigint } | null {
    if (c === 0n || c >> this.m) return null;
    const k = c & 1n;
    let x = c & ~1n;
    if (this.trace(x) !== this.params.a) x |= 1n;
    if (x === 0n) return null;
    const x2 = this.sqr(x);
    // z² + z = x + a + b/x²; y = z·x.
    const w = x ^ this.params.a ^ this.mul(this.params.b, this.inv(x2));
    if (this.trace(w) !== 0n) return null;
    let z = this.halfTrace(w);
    if (this.trace(z) !== k) z ^= 1n;
    const y = this.mul(z, x);
    return this.onCurve(x, y) ? { x, y } : null;
  }

  /** k·(x, y) by the López–Dahab ladder; null for the point at infinity. */
  private multiply(k: bigint, x: bigint, y: bigint): { x: bigint; y: bigint } | null {
    if (k === 0n) return null;
    let x1 = x;
    let z1 = 1n;
    let z2 = this.sqr(x);
    let x2 = this.sqr(z2) ^ this.params.b;
    // Each step: (P1, P2) → (P1 + P2, 2·P2) for a 1 bit, (2·P1, P1 + P2) for a 0 bit — the same
    // step with the pair swapped before and after.
    for (let i = bitLength(k) - 2; i >= 0; i--) {
      const bit = ((k >> BigInt(i)) & 1n) === 1n;
      if (bit) [x1, z1, x2, z2] = [x2, z2, x1, z1];
      const t1 = this.mul(x1, z2);
      const t2 = this.mul(x2, z1);
      z2 = this.sqr(t1 ^ t2);
      x2 = this.mul(x, z2) ^ this.mul(t1, t2);
      const xx = this.sqr(x1);
      const zz = this.sqr(z1);
      x1 = this.sqr(xx) ^ this.mul(this.params.b, this.sqr(zz));
      z1 = this.mul(xx, zz);
      if (bit) [x1, z1, x2, z2] = [x2, z2, x1, z1];
    }
    // (x1 : z1) = kP, (x2 : z2) = (k + 1)P: recover y of kP (López–Dahab, "Mxy").
    if (z1 === 0n) return null;
    if (z2 === 0n) return { x, y: x ^ y };
    const xk = this.mul(x1, this.inv(z1));
    const num = this.mul(x1 ^ this.mul(x, z1), x2 ^ this.mul(x, z2)) ^ this.mul(this.sqr(x) ^ y, this.mul(z1, z2));
    const den = this.inv(this.mul(x, this.mul(z1, z2)));
    const yk = this.mul(x ^ xk, this.mul(num, den)) ^ y;
    return { x: xk, y: yk };
  }

  /** The x of P + Q (affine); null for the point at infinity. */
  private addX(p: { x: bigint; y: bigint } | null, q: { x: bigint; y: bigint } | null): bigint | null {
    if (!p) return q ? q.x : null;
    if (!q) return p.x;
    let lambda: bigint;
    let x3: bigint;
    if (p.x === q.x) {
      if (p.y !== q.y || p.x === 0n) return null; // P = −Q
      lambda = p.x ^ this.mul(p.y, this.inv(p.x));
      x3 = this.sqr(lambda) ^ lambda ^ this.params.a;
    } else {
      lambda = this.mul(p.y ^ q.y, this.inv(p.x ^ q.x));
      x3 = this.sqr(lambda) ^ lambda ^ p.x ^ q.x ^ this.params.a;
    }
    return x3;
  }

  /** The public point of private key d: Q = −d·P (DSTU 4145 §10), so that s·P + r·Q = e·P. */
  publicKey(d: bigint): { x: bigint; y: bigint } {
    const p = this.multiply(d, this.base.x, this.base.y);
    if (!p) throw new RangeError("d·P is the point at infinity");
    return { x: p.x, y: p.x ^ p.y };
  }

  /** The compressed form of a point (see decompress): x with bit 0 carrying Tr(y/x). */
  compress(pt: { x: bigint; y: bigint }): bigint {
    return (pt.x & ~1n) | this.trace(this.mul(pt.y, this.inv(pt.x)));
  }

  /**
   * A DSTU 4145 signature by private key d over the digest element h (§11): a fresh e, F = x(e·P),
   * y = h·F, r = y cut to the bit length of n less one, s = (e + d·r) mod n; again while r or s is 0.
   */
  sign(d: bigint, h: bigint, nonce?: bigint): { r: bigint; s: bigint } {
    const { n } = this.params;
    let hh = h & this.mask;
    if (hh === 0n) hh = 1n;
    const limit = (1n << BigInt(bitLength(n) - 1)) - 1n;
    for (;;) {
      const e = nonce ?? randomBelow(n);
      const pt = this.multiply(e, this.base.x, this.base.y);
      if (pt && pt.x !== 0n) {
        const r = this.mul(hh, pt.x) & limit;
        const s = (e + d * r) % n;
        if (r !== 0n && s !== 0n) return { r, s };
      }
      if (nonce !== undefined) throw new RangeError("this nonce gives r or s = 0");
    }
  }

  /** The DSTU 4145 check of (r, s) over the digest element h by the public key q (decompressed, see decompress). */
  verify(q: { x: bigint; y: bigint }, h: bigint, r: bigint, s: bigint): boolean {
    const { n } = this.params;
    if (r <= 0n || s <= 0n || r >= n || s >= n) return false;
    let e = h & this.mask;
    if (e === 0n) e = 1n;
    const rx = this.addX(this.multiply(s, this.base.x, this.base.y), this.multiply(r, q.x, q.y));
    if (rx === null) return false;
    let y = this.mul(e, rx);
    const limit = bitLength(n) - 1;
    y &= (1n << BigInt(limit)) - 1n;
    return y === r;
  }
}

const h = (s: string) => BigInt("0x" + s.replace(/\s+/g, ""));

// The standard's named curves this provider carries (DSTU 4145-2002, Appendix G): N = 6 (m = 257)
// and N = 9 (m = 431), the ones Ukrainian CAs issue on. Other curves arrive as explicit parameters.
export const NAMED: Record<string, BinaryCurveParams> = {
  [`${DSTU_NAMED_CURVE}6`]: {
    m: 257,
    ks: [12],
    a: 0n,
    b: h("01 CEF49472 0115657E 18F938D7 A7942394 FF9425C1 458C5786 1F9EEA6A DBE3BE10"),
    n: h("80000000 00000000 00000000 00000000 6759213A F182E987 D3E17714 907D470D"),
    base: {
      x: h("2A29EF20 7D0E9B6C 55CD260B 306C7E00 7AC491CA 1B10C623 34A9E8DC D8D20FB7"),
      y: h("01 0686D41F F744D444 9FCCF6D8 EEA03102 E6812C93 A9D60B97 8B702CF1 56D814EF"),
    },
  },
  [`${DSTU_NAMED_CURVE}9`]: {
    m: 431,
    ks: [1, 3, 5],
    a: 1n,
    b: h(
      "03CE 10490F6A 708FC26D FE8C3D27 C4F94E69 0134D5BF F988D8D2 8AAEAEDE 975936C6 6BAC536B 18AE2DC3 12CA4931 17DAA469 C640CAF3",
    ),
    n: h(
      "3FFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFFFFFFF FFBA3175 458009A8 C0A724F0 2F81AA8A 1FCBAF80 D90C7A95 110504CF",
    ),
    base: {
      x: h(
        "1A62 BA79D981 33A16BBA E7ED9A8E 03C32E08 24D57AEF 72F88986 874E5AAE 49C27BED 49A2A950 58068426 C2171E99 FD3B43C5 947C857D",
      ),
      y: h(
        "70B5 E1E14031 C1F70BBE FE96BDDE 66F45175 4B4CA5F4 8DA241F3 31AA396B 8D1839A8 55C1769B 1EA14BA5 3308B5E2 723724E0 90E02DB9",
      ),
    },
  },
};

// The DKE of DSTU 4145 Appendix A ("ДКЕ №1"), packed: what a key without its own uses.
export const DEFAULT_DKE = Uint8Array.from(
  "A9D6EB45F13C708280C4967B231F5EADF658EBA4C037291D38D96BF025CA4E17F8E9720DC615B43A28975F0BC1DEA36438B564EA2C179FD0123E6DB8FAC57904".match(
    /../g,
  )!,
  (x) => parseInt(x, 16),
);

/** A packed 64-byte DKE as eight S-box rows, row 0 for the lowest nibble (first 8 bytes, high nibble first). */
export function unpackDke(packed: Uint8Array): SBox {
  if (packed.length !== 64) throw new SignatureFormatError(`a DKE S-box is 64 bytes, not ${packed.length}`);
  const out: number[] = [];
  for (let r = 0; r < 8; r++) for (let c = 0; c < 8; c++) out.push(packed[8 * r + c] >> 4, packed[8 * r + c] & 15);
  return out;
}
