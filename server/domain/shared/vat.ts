// VAT as dated data per country (SPEC R4.1): the rate on the day of the invoice. KZ: 12 % until
// 2025-12-31, 16 % from 2026-01-01 (the Tax Code of 2025); UA: 20 % (Tax Code of Ukraine art. 193).
// A billing operator exempt in a country (DOCUMENT.ONLINE's payments are without VAT, 004 §3.7)
// bills there without VAT: `null` below.

export type VatCountry = "KZ" | "UA";

const SCHEDULE: Record<VatCountry, Array<{ from: string; percent: string }>> = {
  KZ: [
    { from: "0000-01-01", percent: "12" },
    { from: "2026-01-01", percent: "16" },
  ],
  UA: [{ from: "0000-01-01", percent: "20" }],
};

/** The VAT rate in percent in this country on this day ("YYYY-MM-DD"). */
export function vatPercentOn(country: string, day: string): string {
  const rows = SCHEDULE[country as VatCountry];
  if (!rows) throw new RangeError(`no VAT schedule for ${country}`);
  let rate = rows[0].percent;
  for (const r of rows) if (r.from <= day) rate = r.percent;
  return rate;
}

/** The rate a bill carries: none where the operator is exempt. */
export function billingVatPercent(country: string, day: string, exemptCountries: readonly string[]): string | null {
  return exemptCountries.includes(country) ? null : vatPercentOn(country, day);
}
