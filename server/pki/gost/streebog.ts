// GOST R 34.11-2012 "Streebog" (RFC 6986), 256- and 512-bit — the hash of KZ GOST 2015 signatures
// (digest OIDs 1.2.398.3.10.1.3.2 and .3) [SPEC R3.4].
//
// Bytes are kept in little-endian order, as implementations and the NCA's artefacts do: the message
// is processed from its first byte, the state's byte 0 is the least significant, and the digest
// is returned in the same order (a signature reads it as a little-endian integer). The LPS step runs
// on eight precomputed tables of 64-bit values held as two 32-bit halves (no BigInt in the loop).
import { addWords } from "./words.js";

// The S-box π (the standard's §5.1).
const PI = [
  252, 238, 221, 17, 207, 110, 49, 22, 251, 196, 250, 218, 35, 197, 4, 77, 233, 119, 240, 219, 147, 46, 153, 186, 23,
  54, 241, 187, 20, 205, 95, 193, 249, 24, 101, 90, 226, 92, 239, 33, 129, 28, 60, 66, 139, 1, 142, 79, 5, 132, 2, 174,
  227, 106, 143, 160, 6, 11, 237, 152, 127, 212, 211, 31, 235, 52, 44, 81, 234, 200, 72, 171, 242, 42, 104, 162, 253,
  58, 206, 204, 181, 112, 14, 86, 8, 12, 118, 18, 191, 114, 19, 71, 156, 183, 93, 135, 21, 161, 150, 41, 16, 123, 154,
  199, 243, 145, 120, 111, 157, 158, 178, 177, 50, 117, 25, 61, 255, 53, 138, 126, 109, 84, 198, 128, 195, 189, 13, 87,
  223, 245, 36, 169, 62, 168, 67, 201, 215, 121, 214, 246, 124, 34, 185, 3, 224, 15, 236, 222, 122, 148, 176, 188, 220,
  232, 40, 80, 78, 51, 10, 74, 167, 151, 96, 115, 30, 0, 98, 68, 26, 184, 56, 130, 100, 159, 38, 65, 173, 69, 70, 146,
  39, 94, 85, 47, 140, 163, 165, 125, 105, 213, 149, 59, 7, 88, 179, 64, 134, 172, 29, 247, 48, 55, 107, 228, 136, 217,
  231, 137, 225, 27, 131, 73, 76, 63, 248, 254, 141, 83, 170, 144, 202, 216, 133, 97, 32, 113, 103, 164, 45, 43, 9, 91,
  203, 155, 37, 208, 190, 229, 108, 82, 89, 166, 116, 210, 230, 244, 180, 192, 209, 102, 175, 194, 57, 75, 99, 182,
];

// The matrix A of the linear transformation l (§5.3), row i multiplies bit 63 - i.
const A = [
  0x8e20faa72ba0b470n,
  0x47107ddd9b505a38n,
  0xad08b0e0c3282d1cn,
  0xd8045870ef14980en,
  0x6c022c38f90a4c07n,
  0x3601161cf205268dn,
  0x1b8e0b0e798c13c8n,
  0x83478b07b2468764n,
  0xa011d380818e8f40n,
  0x5086e740ce47c920n,
  0x2843fd2067adea10n,
  0x14aff010bdd87508n,
  0x0ad97808d06cb404n,
  0x05e23c0468365a02n,
  0x8c711e02341b2d01n,
  0x46b60f011a83988en,
  0x90dab52a387ae76fn,
  0x486dd4151c3dfdb9n,
  0x24b86a840e90f0d2n,
  0x125c354207487869n,
  0x092e94218d243cban,
  0x8a174a9ec8121e5dn,
  0x4585254f64090fa0n,
  0xaccc9ca9328a8950n,
  0x9d4df05d5f661451n,
  0xc0a878a0a1330aa6n,
  0x60543c50de970553n,
  0x302a1e286fc58ca7n,
  0x18150f14b9ec46ddn,
  0x0c84890ad27623e0n,
  0x0642ca05693b9f70n,
  0x0321658cba93c138n,
  0x86275df09ce8aaa8n,
  0x439da0784e745554n,
  0xafc0503c273aa42an,
  0xd960281e9d1d5215n,
  0xe230140fc0802984n,
  0x71180a8960409a42n,
  0xb60c05ca30204d21n,
  0x5b068c651810a89en,
  0x456c34887a3805b9n,
  0xac361a443d1c8cd2n,
  0x561b0d22900e4669n,
  0x2b838811480723ban,
  0x9bcf4486248d9f5dn,
  0xc3e9224312c8c1a0n,
  0xeffa11af0964ee50n,
  0xf97d86d98a327728n,
  0xe4fa2054a80b329cn,
  0x727d102a548b194en,
  0x39b008152acb8227n,
  0x9258048415eb419dn,
  0x492c024284fbaec0n,
  0xaa16012142f35760n,
  0x550b8e9e21f7a530n,
  0xa48b474f9ef5dc18n,
  0x70a6a56e2440598en,
  0x3853dc371220a247n,
  0x1ca76e95091051adn,
  0x0edd37c48a08a6d8n,
  0x07e095624504536cn,
  0x8d70c431ac02a736n,
  0xc83862965601dd1bn,
  0x641c314b2b8ee083n,
];

// The twelve iteration constants C1…C12 (§5.4), each in little-endian byte order.
const C = [
  "0745a6f2596580dd234d74cc3674760515d360a4082a42a20169679291e07c4bfcc485758db84e7116d0452e43766a2f1f7c65c0812fcbebe9daca1eda5b08b1",
  "b79bb121700479e656cdcbd71ba2dd55caa70adbc261b55c5899d6126b17b59a3101b5160f5ed561982b230a72eafef3d7b5700f469de34f1a2f9da98ab5a36f",
  "b20aba0af5961e9931db7a8643f4b6c209db6260373ac9c1b19e3590e40fe2d37b7b29b11475eaf28b1f9c525f5ef10635843d6a28fc390ac72fce2bacdc74f5",
  "2ed1e384bcbe0c22f137e893a1ea5334be0352933313b7d875d603ed822cd7a93f355e68ad1c729d7d3c5c337e858e48dde4715da0e148f9d26615e8b3df1fef",
  "57fe6c7cfd581760f563eaa97ea2567a161a2723b700ffdfa3f53a254717cdbfbdff0f80d7359e354a1086161f1c157f6323a96c0c413f9a994747adac6bea4b",
  "6e7d64467a4068fa354f903672c571bfb6c6bec2661ff20ab4b79a1cb7a6facfc68ef09ab49a7f186ca44251f9c4662dc039307a3bc3a46fd9d33a1daeae4fae",
  "93d4143a4d568688f34a3ca24c45173504054a2883694706372c822dc5ab9209c9937a19333e47d3c987bfe6c7c69e39540924bffe86ac51ecc5aaee160ec7f4",
  "1ee702bfd40d7fa4d9a8515935c2ac362fc4a5d12b8dd16990069b92cb2b89f49ac4db4d3b44b4891ede369c71f8b74e41416e0c02aae703a7c9934d425b1f9b",
  "db5a238351446172602a1fcb92dc380e549c07a69a8a2b7bb1ceb2db0b440a8084090de0b755d93c244289251b3a7d3ade5f16ecd89a4c949b223116545a8f37",
  "ed9c4598fbc7b474c3b63b15d1fa9836f452763b306c1e7a4b3369af0267e79f0361331b8ae1ff1fdb788aff1ce74189f3f3e4b248e52a38526f0580a6debeab",
  "1b2df381cda4ca6b5dd86fc04a59a2de986e477d1dcdbaefcab948eaef711d8a79668414218001206107abebbb6bfad894fe5a63cdc60230fb89c8efd09ecd7b",
  "20d71bf14a92bc48991bb2d9d517f4fa5228e188aaa41de786cc91189def805d9b9f2130d41220f8771ddfbc323ca4cd7ab14904b08013d2ba3116f167e78e37",
].map((hex) => new Uint32Array(Uint8Array.from(hex.match(/../g)!, (b) => parseInt(b, 16)).buffer));

// AX_LO/AX_HI[j * 256 + b]: l(π(b) placed in byte j of a lane) — S, P and L of one byte at once.
// Built on the first hash, not at start: an appliance that never sees a GOST 2015 signature does
// not pay for them (they take a few milliseconds and a few megabytes of BigInt garbage to make).
let AX_LO: Uint32Array;
let AX_HI: Uint32Array;
function buildTables(): void {
  AX_LO = new Uint32Array(8 * 256);
  AX_HI = new Uint32Array(8 * 256);
  for (let j = 0; j < 8; j++) {
    for (let b = 0; b < 256; b++) {
      const v = BigInt(PI[b]) << BigInt(8 * j);
      let r = 0n;
      for (let i = 0; i < 64; i++) if ((v >> BigInt(63 - i)) & 1n) r ^= A[i];
      AX_LO[j * 256 + b] = Number(r & 0xffffffffn);
      AX_HI[j * 256 + b] = Number(r >> 32n);
    }
  }
}

/** out = LPS(x), 16 words each (lane i in words 2i, 2i+1). */
function lps(x: Uint32Array, out: Uint32Array): void {
  const bytes = new Uint8Array(x.buffer, x.byteOffset, 64);
  for (let i = 0; i < 8; i++) {
    let lo = 0;
    let hi = 0;
    for (let j = 0; j < 8; j++) {
      const t = j * 256 + bytes[8 * j + i];
      lo ^= AX_LO[t];
      hi ^= AX_HI[t];
    }
    out[2 * i] = lo;
    out[2 * i + 1] = hi;
  }
}

const K = new Uint32Array(16);
const S = new Uint32Array(16);
const T = new Uint32Array(16);

/** h = g_N(h, m) = E(LPS(h ⊕ N), m) ⊕ h ⊕ m. */
function g(h: Uint32Array, n: Uint32Array, m: Uint32Array): void {
  for (let i = 0; i < 16; i++) T[i] = h[i] ^ n[i];
  lps(T, K);
  for (let i = 0; i < 16; i++) T[i] = K[i] ^ m[i];
  for (let r = 0; r < 12; r++) {
    lps(T, S);
    for (let i = 0; i < 16; i++) T[i] = K[i] ^ C[r][i];
    lps(T, K);
    for (let i = 0; i < 16; i++) T[i] = S[i] ^ K[i];
  }
  for (let i = 0; i < 16; i++) h[i] ^= T[i] ^ m[i];
}

export function streebog(data: Uint8Array, bits: 256 | 512): Uint8Array {
  if (!AX_LO) buildTables();
  const h = new Uint32Array(16).fill(bits === 256 ? 0x01010101 : 0);
  const n = new Uint32Array(16);
  const sigma = new Uint32Array(16);
  const block = new Uint32Array(16);
  const blockBytes = new Uint8Array(block.buffer);
  const len512 = new Uint32Array(16);
  len512[0] = 512;
  let at = 0;
  for (; data.length - at >= 64; at += 64) {
    blockBytes.set(data.subarray(at, at + 64));
    g(h, n, block);
    addWords(n, len512);
    addWords(sigma, block);
  }
  const rest = data.length - at;
  blockBytes.fill(0);
  blockBytes.set(data.subarray(at));
  blockBytes[rest] = 0x01;
  g(h, n, block);
  const lenRest = new Uint32Array(16);
  lenRest[0] = rest * 8;
  addWords(n, lenRest);
  addWords(sigma, block);
  const zero = new Uint32Array(16);
  g(h, zero, n);
  g(h, zero, sigma);
  const out = new Uint8Array(h.buffer);
  return bits === 256 ? out.slice(32) : out;
}
