// GOST R 34.10-2001/2012 verification over a prime-field curve y² = x³ + ax + b (KZ GOST 34.310-2004
// and GOST 34.10-2015, SPEC R3.4), in BigInt arithmetic fast enough to check certificates, CRLs and
// CMS signatures at the request rate:
// - Jacobian coordinates (no inversion per step) and the a = −3 doubling where the curve has it;
// - reduction by shifts for moduli 2^k − c (every NCA curve: 2^256 − 617, 2^512 − 569);
// - u1·G from a fixed-base comb built once per curve (no doublings), u2·Q by a width-5 NAF, and
//   for a key seen a third time (an issuing CA's, a frequent signer's) a comb of its own.

export interface CurveParams {
  name: string;
  p: bigint;
  a: bigint;
  b: bigint;
  /** the order of the base point */
  q: bigint;
  x: bigint;
  y: bigint;
}

type Jac = [bigint, bigint, bigint]; // (X, Y, Z); Z = 0 is the point at infinity
type Aff = [bigint, bigint];

// The generator's table is built once per curve: 6-bit windows (43 additions for 256 bits, 86 for
// 512). A key's own table is built on its third use: 4-bit windows keep that cheap.
const G_COMB_BITS = 6;
const KEY_COMB_BITS = 4;

interface Comb {
  bits: number;
  windows: Aff[][];
}

export class PrimeCurve {
  readonly params: CurveParams;
  /** the byte length of a coordinate and of a signature half */
  readonly size: number;
  private readonly p: bigint;
  private readonly aIsMinus3: boolean;
  private readonly reduce: (x: bigint) => bigint;
  private gComb: Comb | null = null;
  private readonly keyCombs = new Map<string, { seen: number; comb: Comb | null }>();

  constructor(params: CurveParams) {
    this.params = params;
    this.p = params.p;
    this.size = Math.ceil(params.p.toString(16).length / 2);
    this.aIsMinus3 = params.a === params.p - 3n;
    const bits = BigInt(params.p.toString(2).length);
    const c = (1n << bits) - params.p;
    if (c > 0n && c < 1n << 32n) {
      const mask = (1n << bits) - 1n;
      const p = params.p;
      this.reduce = (x) => {
        while (x >> bits) x = (x & mask) + (x >> bits) * c;
        return x >= p ? x - p : x;
      };
    } else {
      const p = params.p;
      this.reduce = (x) => x % p;
    }
  }

  private mul(a: bigint, b: bigint): bigint {
    return this.reduce(a * b);
  }
  private sub(a: bigint, b: bigint): bigint {
    const d = a - b;
    return d < 0n ? d + this.p : d;
  }
  private add(a: bigint, b: bigint): bigint {
    const s = a + b;
    return s >= this.p ? s - this.p : s;
  }

  /** Whether (x, y) is a point of the curve (a public key must be). */
  onCurve(x: bigint, y: bigint): boolean {
    if (x < 0n || y < 0n || x >= this.p || y >= this.p) return false;
    const rhs = this.add(this.add(this.mul(this.mul(x, x), x), this.mul(this.params.a, x)), this.params.b);
    return this.mul(y, y) === rhs;
  }

  private double([x, y, z]: Jac): Jac {
    if (z === 0n || y === 0n) return [1n, 1n, 0n];
    const yy = this.mul(y, y);
    const s = this.mul(4n * x, yy);
    let m: bigint;
    const zz = this.mul(z, z);
    if (this.aIsMinus3) m = this.mul(3n, this.mul(this.sub(x, zz), this.add(x, zz)));
    else m = this.add(this.mul(3n, this.mul(x, x)), this.mul(this.params.a, this.mul(zz, zz)));
    const x3 = this.sub(this.mul(m, m), this.add(s, s));
    const y3 = this.sub(this.mul(m, this.sub(s, x3)), this.mul(8n, this.mul(yy, yy)));
    const z3 = this.mul(2n * y, z);
    return [x3, y3, z3];
  }

  /** P (Jacobian) + Q (affine): Q's Z is 1, which saves its powers. */
  private addMixed(pt: Jac, [x2, y2]: Aff): Jac {
    const [x1, y1, z1] = pt;
    if (z1 === 0n) return [x2, y2, 1n];
    const z1z1 = this.mul(z1, z1);
    return this.sum(pt, x1, y1, this.mul(x2, z1z1), this.mul(y2, this.mul(z1, z1z1)), z1);
  }

  /** P + Q, both Jacobian. */
  private addJac(pt: Jac, qt: Jac): Jac {
    if (pt[2] === 0n) return qt;
    if (qt[2] === 0n) return pt;
    const [x1, y1, z1] = pt;
    const [x2, y2, z2] = qt;
    const z1z1 = this.mul(z1, z1);
    const z2z2 = this.mul(z2, z2);
    return this.sum(
      pt,
      this.mul(x1, z2z2),
      this.mul(y1, this.mul(z2, z2z2)),
      this.mul(x2, z1z1),
      this.mul(y2, this.mul(z1, z1z1)),
      this.mul(z1, z2),
    );
  }

  /** The common end of both additions: U1, S1, U2, S2 brought to one Z, and the product of the Zs. */
  private sum(pt: Jac, u1: bigint, s1: bigint, u2: bigint, s2: bigint, zz: bigint): Jac {
    const h = this.sub(u2, u1);
    const r = this.sub(s2, s1);
    if (h === 0n) return r === 0n ? this.double(pt) : [1n, 1n, 0n];
    const hh = this.mul(h, h);
    const hhh = this.mul(h, hh);
    const v = this.mul(u1, hh);
    const x3 = this.sub(this.sub(this.mul(r, r), hhh), this.add(v, v));
    const y3 = this.sub(this.mul(r, this.sub(v, x3)), this.mul(s1, hhh));
    return [x3, y3, this.mul(zz, h)];
  }

  private negate([x, y, z]: Jac): Jac {
    return [x, y === 0n ? 0n : this.p - y, z];
  }

  /** Affine forms of many Jacobian points with one inversion (Montgomery's trick). */
  private toAffine(points: Jac[]): Aff[] {
    const prefix: bigint[] = [];
    let acc = 1n;
    for (const pt of points) {
      prefix.push(acc);
      acc = this.mul(acc, pt[2]);
    }
    let inv = invert(acc, this.p);
    const out: Aff[] = new Array(points.length);
    for (let i = points.length - 1; i >= 0; i--) {
      const zi = this.mul(inv, prefix[i]);
      inv = this.mul(inv, points[i][2]);
      const zi2 = this.mul(zi, zi);
      out[i] = [this.mul(points[i][0], zi2), this.mul(points[i][1], this.mul(zi2, zi))];
    }
    return out;
  }

  /** windows[w][d - 1] = d · 2^(bits·w) · P for the digits d of every `bits`-bit window. */
  private buildComb(x: bigint, y: bigint, bits: number): Comb {
    const count = Math.ceil(this.params.q.toString(2).length / bits);
    const all: Jac[] = [];
    let base: Jac = [x, y, 1n];
    for (let w = 0; w < count; w++) {
      let acc: Jac = base;
      all.push(acc);
      for (let d = 2; d < 1 << bits; d++) {
        acc = this.addJac(acc, base);
        all.push(acc);
      }
      for (let i = 0; i < bits; i++) base = this.double(base);
    }
    const affine = this.toAffine(all);
    const per = (1 << bits) - 1;
    return { bits, windows: Array.from({ length: count }, (_, w) => affine.slice(w * per, (w + 1) * per)) };
  }

  private combMul(comb: Comb, k: bigint): Jac {
    const shift = BigInt(comb.bits);
    const mask = (1n << shift) - 1n;
    let acc: Jac = [1n, 1n, 0n];
    for (let w = 0; k > 0n; w++, k >>= shift) {
      const d = Number(k & mask);
      if (d) acc = this.addMixed(acc, comb.windows[w][d - 1]);
    }
    return acc;
  }

  /** k·P by a width-5 NAF (P affine). */
  private nafMul(x: bigint, y: bigint, k: bigint): Jac {
    const p1: Jac = [x, y, 1n];
    const twice = this.double(p1);
    const odd: Jac[] = [p1]; // 1P, 3P, … 15P
    for (let i = 1; i < 8; i++) odd.push(this.addJac(odd[i - 1], twice));
    const digits: number[] = [];
    while (k > 0n) {
      if (k & 1n) {
        let d = Number(k & 31n);
        if (d > 16) d -= 32;
        digits.push(d);
        k -= BigInt(d);
      } else digits.push(0);
      k >>= 1n;
    }
    let acc: Jac = [1n, 1n, 0n];
    for (let i = digits.length - 1; i >= 0; i--) {
      acc = this.double(acc);
      const d = digits[i];
      if (d > 0) acc = this.addJac(acc, odd[(d - 1) >> 1]);
      else if (d < 0) acc = this.addJac(acc, this.negate(odd[(-d - 1) >> 1]));
    }
    return acc;
  }

  /** u·Q for a public key: the key's own comb once it has been seen before (an issuer verifies many). */
  private keyMul(x: bigint, y: bigint, u: bigint): Jac {
    const id = `${x.toString(36)}:${y.toString(36)}`;
    let entry = this.keyCombs.get(id);
    if (!entry) {
      if (this.keyCombs.size >= 256) this.keyCombs.delete(this.keyCombs.keys().next().value!);
      this.keyCombs.set(id, (entry = { seen: 0, comb: null }));
    }
    entry.seen++;
    if (!entry.comb && entry.seen >= 3) entry.comb = this.buildComb(x, y, KEY_COMB_BITS);
    return entry.comb ? this.combMul(entry.comb, u) : this.nafMul(x, y, u);
  }

  /**
   * The GOST R 34.10 check: with e = digest mod q (1 if 0), v = e⁻¹, z1 = s·v, z2 = −r·v, the x of
   * z1·G + z2·Q is r mod q. Integers here are already decoded; every range is checked.
   */
  verify(qx: bigint, qy: bigint, digest: bigint, r: bigint, s: bigint): boolean {
    const { q } = this.params;
    if (r <= 0n || s <= 0n || r >= q || s >= q) return false;
    if (!this.onCurve(qx, qy)) return false;
    let e = digest % q;
    if (e === 0n) e = 1n;
    const v = invert(e, q);
    const z1 = (s * v) % q;
    const z2 = (q - ((r * v) % q)) % q;
    this.gComb ??= this.buildComb(this.params.x, this.params.y, G_COMB_BITS);
    const c = this.addJac(this.combMul(this.gComb, z1), this.keyMul(qx, qy, z2));
    if (c[2] === 0n) return false;
    const zi = invert(c[2], this.p);
    const x = this.mul(c[0], this.mul(zi, zi));
    return x % q === r;
  }

  private affine(c: Jac): { x: bigint; y: bigint } {
    const zi = invert(c[2], this.p);
    const zi2 = this.mul(zi, zi);
    return { x: this.mul(c[0], zi2), y: this.mul(c[1], this.mul(zi2, zi)) };
  }

  /** The public point d·G of private key d. */
  publicKey(d: bigint): { x: bigint; y: bigint } {
    this.gComb ??= this.buildComb(this.params.x, this.params.y, G_COMB_BITS);
    return this.affine(this.combMul(this.gComb, d % this.params.q));
  }

  /**
   * A GOST R 34.10 signature by private key d over the digest read as an integer: a fresh k,
   * r = x(k·G) mod q, s = (r·d + k·e) mod q, again while either is 0. `k` is for known-answer tests.
   */
  sign(d: bigint, digest: bigint, k?: bigint): { r: bigint; s: bigint } {
    const { q } = this.params;
    let e = digest % q;
    if (e === 0n) e = 1n;
    this.gComb ??= this.buildComb(this.params.x, this.params.y, G_COMB_BITS);
    for (;;) {
      const nonce = k ?? randomBelow(q);
      const r = this.affine(this.combMul(this.gComb, nonce)).x % q;
      const s = (r * d + nonce * e) % q;
      if (r !== 0n && s !== 0n) return { r, s };
      if (k !== undefined) throw new RangeError("this k gives r or s = 0");
    }
  }
}

/** A uniformly random integer in [1, n − 1], from the platform's CSPRNG (Node and browsers alike). */
export function randomBelow(n: bigint): bigint {
  const bytes = Math.ceil(n.toString(2).length / 8) + 8; // 64 extra bits make the modulo bias negligible
  for (;;) {
    const buf = globalThis.crypto.getRandomValues(new Uint8Array(bytes));
    let v = 0n;
    for (const b of buf) v = (v << 8n) | BigInt(b);
    v %= n;
    if (v !== 0n) return v;
  }
}

/** An unsigned integer as `size` little-endian bytes. */
export function bigIntToLe(v: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++, v >>= 8n) out[i] = Number(v & 0xffn);
  return out;
}

/** a⁻¹ mod m (m prime, 0 < a < m). */
export function invert(a: bigint, m: bigint): bigint {
  let [r0, r1] = [m, ((a % m) + m) % m];
  let [t0, t1] = [0n, 1n];
  while (r1 !== 0n) {
    const quotient = r0 / r1;
    [r0, r1] = [r1, r0 - quotient * r1];
    [t0, t1] = [t1, t0 - quotient * t1];
  }
  if (r0 !== 1n) throw new RangeError("not invertible");
  return t0 < 0n ? t0 + m : t0;
}

/** A little-endian byte string as an unsigned integer. */
export function leToBigInt(b: Uint8Array): bigint {
  let hex = "";
  for (let i = b.length - 1; i >= 0; i--) hex += b[i].toString(16).padStart(2, "0");
  return hex ? BigInt("0x" + hex) : 0n;
}
