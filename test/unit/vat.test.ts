// VAT as dated data (SPEC R4.1): the KZ rate changes on 2026-01-01; UA stays 20 %; an exempt
// country bills without VAT.
import { expect } from "chai";
import { billingVatPercent, vatPercentOn } from "../../server/domain/shared/vat.js";

describe("VAT schedule", () => {
  it("KZ is 12 % through 2025-12-31 and 16 % from 2026-01-01; UA is 20 %", () => {
    expect(vatPercentOn("KZ", "2025-12-31")).to.equal("12");
    expect(vatPercentOn("KZ", "2026-01-01")).to.equal("16");
    expect(vatPercentOn("KZ", "2019-06-01")).to.equal("12");
    expect(vatPercentOn("UA", "2026-03-02")).to.equal("20");
    expect(() => vatPercentOn("XX", "2026-01-01")).to.throw(/no VAT schedule/);
  });
  it("an operator exempt in a country bills there without VAT", () => {
    expect(billingVatPercent("UA", "2026-03-02", ["UA"])).to.equal(null);
    expect(billingVatPercent("KZ", "2026-03-02", ["UA"])).to.equal("16");
    expect(billingVatPercent("UA", "2026-03-02", [])).to.equal("20");
  });
});
