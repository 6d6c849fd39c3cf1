import { expect } from "chai";
import {
  edrpouCheckDigit,
  isValidBin,
  isValidEdrpou,
  isValidIin,
  isValidRnokpp,
  kzCheckDigit,
  rnokppCheckDigit,
} from "../../server/domain/identity/ids.js";
import { breakCheckDigit, UUID_V7, uuidV7Time, validBin, validEdrpou, validIin } from "../support/ids.js";
import { timeOrderedId } from "../../server/storage/ids.js";
import { Uuid } from "../../server/http/routes/schemas.js";

describe("national identifiers", () => {
  it("checks a Ukrainian RNOKPP's check digit on published numbers, and refuses a changed digit", () => {
    // Published valid numbers (python-stdnum ua.rntrc doctest; fre5h/rnokpp README; gov-validation-ua).
    for (const v of ["1759013776", "3184710691", "3652504575", "3068208400"]) {
      expect(isValidRnokpp(v), v).to.equal(true);
      const wrong = v.slice(0, 9) + String((Number(v[9]) + 1) % 10);
      expect(isValidRnokpp(wrong), wrong).to.equal(false);
    }
    // −1·1 + 5·7 + 7·5 + 9·9 + 4·0 + 6·1 + 10·3 + 5·7 + 7·7 = 270; 270 mod 11 = 6
    expect(rnokppCheckDigit("175901377")).to.equal(6);
    expect(isValidRnokpp("1759013770")).to.equal(false);
    expect(isValidRnokpp("175901377")).to.equal(false);
    expect(isValidRnokpp("17590137766")).to.equal(false);
  });

  it("computes the KZ check digit with the first weights", () => {
    // 1·0+2·1+3·0+4·5+5·1+6·0+7·3+8·0+9·1+10·2+11·3 = 110 → 110 mod 11 = 0
    expect(kzCheckDigit("01051030123")).to.equal(0);
    expect(isValidIin("010510301230")).to.equal(true);
    expect(isValidIin("010510301231")).to.equal(false);
  });

  it("falls back to the second weights when the first give 10, and rejects a second 10", () => {
    // find numbers exercising both branches
    let second = 0,
      invalid = 0;
    for (let i = 0; i < 2000; i++) {
      const first11 = "8503143" + String(i).padStart(4, "0");
      const d = [...first11].map(Number);
      const s1 = d.reduce((s, x, k) => s + x * (k + 1), 0) % 11;
      if (s1 !== 10) continue;
      const c = kzCheckDigit(first11);
      if (c === null) invalid++;
      else {
        second++;
        expect(isValidIin(first11 + c)).to.equal(true);
      }
    }
    expect(second).to.be.greaterThan(0);
    expect(invalid).to.be.greaterThan(0);
  });

  it("accepts generated IIN/BIN/EDRPOU and rejects them with a wrong check digit or shape", () => {
    for (let i = 0; i < 50; i++) {
      const iin = validIin(),
        bin = validBin(),
        ed = validEdrpou();
      expect(isValidIin(iin), iin).to.equal(true);
      expect(isValidIin(breakCheckDigit(iin))).to.equal(false);
      expect(isValidBin(bin), bin).to.equal(true);
      expect(isValidBin(breakCheckDigit(bin))).to.equal(false);
      expect(isValidEdrpou(ed), ed).to.equal(true);
      expect(isValidEdrpou(breakCheckDigit(ed))).to.equal(false);
    }
    expect(isValidIin("85031430001")).to.equal(false);
    expect(isValidIin("85131430001x")).to.equal(false);
    expect(isValidEdrpou("1234567")).to.equal(false);
  });

  it("uses the shifted EDRPOU weights between 30,000,000 and 60,000,000", () => {
    // 3000000·: weights 7,1,2,3,4,5,6 → 3·7 = 21 mod 11 = 10 → +2 weights: 3·9 = 27 mod 11 = 5
    expect(edrpouCheckDigit("3000000")).to.equal(5);
    // 1000000·: weights 1..7 → 1 → check 1
    expect(edrpouCheckDigit("1000000")).to.equal(1);
    expect(isValidEdrpou("30000005")).to.equal(true);
  });
});

describe("time-ordered row ids (UUID version 7)", () => {
  it("carry the time in their first 48 bits, are version 7 with the RFC variant, sort by time, and differ within one millisecond", () => {
    const t = Date.parse("2026-11-22T10:00:00.123Z");
    const id = timeOrderedId(t);
    expect(id).to.match(UUID_V7);
    expect(uuidV7Time(id)).to.equal(t);
    const same = new Set(Array.from({ length: 1000 }, () => timeOrderedId(t)));
    expect(same.size).to.equal(1000);
    const times = [0, 1, t - 1, t, t + 1, 2 ** 48 - 1];
    const ids = times.map((ms) => timeOrderedId(ms));
    expect([...ids].sort()).to.deep.equal(ids);
    expect(Uuid.safeParse(id).success).to.equal(true); // what the API accepts back
  });
});
