import { expect } from "chai";
import { passwordProblems } from "../../server/domain/identity/secrets.js";

describe("password policy (SPEC R1.4)", () => {
  const check = (p: string, forbidden: string[] = []) => passwordProblems(p, 8, forbidden);
  it("accepts a password with upper, lower, digit and symbol of 8+ characters", () => {
    expect(check("Abcdef1!")).to.deep.equal([]);
    expect(check("Құпия-Сөз9")).to.deep.equal([]);
  });
  it("names every rule a password breaks", () => {
    expect(check("abc")).to.have.members(["too_short", "no_uppercase", "no_digit", "no_symbol"]);
    expect(check("ABCDEFG1!")).to.deep.equal(["no_lowercase"]);
    expect(check("Abcdefgh!")).to.deep.equal(["no_digit"]);
    expect(check("Abcdefg12")).to.deep.equal(["no_symbol"]);
  });
  it("refuses the login or IIN as password", () => {
    expect(check("Admin.2026", ["admin.2026"])).to.deep.equal(["equals_identity"]);
  });
});
