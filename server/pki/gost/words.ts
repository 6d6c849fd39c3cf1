// Little-endian multi-word arithmetic the GOST hashes share.

/** a = a + b mod 2^(32·length), little-endian 32-bit words (the hashes' running sums and counters). */
export function addWords(a: Uint32Array, b: Uint32Array): void {
  let carry = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i] + b[i] + carry;
    a[i] = v >>> 0;
    carry = v > 0xffffffff ? 1 : 0;
  }
}
