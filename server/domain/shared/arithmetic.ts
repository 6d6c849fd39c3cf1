// Exact decimal arithmetic of accounting documents (BigInt in minor units, half away from zero).
// No dependencies: the server checks documents with it and the console computes live totals with
// the very same rules, so what the form shows is what the API accepts.
/** Parses a decimal string into an integer of `scale` decimal places. */
export function toMinor(value: string, scale: number): bigint {
  const negative = value.startsWith("-");
  const [int, frac = ""] = (negative ? value.slice(1) : value).split(".");
  const n = BigInt(int + frac.padEnd(scale, "0"));
  return negative ? -n : n;
}

export function fromMinor(n: bigint, scale: number): string {
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(scale + 1, "0");
  return `${negative ? "-" : ""}${digits.slice(0, digits.length - scale)}.${digits.slice(digits.length - scale)}`;
}

/** Integer division rounding half away from zero. */
export function divRound(n: bigint, d: bigint): bigint {
  const q = n / d;
  const r = n % d;
  if (r === 0n) return q;
  const up = (r < 0n ? -r : r) * 2n >= d;
  return up ? q + (n < 0n ? -1n : 1n) : q;
}

/** A line's amount: quantity (3 decimals) × price (2 decimals), rounded to 2 decimals. */
export const lineAmount = (quantity: string, price: string) =>
  divRound(toMinor(quantity, 3) * toMinor(price, 2), 1000n);

/** VAT of an amount at a rate in percent (2 decimals each), rounded to 2 decimals. */
export const vatOf = (amount: string, rate: string) => divRound(toMinor(amount, 2) * toMinor(rate, 2), 10_000n);
