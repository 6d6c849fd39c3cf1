// Money, dates and penalties of billing (SPEC R4.4, R4.5): exact integers, one rounding rule, and
// calendar arithmetic for due dates and the 1st a change applies.
import { expect } from "chai";
import fc from "fast-check";
import { addBusinessDays, addMonths, firstOfMonthAfterNotice } from "../../server/domain/shared/days.js";
import { penaltyOf } from "../../server/domain/billing/invoices.js";
import { formatAmount, parseAmount, percentOf } from "../../server/domain/shared/money.js";
import { loadConfig } from "../../server/config/index.js";

describe("billing arithmetic", () => {
  it("amounts: decimal strings in, integers of minor units inside; anything else refused with invalid_amount", () => {
    expect(parseAmount("120000", "price")).to.equal(12000000n);
    expect(parseAmount("0.5", "price")).to.equal(50n);
    expect(formatAmount(12000000n)).to.equal("120000.00");
    expect(formatAmount(-5n)).to.equal("-0.05");
    for (const bad of ["-5", "1e5", "abc", "1.234", "", " 1", "1,00", "+1", "0x10", 100 as unknown]) {
      expect(() => parseAmount(bad, "price"), String(bad))
        .to.throw()
        .with.property("code", "invalid_amount");
    }
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 17n - 1n }), (n) => parseAmount(formatAmount(n), "x") === n),
    );
  });

  it("percentages round half away from zero, once", () => {
    expect(percentOf(12000000n, "16")).to.equal(1920000n);
    expect(percentOf(1n, "50")).to.equal(1n); // 0.5 → 1
    expect(percentOf(3n, "16")).to.equal(0n); // 0.48 → 0
    expect(percentOf(8021918n, "16")).to.equal(1283507n); // 1,283,506.88 → …507
  });

  it("dates: months clamp to the month's end; working days skip weekends and holidays; a change applies on the first 1st a week away", () => {
    expect(addMonths("2026-01-31", 1)).to.equal("2026-02-28");
    expect(addMonths("2028-01-31", 1)).to.equal("2028-02-29");
    expect(addMonths("2026-03-02", 12)).to.equal("2027-03-02");
    expect(addBusinessDays("2026-03-06", 3, new Set())).to.equal("2026-03-11"); // Fri → Wed
    expect(addBusinessDays("2026-03-06", 3, new Set(["2026-03-09"]))).to.equal("2026-03-12");
    expect(firstOfMonthAfterNotice("2026-06-20", 7)).to.equal("2026-07-01");
    expect(firstOfMonthAfterNotice("2026-06-25", 7)).to.equal("2026-08-01");
    expect(firstOfMonthAfterNotice("2026-06-24", 7)).to.equal("2026-07-01");
  });

  it("penalty: 0.1 % a day of what was unpaid each day, an optional fine, never above the cap", () => {
    const config = loadConfig({ NODE_ENV: "test" });
    const v = { due_on: "2026-03-09", total_minor: "13920000" };
    expect(penaltyOf(v, [{ amount_minor: "13920000", paid_on: "2026-03-09" }], "2026-03-09", config)).to.equal(0n);
    expect(
      penaltyOf(
        v,
        [
          { amount_minor: "5000000", paid_on: "2026-03-14" },
          { amount_minor: "8920000", paid_on: "2026-03-16" },
        ],
        "2026-03-16",
        config,
      ),
    ).to.equal(87440n);
    // Unpaid for 100 days would be 10 %; the cap is 5 % of the invoice.
    expect(penaltyOf(v, [], "2026-06-17", config)).to.equal(696000n);
    const withFine = {
      ...config,
      billing: {
        ...config.billing,
        overdue: { ...config.billing.overdue, fixedFine: "8650.00", penaltyCapPercent: "" },
      },
    };
    expect(penaltyOf(v, [], "2026-03-10", withFine)).to.equal(13920n + 865000n);
  });
});
