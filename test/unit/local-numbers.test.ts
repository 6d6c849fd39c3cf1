// Amounts and dates in the reader's habits (console/src/i18n/numbers.ts): what each language's
// accountants type is read as the amount they meant, and what the API sends is printed with their
// separators and their one date format — Kazakh too, where browsers' locale data falls short.
import { expect } from "chai";
import {
  formatDayIn,
  formatDecimal,
  formatInstantIn,
  formatMinor,
  parseDay,
  parseDecimal,
} from "../../console/src/i18n/numbers.js";
import type { Lang } from "../../console/src/i18n/i18n.js";

const NBSP = "\u00a0";

describe("amounts and dates as each language writes them", () => {
  for (const lang of ["ru", "kk", "uk"] as Lang[])
    it(`${lang}: comma decimals, spaces between thousands; dd.mm.yyyy`, () => {
      const cases: Array<[string, string | null]> = [
        ["5000,50", "5000.50"],
        ["5000.50", "5000.50"],
        ["120 000,00", "120000.00"],
        [`120${NBSP}000,5`, "120000.5"],
        ["120\u202f000", "120000"],
        ["1 234 567,89", "1234567.89"],
        ["1.234.567,89", "1234567.89"],
        ["1,234", null], // three decimals where two are allowed
        ["0,5", "0.5"],
        ["-12,30", "-12.30"],
        ["12,3,4", null],
        ["12a", null],
        ["", null],
        [",", null],
      ];
      for (const [typed, meant] of cases) expect(parseDecimal(typed, 2, lang), typed).to.equal(meant);
      expect(parseDecimal("1,234", 3, lang)).to.equal("1.234"); // a quantity: a decimal comma
      expect(formatDecimal("120000.5", lang)).to.equal(`120${NBSP}000,50`);
      expect(formatDecimal("1234567.891", lang, 3)).to.equal(`1${NBSP}234${NBSP}567,891`);
      expect(formatDecimal("-5", lang)).to.equal("-5,00");
      expect(formatMinor(12_345_050, lang)).to.equal(`123${NBSP}450,50`);
      expect(formatMinor(-5, lang)).to.equal("-0,05");
      expect(formatDayIn("2026-12-07", lang)).to.equal("07.12.2026");
      expect(parseDay("7.12.2026", lang)).to.equal("2026-12-07");
      expect(parseDay("31.02.2026", lang)).to.equal(null);
      expect(formatInstantIn("2026-12-07T19:05:00Z", lang, "Asia/Almaty")).to.equal("08.12.2026 00:05");
      // What the printed form shows, the parser reads back.
      for (const v of ["0.01", "999.99", "120000.00", "98765432.10"])
        expect(parseDecimal(formatDecimal(v, lang), 2, lang)).to.equal(v);
    });

  it("en: point decimals, commas between thousands; dd/mm/yyyy", () => {
    const cases: Array<[string, string | null]> = [
      ["120,000.00", "120000.00"],
      ["120,000", "120000"],
      ["1,234,567.5", "1234567.5"],
      ["5000.50", "5000.50"],
      ["5000,50", "5000.50"], // a comma with two decimals is a decimal comma, whatever the language
      ["12,34,5", null],
      ["120 000.5", "120000.5"],
    ];
    for (const [typed, meant] of cases) expect(parseDecimal(typed, 2, "en"), typed).to.equal(meant);
    expect(parseDecimal("1,234", 3, "en")).to.equal("1234");
    expect(formatDecimal("120000.5", "en")).to.equal("120,000.50");
    expect(formatMinor(12_345_050, "en")).to.equal("123,450.50");
    expect(formatDayIn("2026-12-07T10:00:00Z", "en")).to.equal("07/12/2026");
    expect(parseDay("07/12/2026", "en")).to.equal("2026-12-07");
    expect(parseDay("2026-12-07", "en")).to.equal("2026-12-07");
    expect(formatInstantIn("2026-12-07T19:05:00Z", "en", "Europe/Kyiv")).to.equal("07/12/2026 21:05");
    for (const v of ["0.01", "120000.00", "98765432.10"])
      expect(parseDecimal(formatDecimal(v, "en"), 2, "en")).to.equal(v);
  });
});
