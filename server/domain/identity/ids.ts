// National identifiers and their official check digits.
//  KZ IIN/BIN: 12 digits; check digit = Σ d[i]·w[i] mod 11 with w = 1..11, and if that is 10,
//  again with w = 3..11,1,2; a second 10 means the number is invalid.
//  UA EDRPOU: 8 digits; weights 1..7 (7,1..6 for codes between 30,000,000 and 60,000,000), mod 11;
//  if 10, weights +2 and mod 11 again; a second 10 gives 0.

const W1 = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
const W2 = [3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2];

export function kzCheckDigit(first11: string): number | null {
  const d = [...first11].map(Number);
  let c = d.reduce((s, x, i) => s + x * W1[i], 0) % 11;
  if (c === 10) c = d.reduce((s, x, i) => s + x * W2[i], 0) % 11;
  return c === 10 ? null : c;
}

function kzValid(v: string): boolean {
  if (!/^\d{12}$/.test(v)) return false;
  const c = kzCheckDigit(v.slice(0, 11));
  return c !== null && c === Number(v[11]);
}

/** IIN: YYMMDD, a century/sex digit 1-6, a serial, the check digit. */
export function isValidIin(v: string): boolean {
  if (!kzValid(v)) return false;
  const month = Number(v.slice(2, 4));
  const day = Number(v.slice(4, 6));
  const century = Number(v[6]);
  return month >= 1 && month <= 12 && day >= 1 && day <= 31 && century >= 1 && century <= 6;
}

/** BIN: YYMM, a type digit 4-6 (resident/non-resident legal entity, sole proprietor), …, check digit.
 *  A sole proprietor may use his IIN as BIN, so a valid IIN is accepted too. */
export function isValidBin(v: string): boolean {
  if (!kzValid(v)) return false;
  const month = Number(v.slice(2, 4));
  const type = Number(v[4]);
  return (month >= 1 && month <= 12 && type >= 4 && type <= 6) || isValidIin(v);
}

export function edrpouCheckDigit(first7: string): number {
  const d = [...first7].map(Number);
  const n = Number(first7 + "0");
  const base = n < 30_000_000 || n > 60_000_000 ? [1, 2, 3, 4, 5, 6, 7] : [7, 1, 2, 3, 4, 5, 6];
  let c = d.reduce((s, x, i) => s + x * base[i], 0) % 11;
  if (c === 10) {
    c = d.reduce((s, x, i) => s + x * (base[i] + 2), 0) % 11;
    if (c === 10) c = 0;
  }
  return c;
}

export function isValidEdrpou(v: string): boolean {
  return /^\d{8}$/.test(v) && edrpouCheckDigit(v.slice(0, 7)) === Number(v[7]);
}

// UA RNOKPP (the person's registration number of the taxpayer's account card): 10 digits; the
// first five count days from 1899-12-31, the check digit is Σ d[i]·w[i] over the first nine with
// w = −1, 5, 7, 9, 4, 6, 10, 5, 7, taken mod 11 and then mod 10.
const RNOKPP_W = [-1, 5, 7, 9, 4, 6, 10, 5, 7];

export function rnokppCheckDigit(first9: string): number {
  const sum = [...first9].reduce((s, x, i) => s + Number(x) * RNOKPP_W[i], 0);
  return (((sum % 11) + 11) % 11) % 10;
}

export function isValidRnokpp(v: string): boolean {
  return /^\d{10}$/.test(v) && rnokppCheckDigit(v.slice(0, 9)) === Number(v[9]);
}
