// Money in billing: integers of minor units (tiyn, kopiyka, cent — two decimals for every currency
// we bill in), never floats. Amounts cross the API as decimal strings ("12500.00").
// Rounding, in this one place: half away from zero, once, at the end of each computed amount
// (VAT of a subtotal, a day's penalty, a prorated price).
import { ValidationError } from "../../errors.js";
import { divRound } from "./arithmetic.js";

export const CURRENCY = /^[A-Z]{3}$/;
const AMOUNT = /^\d{1,15}(\.\d{1,2})?$/;

/** "1250.5" → 125050n; refuses negatives, signs, exponents and more than two decimals. */
export function parseAmount(value: unknown, field: string): bigint {
  if (typeof value !== "string" || !AMOUNT.test(value)) {
    throw new ValidationError(
      "invalid_amount",
      `${field} must be a non-negative amount with at most 2 decimals, as a string such as "12500.00"`,
      { field },
    );
  }
  const [int, frac = ""] = value.split(".");
  return BigInt(int + frac.padEnd(2, "0"));
}

export function formatAmount(minor: bigint | number | string): string {
  const n = BigInt(minor);
  const negative = n < 0n;
  const digits = (negative ? -n : n).toString().padStart(3, "0");
  return `${negative ? "-" : ""}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

/** n / d rounded half away from zero: the one rounding rule, shared with documents' arithmetic. */
export { divRound };

/** A percentage string ("16", "0.1", "12.5") × 10^6, exactly (4 decimals kept): divide by 10^8 to apply it. */
export function percentScaled(value: string): bigint {
  const [int, frac = ""] = value.split(".");
  return BigInt(int + frac.padEnd(4, "0").slice(0, 4)) * 100n;
}

/** amount × percent / 100, rounded (VAT, penalty, cap). */
export const percentOf = (minor: bigint, percent: string) => divRound(minor * percentScaled(percent), 100_000_000n);
