// GOST R 34.11-94 — the hash of KZ GOST 34.310-2004 signatures (digest OID 1.2.398.3.10.1.3.1) —
// and GOST 34.311-95, the same construction under the S-box a Ukrainian DSTU 4145 key names (its
// "DKE") [SPEC R3.4]. The step function encrypts with GOST 28147-89, whose S-box is the parameter.
//
// Byte order as everywhere in these standards' implementations: the message from its first byte,
// little-endian 256-bit blocks, the digest returned in state order.
import { addWords } from "./words.js";

/** An S-box: 8 rows of 16 nibbles, row 0 for the lowest 4 bits of the 32-bit word. */
export type SBox = readonly number[];

// The test parameter set of GOST R 34.11-94 (its Appendix A): NCA RK's GOST 34.310-2004 hashes
// under it (hash parameters 1.2.398.3.10.1.3.1.1.0).
export const SBOX_TEST: SBox = [
  4, 10, 9, 2, 13, 8, 0, 14, 6, 11, 1, 12, 7, 15, 5, 3, 14, 11, 4, 12, 6, 13, 15, 10, 2, 3, 8, 1, 0, 7, 5, 9, 5, 8, 1,
  13, 10, 3, 4, 2, 14, 15, 12, 7, 6, 0, 9, 11, 7, 13, 10, 1, 0, 8, 9, 15, 14, 4, 6, 12, 11, 2, 5, 3, 6, 12, 7, 1, 5, 15,
  13, 8, 4, 10, 9, 14, 0, 3, 11, 2, 4, 11, 10, 0, 7, 2, 1, 13, 3, 6, 8, 5, 9, 12, 15, 14, 13, 11, 4, 1, 3, 15, 5, 9, 0,
  10, 14, 7, 6, 8, 2, 12, 1, 15, 13, 0, 5, 7, 10, 4, 9, 2, 3, 14, 6, 11, 8, 12,
];

/** The four byte-wide substitution-and-rotate tables of one S-box (f(x) = (S(x) <<< 11)). */
function tablesOf(sbox: SBox): Uint32Array[] {
  if (sbox.length !== 128 || sbox.some((v) => !Number.isInteger(v) || v < 0 || v > 15))
    throw new RangeError("an S-box is 8 rows of 16 nibbles");
  const t = [new Uint32Array(256), new Uint32Array(256), new Uint32Array(256), new Uint32Array(256)];
  for (let k = 0; k < 4; k++) {
    for (let b = 0; b < 256; b++) {
      const v = (sbox[2 * k * 16 + (b & 15)] | (sbox[(2 * k + 1) * 16 + (b >> 4)] << 4)) << (8 * k);
      t[k][b] = ((v << 11) | (v >>> 21)) >>> 0;
    }
  }
  return t;
}

const tableCache = new Map<string, Uint32Array[]>();
export function cachedTables(sbox: SBox): Uint32Array[] {
  const key = sbox.join(",");
  let t = tableCache.get(key);
  if (!t) tableCache.set(key, (t = tablesOf(sbox)));
  return t;
}

// The step function works on 256-bit values as eight little-endian 32-bit words, in buffers
// allocated once: a 4 KB document is 128 steps, and allocation was most of their cost.

/** GOST 28147-89 simple substitution (ECB) encryption of the 64-bit block (n1, n2) = (src[i], src[i + 1]) into out. */
export function encryptBlock(t: Uint32Array[], key: Uint32Array, src: Uint32Array, i: number, out: Uint32Array): void {
  let n1 = src[i];
  let n2 = src[i + 1];
  const [t0, t1, t2, t3] = t;
  for (let r = 0; r < 32; r++) {
    const x = (n1 + key[r < 24 ? r & 7 : 31 - r]) >>> 0;
    const next = (n2 ^ t0[x & 255] ^ t1[(x >>> 8) & 255] ^ t2[(x >>> 16) & 255] ^ t3[x >>> 24]) >>> 0;
    n2 = n1;
    n1 = next;
  }
  // The last round does not swap: the output is (n2, n1) of the loop above.
  out[i] = n2;
  out[i + 1] = n1;
}

/** The same block decrypted: the key words K0…K7 once, then K7…K0 three times. */
export function decryptBlock(t: Uint32Array[], key: Uint32Array, src: Uint32Array, i: number, out: Uint32Array): void {
  let n1 = src[i];
  let n2 = src[i + 1];
  const [t0, t1, t2, t3] = t;
  for (let r = 0; r < 32; r++) {
    const x = (n1 + key[r < 8 ? r : 7 - (r & 7)]) >>> 0;
    const next = (n2 ^ t0[x & 255] ^ t1[(x >>> 8) & 255] ^ t2[(x >>> 16) & 255] ^ t3[x >>> 24]) >>> 0;
    n2 = n1;
    n1 = next;
  }
  out[i] = n2;
  out[i + 1] = n1;
}

// C3 of the key generation (the standard's §6.2), little-endian.
const C3 = new Uint32Array(
  Uint8Array.from([
    0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0xff, 0x00, 0x00, 0xff, 0xff,
    0x00, 0xff, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0xff,
  ]).buffer,
);

/** y = A(y) in place: (y1 ⊕ y2) ‖ y4 ‖ y3 ‖ y2 over 64-bit words, y1 lowest. */
function a(y: Uint32Array): void {
  const lo = y[0] ^ y[2];
  const hi = y[1] ^ y[3];
  y.copyWithin(0, 2, 8);
  y[6] = lo;
  y[7] = hi;
}

/** key = P(w): key byte i + 4k takes byte 8i + k. */
const W = new Uint32Array(8);
const W8 = new Uint8Array(W.buffer);
function p(key: Uint32Array): void {
  const k8 = new Uint8Array(key.buffer, key.byteOffset, 32);
  for (let i = 0; i < 4; i++) for (let j = 0; j < 8; j++) k8[i + 4 * j] = W8[8 * i + j];
}

/**
 * ψ^n into out: a shift register of sixteen 16-bit words (y1 lowest) fed y1 ⊕ y2 ⊕ y3 ⊕ y4 ⊕ y13 ⊕
 * y16 at the top. Run as one growing word array — word 16 + k is the one fed in at round k — so n
 * rounds are n XOR lines and the result is the last sixteen words.
 */
const PSI = new Uint16Array(16 + 61);
function psi(y: Uint32Array, rounds: number, out: Uint32Array): void {
  PSI.set(new Uint16Array(y.buffer, y.byteOffset, 16));
  for (let k = 0; k < rounds; k++)
    PSI[16 + k] = PSI[k] ^ PSI[k + 1] ^ PSI[k + 2] ^ PSI[k + 3] ^ PSI[k + 12] ^ PSI[k + 15];
  new Uint16Array(out.buffer, out.byteOffset, 16).set(PSI.subarray(rounds, rounds + 16));
}

const U = new Uint32Array(8);
const V = new Uint32Array(8);
const KEYS = [new Uint32Array(8), new Uint32Array(8), new Uint32Array(8), new Uint32Array(8)];
const S = new Uint32Array(8);
const X = new Uint32Array(8);

/** h = f(h, m), both eight words. */
function step(t: Uint32Array[], h: Uint32Array, m: Uint32Array): void {
  U.set(h);
  V.set(m);
  for (let i = 0; i < 8; i++) W[i] = U[i] ^ V[i];
  p(KEYS[0]);
  for (let j = 1; j < 4; j++) {
    a(U);
    if (j === 2) for (let i = 0; i < 8; i++) U[i] ^= C3[i];
    a(V);
    a(V);
    for (let i = 0; i < 8; i++) W[i] = U[i] ^ V[i];
    p(KEYS[j]);
  }
  for (let j = 0; j < 4; j++) encryptBlock(t, KEYS[j], h, 2 * j, S);
  psi(S, 12, X);
  for (let i = 0; i < 8; i++) X[i] ^= m[i];
  psi(X, 1, S);
  for (let i = 0; i < 8; i++) S[i] ^= h[i];
  psi(S, 61, h);
}

/** GOST R 34.11-94 (or GOST 34.311-95 with a DSTU S-box) of `data`; H0 = 0. */
export function gost94(data: Uint8Array, sbox: SBox = SBOX_TEST): Uint8Array {
  const t = cachedTables(sbox);
  const h = new Uint32Array(8);
  const sigma = new Uint32Array(8);
  const m = new Uint32Array(8);
  const m8 = new Uint8Array(m.buffer);
  let at = 0;
  for (; data.length - at >= 32; at += 32) {
    m8.set(data.subarray(at, at + 32));
    step(t, h, m);
    addWords(sigma, m);
  }
  if (at < data.length) {
    m8.fill(0);
    m8.set(data.subarray(at));
    step(t, h, m);
    addWords(sigma, m);
  }
  m8.fill(0);
  const bits = data.length * 8;
  m[0] = bits >>> 0;
  m[1] = Math.floor(bits / 2 ** 32);
  step(t, h, m);
  step(t, h, sigma);
  return new Uint8Array(h.buffer);
}
