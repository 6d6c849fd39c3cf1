// The pure rule modules, table by table: retention periods (SPEC R5.1–R5.2), accounting arithmetic
// (R2.3), the lifecycle's moves (R2.5), acceptance deadlines and day arithmetic (R2.6, R4.4), and
// the SQL scope of billing reads against the policy it mirrors (R1.3).
import { expect } from "chai";
import { MOVES, STATUSES } from "../../server/domain/documents/lifecycle.js";
import { billingReadScope, can } from "../../server/domain/identity/policy.js";
import type { Actor, Grant } from "../../server/domain/identity/roles.js";
import {
  retentionOf,
  type PartyFacts,
  type RetainedDocument,
  type RetentionFacts,
  type Rule,
} from "../../server/domain/retention/rules.js";
import { divRound, lineAmount, vatOf } from "../../server/domain/shared/arithmetic.js";
import { addBusinessDays, addMonths, firstOfMonthAfterNotice } from "../../server/domain/shared/days.js";
import { checkTotals } from "../../server/domain/shared/kinds.js";
import { percentOf } from "../../server/domain/shared/money.js";

describe("retention rules (pure)", () => {
  const rule = (r: Partial<Rule>): Rule => ({
    versionId: "v1",
    kind: null,
    organizationId: null,
    trigger: "registration",
    event: null,
    periodMonths: 60,
    endAction: "destroy",
    ...r,
  });
  const party = (p: Partial<PartyFacts> = {}): PartyFacts => ({
    contractEndedOn: null,
    earlyDestructionOn: null,
    earlyDestructionBefore: null,
    events: new Map(),
    ...p,
  });
  const facts = (rules: Rule[], parties: Record<string, PartyFacts> = {}): RetentionFacts => ({
    rules,
    parties: new Map(Object.entries(parties)),
    defaultMonths: 60,
    afterContractMonths: 36,
  });
  const doc = (d: Partial<RetainedDocument> = {}): RetainedDocument => ({
    kind: "invoice",
    created_at: "2026-03-02T10:00:00.000Z",
    doc_date: "2026-02-27",
    fields: {},
    sender_organization_id: "S",
    recipient_organization_id: "R",
    ...d,
  });

  const cases: Array<[string, RetainedDocument, RetentionFacts, string | null, "destroy" | "review"]> = [
    ["no rule: the default period from registration", doc(), facts([]), "2031-03-02", "destroy"],
    [
      "registered at 00:30 Almaty on New Year's Day (still Dec 31 in UTC): its day is the local one",
      doc({ created_at: "2026-12-31T19:30:00.000Z" }),
      facts([rule({ periodMonths: 12 })]),
      "2028-01-01",
      "destroy",
    ],
    [
      "parties living by Kyiv's clock: 23:30 on Dec 31 there is still Dec 31",
      doc({ created_at: "2026-12-31T21:30:00.000Z" }),
      facts([rule({ periodMonths: 12 })], {
        S: party({ timeZone: "Europe/Kyiv" }),
        R: party({ timeZone: "Europe/Kyiv" }),
      }),
      "2027-12-31",
      "destroy",
    ],
    [
      "a kind rule from the document's own date",
      doc(),
      facts([rule({ kind: "invoice", trigger: "document_date", periodMonths: 12 })]),
      "2027-02-27",
      "destroy",
    ],
    [
      "a rule of another kind does not apply: the default",
      doc(),
      facts([rule({ kind: "waybill", periodMonths: 1 })]),
      "2031-03-02",
      "destroy",
    ],
    [
      "the longest of two matching rules wins",
      doc(),
      facts([rule({ periodMonths: 12 }), rule({ periodMonths: 24 })]),
      "2028-03-02",
      "destroy",
    ],
    [
      "a tie: review beats destroy",
      doc(),
      facts([rule({ periodMonths: 12 }), rule({ periodMonths: 12, endAction: "review" })]),
      "2027-03-02",
      "review",
    ],
    [
      "a contract's validUntil starts a contract_end rule",
      doc({ kind: "contract", fields: { validUntil: "2027-12-31" } }),
      facts([rule({ trigger: "contract_end", periodMonths: 60 })]),
      "2032-12-31",
      "destroy",
    ],
    [
      "a contract_end rule with no end yet keeps the document",
      doc(),
      facts([rule({ trigger: "contract_end" })]),
      null,
      "destroy",
    ],
    [
      "an event rule waits for its event",
      doc(),
      facts([rule({ trigger: "event", event: "dispute_closed", periodMonths: 12 })]),
      null,
      "destroy",
    ],
    [
      "an event against the counterparty starts it",
      doc(),
      facts([rule({ trigger: "event", event: "dispute_closed", periodMonths: 12 })], {
        S: party({ events: new Map([["dispute_closed", [{ on: "2026-06-01", counterpartyId: "R" }]]]) }),
        R: party({ events: new Map([["dispute_closed", [{ on: "2026-05-01", counterpartyId: null }]]]) }),
      }),
      "2027-06-01",
      "destroy",
    ],
    [
      "…while the other party's event has not happened, the document is kept",
      doc(),
      facts([rule({ trigger: "event", event: "dispute_closed", periodMonths: 12 })], {
        S: party({ events: new Map([["dispute_closed", [{ on: "2026-06-01", counterpartyId: "R" }]]]) }),
      }),
      null,
      "destroy",
    ],
    [
      "an event against another counterparty does not count",
      doc({ recipient_organization_id: null }),
      facts([rule({ trigger: "event", event: "dispute_closed", periodMonths: 12 })], {
        S: party({ events: new Map([["dispute_closed", [{ on: "2026-06-01", counterpartyId: "Q" }]]]) }),
      }),
      null,
      "destroy",
    ],
    [
      "the recipient's longer duty keeps it",
      doc(),
      facts([rule({ organizationId: "R", periodMonths: 120 })]),
      "2036-03-02",
      "destroy",
    ],
    [
      "after the operator contract ends, at least afterContractMonths",
      doc(),
      facts([rule({ periodMonths: 12 })], {
        S: party({ contractEndedOn: "2026-06-30" }),
        R: party({ contractEndedOn: "2026-06-30" }),
      }),
      "2029-06-30",
      "destroy",
    ],
    [
      "an approved early destruction replaces both duties for older documents",
      doc({ recipient_organization_id: null }),
      facts([rule({ periodMonths: 120 })], {
        S: party({ earlyDestructionOn: "2026-09-01", earlyDestructionBefore: "2026-08-01T00:00:00.000Z" }),
      }),
      "2026-09-01",
      "destroy",
    ],
    [
      "…but not for documents registered after it was requested",
      doc({ recipient_organization_id: null, created_at: "2026-08-02T00:00:00.000Z" }),
      facts([rule({ periodMonths: 12 })], {
        S: party({ earlyDestructionOn: "2026-09-01", earlyDestructionBefore: "2026-08-01T00:00:00.000Z" }),
      }),
      "2027-08-02",
      "destroy",
    ],
  ];
  for (const [name, d, f, until, action] of cases) {
    it(name, () => {
      const r = retentionOf(d, f);
      expect(r.retainUntil).to.equal(until);
      expect(r.action).to.equal(action);
    });
  }
});

describe("accounting arithmetic and kinds (pure)", () => {
  it("rounds half away from zero, line amounts and VAT exactly", () => {
    const table: Array<[bigint, bigint, bigint]> = [
      [5n, 2n, 3n],
      [-5n, 2n, -3n],
      [4n, 2n, 2n],
      [7n, 3n, 2n],
      [-7n, 3n, -2n],
      [1n, 3n, 0n],
      [2n, 3n, 1n],
    ];
    for (const [n, d, q] of table) expect(divRound(n, d), `${n}/${d}`).to.equal(q);
    expect(lineAmount("3.000", "33.33")).to.equal(9999n);
    expect(lineAmount("0.333", "0.05")).to.equal(2n); // 0.01665 → 0.02
    expect(vatOf("100.00", "12.00")).to.equal(1200n);
    expect(vatOf("0.04", "12.00")).to.equal(0n); // 0.0048 → 0.00
    expect(percentOf(100_000n, "0.1")).to.equal(100n);
  });

  const invoice = (o: Record<string, unknown> = {}) => ({
    lines: [{ name: "a", quantity: "2", price: "10.00", amount: "20.00", vatRate: "12", vatAmount: "2.40" }],
    vat: "2.40",
    total: "22.40",
    ...o,
  });
  const problems: Array<[string, Parameters<typeof checkTotals>[0], Record<string, any>, string[]]> = [
    ["a consistent invoice", "invoice", invoice(), []],
    [
      "a line whose amount is not quantity × price",
      "invoice",
      invoice({
        lines: [{ name: "a", quantity: "2", price: "10.00", amount: "21.00", vatRate: "12", vatAmount: "2.52" }],
        vat: "2.52",
        total: "23.52",
      }),
      ["lines.0.amount"],
    ],
    [
      "a line VAT off its rate",
      "invoice",
      invoice({
        lines: [{ name: "a", quantity: "2", price: "10.00", amount: "20.00", vatRate: "12", vatAmount: "2.00" }],
        vat: "2.00",
        total: "22.00",
      }),
      ["lines.0.vatAmount"],
    ],
    ["a total off lines + VAT", "invoice", invoice({ total: "22.41" }), ["total"]],
    ["a VAT off the lines' VAT", "invoice", invoice({ vat: "2.50", total: "22.50" }), ["vat"]],
    [
      "a reconciliation act that balances",
      "reconciliation_act",
      {
        openingBalance: "100.00",
        debit: "50.00",
        credit: "30.00",
        closingBalance: "120.00",
        periodFrom: "2026-01-01",
        periodTo: "2026-03-31",
      },
      [],
    ],
    [
      "one that does not, over a backwards period",
      "reconciliation_act",
      {
        openingBalance: "100.00",
        debit: "50.00",
        credit: "30.00",
        closingBalance: "121.00",
        periodFrom: "2026-04-01",
        periodTo: "2026-03-31",
      },
      ["closingBalance", "periodTo"],
    ],
    ["a letter has no arithmetic", "letter", { subject: "x" }, []],
  ];
  for (const [name, kind, fields, fieldsWrong] of problems) {
    it(`totals: ${name}`, () => expect(checkTotals(kind, fields).map((p) => p.field)).to.deep.equal(fieldsWrong));
  }
});

describe("the lifecycle's moves (pure)", () => {
  it("every move starts only from known statuses, and a destroyed document has no moves", () => {
    for (const [move, from] of Object.entries(MOVES)) {
      for (const s of from) expect(STATUSES, `${move} from ${s}`).to.include(s);
      expect(from, move).to.not.include("destroyed");
    }
  });

  const table: Array<[keyof typeof MOVES, string, boolean]> = [
    ["send", "signing", true],
    ["send", "draft", false],
    ["receipt", "sent", true],
    ["receipt", "delivered", false],
    ["signAsRecipient", "delivered", true],
    ["signAsRecipient", "sent", false],
    ["deem", "delivered", true],
    ["deem", "signed_by_recipient", false],
    ["answerAnnulment", "annulment_requested", true],
    ["requestAnnulment", "annulled", false],
    ["edit", "returned", true],
    ["edit", "signing", false],
  ];
  for (const [move, status, allowed] of table) {
    it(`${move} from ${status}: ${allowed ? "allowed" : "refused"}`, () =>
      expect((MOVES[move] as readonly string[]).includes(status)).to.equal(allowed));
  }
});

describe("days and deadlines (pure)", () => {
  const none = new Set<string>();
  it("adds months clamped to the month's end, business days over weekends and holidays", () => {
    expect(addMonths("2026-01-31", 1)).to.equal("2026-02-28");
    expect(addMonths("2028-01-31", 1)).to.equal("2028-02-29");
    expect(addMonths("2026-03-31", -1)).to.equal("2026-02-28");
    expect(addBusinessDays("2026-03-06", 1, none)).to.equal("2026-03-09"); // Friday → Monday
    expect(addBusinessDays("2026-03-06", 1, new Set(["2026-03-09"]))).to.equal("2026-03-10");
    expect(firstOfMonthAfterNotice("2026-03-02", 30)).to.equal("2026-04-01"); // the notice ends on a 1st
    expect(firstOfMonthAfterNotice("2026-03-02", 31)).to.equal("2026-05-01");
  });
});

describe("billing's SQL scope agrees with the policy", () => {
  const g = (role: Grant["role"], organizationId: string | null, branchPath: string | null): Grant => ({
    id: "g",
    role,
    organizationId,
    branchId: null,
    branchPath,
  });
  const user = (...grants: Grant[]): Actor => ({ type: "user", id: "u", userId: "u", grants }) as Actor;
  const actors: Array<[string, Actor]> = [
    ["an accountant of a branch", user(g("accountant", "A", "/a/b/"))],
    ["a head of the whole organization", user(g("head", "A", null))],
    ["a clerk (no billing)", user(g("clerk", "A", "/a/"))],
    ["an admin of two organizations", user(g("org_admin", "A", "/a/"), g("org_admin", "B", "/b/x/"))],
    ["the billing operator", user(g("billing_operator", null, null))],
    ["a compliance officer (reads the appliance)", user(g("compliance_officer", null, null))],
    ["nobody", user()],
  ];
  const branches = [
    ["A", "/a/"],
    ["A", "/a/b/"],
    ["A", "/a/b/c/"],
    ["A", "/a/z/"],
    ["B", "/b/"],
    ["B", "/b/x/"],
    ["C", "/c/"],
  ];
  for (const [name, actor] of actors) {
    it(name, () => {
      const scope = billingReadScope(actor);
      for (const [org, path] of branches) {
        const bySql =
          scope === "all" ||
          scope.some((s) => s.organizationId === org && (s.path === null || path.startsWith(s.path)));
        expect(bySql, `${org} ${path}`).to.equal(
          can(actor, "billing.read", { type: "branch", id: "x", organizationId: org, path }),
        );
      }
    });
  }
});
