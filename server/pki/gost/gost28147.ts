// GOST 28147-89 in CFB mode and PBKDF2 with HMAC over GOST 34.311-95: how Ukrainian key containers
// (an IIT "Key-6.dat", the key bags of a Ukrainian PKCS#12) protect a DSTU 4145 private key with a
// password (PBES2, RFC 8018, with OIDs 1.2.804.2.1.1.1.1.1.2 HMAC and 1.2.804.2.1.1.1.1.1.1.3 CFB).
// Pure code without Node: the console decrypts key files in the browser with it.
import { cachedTables, decryptBlock, encryptBlock, gost94, type SBox } from "./gost94.js";

/** Little-endian 32-bit words of a 32-byte key. */
function keyWords(key: Uint8Array): Uint32Array {
  if (key.length !== 32) throw new RangeError("a GOST 28147-89 key is 32 bytes");
  const k = new Uint32Array(8);
  for (let i = 0; i < 8; i++)
    k[i] = (key[4 * i] | (key[4 * i + 1] << 8) | (key[4 * i + 2] << 16) | (key[4 * i + 3] << 24)) >>> 0;
  return k;
}

/** One 8-byte block encrypted (simple substitution), bytes little-endian as the standard's implementations read them. */
export function gost28147Block(key: Uint8Array, sbox: SBox, block: Uint8Array): Uint8Array {
  const src = new Uint32Array(new Uint8Array(block).buffer, 0, 2);
  const out = new Uint32Array(2);
  encryptBlock(cachedTables(sbox), keyWords(key), src, 0, out);
  return new Uint8Array(out.buffer);
}

/**
 * CFB: each gamma block is the encryption of the previous ciphertext block (the IV first), XORed
 * onto the data; decrypting feeds back the input, encrypting the output.
 */
function cfb(key: Uint8Array, sbox: SBox, iv: Uint8Array, data: Uint8Array, decrypt: boolean): Uint8Array {
  if (iv.length !== 8) throw new RangeError("a GOST 28147-89 IV is 8 bytes");
  const t = cachedTables(sbox);
  const k = keyWords(key);
  const out = new Uint8Array(data.length);
  const reg = new Uint32Array(2);
  const gamma = new Uint32Array(2);
  const gamma8 = new Uint8Array(gamma.buffer);
  const reg8 = new Uint8Array(reg.buffer);
  reg8.set(iv);
  for (let at = 0; at < data.length; at += 8) {
    encryptBlock(t, k, reg, 0, gamma);
    const n = Math.min(8, data.length - at);
    for (let j = 0; j < n; j++) out[at + j] = data[at + j] ^ gamma8[j];
    reg8.fill(0);
    reg8.set((decrypt ? data : out).subarray(at, at + n));
  }
  return out;
}

export const gost28147CfbDecrypt = (key: Uint8Array, sbox: SBox, iv: Uint8Array, data: Uint8Array) =>
  cfb(key, sbox, iv, data, true);

/** CFB encryption (tests build key containers with it). */
export const gost28147CfbEncrypt = (key: Uint8Array, sbox: SBox, iv: Uint8Array, data: Uint8Array) =>
  cfb(key, sbox, iv, data, false);

/** HMAC (RFC 2104) over GOST 34.311-95: a 32-byte block, the key hashed first when longer. */
function hmac(key: Uint8Array, sbox: SBox, data: Uint8Array): Uint8Array {
  const k = new Uint8Array(32);
  k.set(key.length > 32 ? gost94(key, sbox) : key);
  const inner = new Uint8Array(32 + data.length);
  const outer = new Uint8Array(64);
  for (let i = 0; i < 32; i++) {
    inner[i] = k[i] ^ 0x36;
    outer[i] = k[i] ^ 0x5c;
  }
  inner.set(data, 32);
  outer.set(gost94(inner, sbox), 32);
  return gost94(outer, sbox);
}

/** PBKDF2 (RFC 8018 §5.2) with that HMAC, one 32-byte block: the GOST 28147 key of a PBES2 container. */
export function pbkdf2Gost34311(password: Uint8Array, salt: Uint8Array, iterations: number, sbox: SBox): Uint8Array {
  const first = new Uint8Array(salt.length + 4);
  first.set(salt);
  first[salt.length + 3] = 1;
  let u = hmac(password, sbox, first);
  const out = Uint8Array.from(u);
  for (let i = 1; i < iterations; i++) {
    u = hmac(password, sbox, u);
    for (let j = 0; j < 32; j++) out[j] ^= u[j];
  }
  return out;
}

/** Simple-substitution (ECB) decryption of whole 8-byte blocks: the older IIT key store ("Key-6.dat"). */
export function gost28147EcbDecrypt(key: Uint8Array, sbox: SBox, data: Uint8Array): Uint8Array {
  if (data.length % 8) throw new RangeError("GOST 28147-89 ECB works on whole 8-byte blocks");
  const t = cachedTables(sbox);
  const k = keyWords(key);
  const words = new Uint32Array(Uint8Array.from(data).buffer);
  const out = new Uint32Array(words.length);
  for (let i = 0; i < words.length; i += 2) decryptBlock(t, k, words, i, out);
  return new Uint8Array(out.buffer);
}

/** The older IIT key store's key: GOST 34.311 of the password, then of that hash 9,999 times more. */
export function iitPasswordKey(password: Uint8Array, sbox: SBox): Uint8Array {
  let h = gost94(password, sbox);
  for (let i = 1; i < 10_000; i++) h = gost94(h, sbox);
  return h;
}
