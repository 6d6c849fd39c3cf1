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
import { SignatureFormatError } from "../provider.js";

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
