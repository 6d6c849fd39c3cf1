// GOST R 34.11-94 — the hash of KZ GOST 34.310-2004 signatures (digest OID 1.2.398.3.10.1.3.1) —
// and GOST 34.311-95, the same construction under the S-box a Ukrainian DSTU 4145 key names (its
// "DKE") [SPEC R3.4]. The step function encrypts with GOST 28147-89, whose S-box is the parameter.
//
// Byte order as everywhere in these standards' implementations: the message from its first byte,
// little-endian 256-bit blocks, the digest returned in state order.

/** An S-box: 8 rows of 16 nibbles, row 0 for the lowest 4 bits of the 32-bit word. */
export type SBox = readonly number[];

// The test parameter set of GOST R 34.11-94 (its Appendix A): NCA RK's GOST 34.310-2004 hashes
// under it (hash parameters 1.2.398.3.10.1.3.1.1.0).
export const SBOX_TEST: SBox = [
  4, 10, 9, 2, 13, 8, 0, 14, 6, 11, 1, 12, 7, 15, 5, 3, 14, 11, 4, 12, 6, 13, 15, 10, 2, 3, 8, 1, 0, 7, 5, 9,
  5, 8, 1, 13, 10, 3, 4, 2, 14, 15, 12, 7, 6, 0, 9, 11, 7, 13, 10, 1, 0, 8, 9, 15, 14, 4, 6, 12, 11, 2, 5, 3,
  6, 12, 7, 1, 5, 15, 13, 8, 4, 10, 9, 14, 0, 3, 11, 2, 4, 11, 10, 0, 7, 2, 1, 13, 3, 6, 8, 5, 9, 12, 15, 14,
  13, 11, 4, 1, 3, 15, 5, 9, 0, 10, 14, 7, 6, 8, 2, 12, 1, 15, 13, 0, 5, 7, 10, 4, 9, 2, 3, 14, 6, 11, 8, 12,
];

/** The four byte-wide substitution-and-rotate tables of one S-box (f(x) = (S(x) <<< 11)). */
function tablesOf(sbox: SBox): Uint32Array[] {
  if (sbox.length !== 128 || sbox.some((v) => !Number.isInteger(v) || v < 0 || v > 15)) throw new RangeError("an S-box is 8 rows of 16 nibbles");
  const t = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
  for (let k = 0; k < 4; k++) {
    for (let b = 0; b < 256; b++) {
      const v = (sbox[(2 * k) * 16 + (b & 15)] | (sbox[(2 * k + 1) * 16 + (b >> 4)] << 4)) << (8 * k);
      t[k][b] = ((v << 11) | (v >>> 21)) >>> 0;
    }
  }
  return t;
}

const tableCache = new Map<string, Uint32Array[]>();
function cachedTables(sbox: SBox): Uint32Array[] {
  const key = sbox.join(",");
  let t = tableCache.get(key);
  if (!t) tableCache.set(key, (t = tablesOf(sbox)));
  return t;
}

/** GOST 28147-89 simple substitution (ECB) encryption of one 64-bit block, in place at `out[at..at+8]`. */
function encryptBlock(t: Uint32Array[], key: Uint32Array, src: Uint8Array, at: number, out: Uint8Array): void {
  let n1 = src[at] | (src[at + 1] << 8) | (src[at + 2] << 16) | (src[at + 3] << 24);
  let n2 = src[at + 4] | (src[at + 5] << 8) | (src[at + 6] << 16) | (src[at + 7] << 24);
  const [t0, t1, t2, t3] = t;
  for (let i = 0; i < 32; i++) {
    const k = key[i < 24 ? i & 7 : 31 - i];
    const x = (n1 + k) >>> 0;
    const f = t0[x & 255] ^ t1[(x >>> 8) & 255] ^ t2[(x >>> 16) & 255] ^ t3[x >>> 24];
    const next = (n2 ^ f) >>> 0;
    n2 = n1;
    n1 = next;
  }
  // The last round does not swap: the output is (n2, n1) of the loop above.
  for (let i = 0; i < 4; i++) {
    out[at + i] = (n2 >>> (8 * i)) & 255;
    out[at + 4 + i] = (n1 >>> (8 * i)) & 255;
  }
}

// C3 of the key generation (the standard's §6.2), little-endian.
const C3 = Uint8Array.from([
  0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00,
  0x00, 0xff, 0xff, 0x00, 0xff, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0xff,
]);

/** A(Y) = (y1 ⊕ y2) ‖ y4 ‖ y3 ‖ y2 over 64-bit words, y1 lowest. */
function a(y: Uint8Array): Uint8Array {
  const r = new Uint8Array(32);
  r.set(y.subarray(8, 32), 0);
  for (let i = 0; i < 8; i++) r[24 + i] = y[i] ^ y[8 + i];
  return r;
}

/** P: key byte i + 4k takes byte 8i + k. */
function p(w: Uint8Array): Uint32Array {
  const k = new Uint8Array(32);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 8; j++) k[i + 4 * j] = w[8 * i + j];
  return new Uint32Array(k.buffer);
}

/**
 * ψ^n: a shift register of sixteen 16-bit words (y1 lowest) fed y1 ⊕ y2 ⊕ y3 ⊕ y4 ⊕ y13 ⊕ y16 at the
 * top. Run as one growing word array — word 16 + k is the one fed in at round k — so n rounds
 * are n XOR lines and the result is the last sixteen words.
 */
const PSI = new Uint16Array(16 + 61);
function psi(y: Uint8Array, rounds: number): Uint8Array {
  PSI.set(new Uint16Array(y.buffer, y.byteOffset, 16));
  for (let k = 0; k < rounds; k++) PSI[16 + k] = PSI[k] ^ PSI[k + 1] ^ PSI[k + 2] ^ PSI[k + 3] ^ PSI[k + 12] ^ PSI[k + 15];
  return new Uint8Array(PSI.slice(rounds, rounds + 16).buffer);
}

function step(t: Uint32Array[], h: Uint8Array, m: Uint8Array): Uint8Array {
  let u = h;
  let v = m;
  const keys: Uint32Array[] = [];
  let w = new Uint8Array(32);
  for (let i = 0; i < 32; i++) w[i] = u[i] ^ v[i];
  keys.push(p(w));
  for (let j = 1; j < 4; j++) {
    u = a(u);
    if (j === 2) for (let i = 0; i < 32; i++) u[i] ^= C3[i];
    v = a(a(v));
    w = new Uint8Array(32);
    for (let i = 0; i < 32; i++) w[i] = u[i] ^ v[i];
    keys.push(p(w));
  }
  const s = new Uint8Array(32);
  for (let j = 0; j < 4; j++) encryptBlock(t, keys[j], h, 8 * j, s);
  const x = psi(s, 12);
  for (let i = 0; i < 32; i++) x[i] ^= m[i];
  const y = psi(x, 1);
  for (let i = 0; i < 32; i++) y[i] ^= h[i];
  return psi(y, 61);
}

function add256(sum: Uint8Array, block: Uint8Array): void {
  let carry = 0;
  for (let i = 0; i < 32; i++) {
    const s = sum[i] + block[i] + carry;
    sum[i] = s & 255;
    carry = s >> 8;
  }
}

/** GOST R 34.11-94 (or GOST 34.311-95 with a DSTU S-box) of `data`; H0 = 0. */
export function gost94(data: Uint8Array, sbox: SBox = SBOX_TEST): Buffer {
  const t = cachedTables(sbox);
  let h: Uint8Array = new Uint8Array(32);
  const sigma = new Uint8Array(32);
  let at = 0;
  for (; data.length - at >= 32; at += 32) {
    const m = data.subarray(at, at + 32);
    h = step(t, h, m);
    add256(sigma, m);
  }
  if (at < data.length) {
    const m = new Uint8Array(32);
    m.set(data.subarray(at));
    h = step(t, h, m);
    add256(sigma, m);
  }
  const length = new Uint8Array(32);
  let bits = data.length * 8;
  for (let i = 0; i < 8 && bits > 0; i++, bits = Math.floor(bits / 256)) length[i] = bits % 256;
  h = step(t, h, length);
  h = step(t, h, sigma);
  return Buffer.from(h);
}
