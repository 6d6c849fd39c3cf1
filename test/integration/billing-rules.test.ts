// Billing's rules one at a time (SPEC R4.1-R4.8): bad input gets a clear error and changes nothing;
// who may do what; sponsors, suspension on request, credit terms and overpayment kept as credit.
import { expect } from "chai";
import { startTestApp, type TestApp } from "../support/app.js";
import { invoiceFields } from "../../server/domain/processes/invoicePublishing.js";
import { auditCount, buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import { validBin } from "../support/ids.js";

type Org = { id: string; headOfficeId: string; name: string; bin: string };

describe("billing rules", () => {
  let app: TestApp;
  let operator: BuiltUser, accountant: BuiltUser, clerk: BuiltUser, admin: BuiltUser, sponsorAccountant: BuiltUser;
  let customer: Org, sponsor: Org;
  let plan: any, usdPlan: any;
  const count = async (table: string, where: Record<string, unknown> = {}) =>
    Number((await app.db(table).where(where).count({ n: "*" }).first())!.n);

  before(async () => {
    app = await startTestApp();
    customer = await buildOrganization(app, { name: "Rules Customer" });
    sponsor = await buildOrganization(app, { name: "Sponsor Holding" });
    operator = await buildUser(app, [{ role: "billing_operator" }]);
    accountant = await buildUser(app, [
      { role: "accountant", organizationId: customer.id, branchId: customer.headOfficeId },
    ]);
    clerk = await buildUser(app, [{ role: "clerk", organizationId: customer.id, branchId: customer.headOfficeId }]);
    admin = await buildUser(app, [{ role: "org_admin", organizationId: customer.id, branchId: customer.headOfficeId }]);
    sponsorAccountant = await buildUser(app, [
      { role: "accountant", organizationId: sponsor.id, branchId: sponsor.headOfficeId },
    ]);
    plan = (
      await operator.client.post("/api/v1/billing/plans", {
        code: "basic",
        name: "Basic",
        price: "10000.00",
        currency: "KZT",
      })
    ).body;
    usdPlan = (
      await operator.client.post("/api/v1/billing/plans", {
        code: "basic-usd",
        name: "Basic USD",
        price: "20.00",
        currency: "USD",
      })
    ).body;
  });
  after(() => app.close());

  it("VAT per country and day: a UA participant's invoice carries none, a KZ one 16 % in 2026 and 12 % in 2025", async () => {
    const subscribe = async (country: "KZ" | "UA") => {
      const org = await buildOrganization(app, { name: `VAT ${country} ${Math.random()}`, country });
      const r = await operator.client.post("/api/v1/billing/subscriptions", {
        organizationId: org.id,
        planId: plan.id,
      });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      return r.body.invoice;
    };
    const kz2026 = await subscribe("KZ");
    expect(kz2026).to.include({ subtotal: "10000.00", vat: "1600.00", total: "11600.00", vatPercent: "16" });
    const ua = await subscribe("UA");
    expect(ua).to.include({ subtotal: "10000.00", vat: "0.00", total: "10000.00", vatPercent: null });
    // A plan billed without VAT: none for a Kazakh payer either.
    const exemptPlan = (
      await operator.client.post("/api/v1/billing/plans", {
        code: "no-vat",
        name: "No VAT",
        price: "10000.00",
        currency: "KZT",
        vatExempt: true,
      })
    ).body;
    expect(exemptPlan.vatExempt).to.equal(true);
    const exemptOrg = await buildOrganization(app, { name: `Exempt ${Math.random()}` });
    const exempt = await operator.client.post("/api/v1/billing/subscriptions", {
      organizationId: exemptOrg.id,
      planId: exemptPlan.id,
    });
    expect(exempt.body.invoice).to.include({ vat: "0.00", total: "10000.00", vatPercent: null });
    const now = app.clock.now();
    try {
      app.clock.set("2025-12-20T09:00:00.000Z");
      await operator.client.login(operator.login, "Str0ng!Passw0rd");
      await app.admin.login("root", "Str0ng!Passw0rd");
      const kz2025 = await subscribe("KZ");
      expect(kz2025).to.include({ vat: "1200.00", total: "11200.00", vatPercent: "12" });
    } finally {
      app.clock.set(now);
      await operator.client.login(operator.login, "Str0ng!Passw0rd");
      await app.admin.login("root", "Str0ng!Passw0rd");
    }
  });

  it("a USD plan bills a Kazakh payer in tenge at the rate the operator recorded, printed on the invoice; none recorded refuses", async () => {
    const org = await buildOrganization(app, { name: `USD payer ${Math.random()}` });
    const subscribe = () =>
      operator.client.post("/api/v1/billing/subscriptions", { organizationId: org.id, planId: usdPlan.id });
    const missing = await subscribe();
    expect([missing.status, missing.body.code]).to.deep.equal([409, "exchange_rate_missing"]);
    expect(await app.db("subscriptions").where({ organization_id: org.id })).to.have.length(0);
    const refused = await accountant.client.post("/api/v1/billing/exchange-rates", {
      currency: "USD",
      day: "2026-03-01",
      rate: "500.1234",
      source: "National Bank of Kazakhstan",
    });
    expect(refused.status).to.equal(403);
    const bad = await operator.client.post("/api/v1/billing/exchange-rates", {
      currency: "XYZ",
      day: "2026-03-01",
      rate: "1",
      source: "nobody",
    });
    expect(bad.status).to.equal(400);
    const recorded = await operator.client.post("/api/v1/billing/exchange-rates", {
      currency: "USD",
      day: "2026-03-01",
      rate: "500.1234",
      source: "National Bank of Kazakhstan, official rate",
    });
    expect(recorded.status, JSON.stringify(recorded.body)).to.equal(201);
    const r = await subscribe();
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    // 20.00 USD × 500.1234 = 10,002.468 → 10,002.47 KZT; VAT 16 % = 1,600.40.
    expect(r.body.invoice).to.include({ currency: "KZT", subtotal: "10002.47", vat: "1600.40", total: "11602.87" });
    expect(r.body.invoice.exchange).to.deep.equal({
      currency: "USD",
      rate: "500.1234",
      day: "2026-03-01",
      source: "National Bank of Kazakhstan, official rate",
    });
    const row = (await app.db("invoices").where({ id: r.body.invoice.id }).first())!;
    const lines = await app.db("invoice_lines").where({ invoice_id: row.id });
    const fields = invoiceFields(
      row,
      lines,
      { name: "Operator", bin: null, edrpou: null },
      {
        name: "Payer",
        bin: null,
        edrpou: null,
      },
    );
    expect(fields.basis).to.include("1 USD = 500.1234 KZT (2026-03-01, National Bank of Kazakhstan, official rate)");
  });

  it("a new participant is metered on Demo until the operator chooses another plan; a counterparty named in a registration too", async () => {
    app.config.billing.defaultPlanCode = "demo";
    try {
      const org = await buildOrganization(app, { name: `Unsubscribed ${Math.random()}` });
      const subs = async () =>
        (await operator.client.get(`/api/v1/billing/subscriptions?organizationId=${org.id}`)).body.items as Array<{
          id: string;
          status: string;
          planId: string;
          usage: { documents: number; storageBytes: number };
        }>;
      const codeOf = async (planId: string) => (await app.db("tariff_plans").where({ id: planId }).first())!.code;
      const [demo] = await subs();
      expect(demo).to.deep.include({ status: "active" });
      expect(await codeOf(demo.planId)).to.equal("demo");
      const orgClerk = await buildUser(app, [{ role: "clerk", organizationId: org.id, branchId: org.headOfficeId }]);
      const letter = () =>
        orgClerk.client.post("/api/v1/documents", {
          metadata: {
            kind: "letter",
            recipient: {
              organization: { name: "Named Counterparty", country: "KZ", bin: validBin() },
              email: "named@counterparty.example",
            },
            fields: {},
          },
          content: {
            name: "l.pdf",
            mediaType: "application/pdf",
            data: Buffer.from(`%PDF-1.4\n% demo ${Math.random()}\n%%EOF\n`).toString("base64"),
          },
        });
      const r = await letter();
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const [metered] = await subs();
      expect(metered.usage.documents).to.equal(1);
      expect(metered.usage.storageBytes).to.be.greaterThan(0);
      // The counterparty the letter named is on Demo too.
      const named = await app
        .db("subscriptions as s")
        .join("tariff_plans as p", "p.id", "s.plan_id")
        .where("s.organization_id", r.body.recipient.organizationId)
        .first("p.code", "s.status");
      expect(named).to.include({ code: "demo", status: "active" });
      // The operator's choice replaces Demo; the stored bytes stay with the branch.
      const chosen = await operator.client.post("/api/v1/billing/subscriptions", {
        organizationId: org.id,
        planId: plan.id,
      });
      expect(chosen.status, JSON.stringify(chosen.body)).to.equal(201);
      const after = await subs();
      const live = after.find((x) => x.status === "active")!;
      expect(await codeOf(live.planId)).to.equal("basic");
      expect(live.usage.storageBytes).to.equal(metered.usage.storageBytes);
      expect(after.find((x) => x.id === demo.id)!.status).to.equal("ended");
    } finally {
      app.config.billing.defaultPlanCode = "";
    }
  });

  it("termination notice per plan: at any time (UA contract), 15 days (E-DOC), the default 30 days (KZ)", async () => {
    const planWith = async (code: string, notice?: number) =>
      (
        await operator.client.post("/api/v1/billing/plans", {
          code,
          name: code,
          price: "0.00", // no invoice: nothing to fall overdue in the later tests
          currency: "KZT",
          ...(notice !== undefined ? { terminationNoticeDays: notice } : {}),
        })
      ).body;
    const subscribed = async (p: { id: string }) => {
      const org = await buildOrganization(app, { name: `Term ${Math.random()}` });
      const orgAdmin = await buildUser(app, [
        { role: "org_admin", organizationId: org.id, branchId: org.headOfficeId },
      ]);
      const r = await operator.client.post("/api/v1/billing/subscriptions", { organizationId: org.id, planId: p.id });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      return { admin: orgAdmin, id: r.body.subscription?.id ?? r.body.id };
    };
    const today = app.clock.now().toISOString().slice(0, 10);
    const plus = (n: number) => new Date(Date.parse(today + "T00:00:00Z") + n * 86400e3).toISOString().slice(0, 10);
    const terminate = (who: { admin: BuiltUser; id: string }, body: Record<string, unknown>) =>
      who.admin.client.post(`/api/v1/billing/subscriptions/${who.id}/termination`, {
        reason: "contract ends",
        ...body,
      });

    const anyTime = await subscribed(await planWith("ua-any", 0));
    expect((await planWith("ua-any-2", 0)).terminationNoticeDays).to.equal(0);
    const now = await terminate(anyTime, { on: today });
    expect(now.status, JSON.stringify(now.body)).to.equal(200);
    expect(now.body.terminatesOn).to.equal(today);

    const edoc = await subscribed(await planWith("edoc", 15));
    const short = await terminate(edoc, { on: plus(10) });
    expect([short.status, short.body.code, short.body.earliest]).to.deep.equal([400, "notice_too_short", plus(15)]);
    expect((await terminate(edoc, {})).body.terminatesOn).to.equal(plus(15));

    const kz = await subscribed(await planWith("kz-default"));
    expect((await terminate(kz, { on: plus(20) })).body.earliest).to.equal(plus(30));
  });

  it("plans: bad prices, currencies and quotas are refused with clear codes; only the billing operator creates one", async () => {
    const bad = async (body: Record<string, unknown>, status: number, code: string) => {
      const r = await operator.client.post("/api/v1/billing/plans", {
        code: `p${Math.random().toString(36).slice(2, 8)}`,
        name: "X",
        price: "1.00",
        currency: "KZT",
        ...body,
      });
      expect(r.status, JSON.stringify(r.body)).to.equal(status);
      expect(r.body.code).to.equal(code);
    };
    const before = await count("tariff_plans");
    await bad({ price: "-5.00" }, 400, "invalid_amount");
    await bad({ price: "abc" }, 400, "invalid_amount");
    await bad({ price: "1.005" }, 400, "invalid_amount");
    await bad({ price: 100 }, 400, "validation_failed");
    await bad({ currency: "kzt" }, 400, "validation_failed");
    await bad({ currency: "XYZ" }, 400, "validation_failed"); // three letters, but no ISO 4217 currency
    await bad({ currency: "XTS" }, 400, "validation_failed"); // ISO's test code prices nothing
    await bad({ quotas: { documents: -1 } }, 400, "validation_failed");
    await bad({ package: true }, 400, "package_needs_quota");
    await bad({ code: "basic" }, 409, "plan_code_taken");
    const refused = await accountant.client.post("/api/v1/billing/plans", {
      code: "mine",
      name: "Mine",
      price: "1.00",
      currency: "KZT",
    });
    expect(refused.status).to.equal(403);
    expect(await count("tariff_plans")).to.equal(before);
    // A free Demo plan comes with the appliance.
    const demo = (await clerk.client.get("/api/v1/billing/plans")).body.items.find((p: any) => p.code === "demo");
    expect(demo).to.include({ price: "0.00" });
    expect(demo.quotas.documents).to.be.a("number");
  });

  it("a sponsor pays for a counterparty (R4.8): the invoice is the sponsor's, both see it, both are told", async () => {
    const r = await operator.client.post("/api/v1/billing/subscriptions", {
      organizationId: customer.id,
      planId: plan.id,
      payerOrganizationId: sponsor.id,
      paymentTerms: "credit",
    });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    expect(r.body.invoice).to.include({ payerOrganizationId: sponsor.id, organizationId: customer.id });
    // Credit: 3 working days (Mon 2 March → Thu 5 March).
    expect(r.body.invoice.dueOn).to.equal("2026-03-05");
    expect((await sponsorAccountant.client.get(`/api/v1/billing/invoices/${r.body.invoice.id}`)).status).to.equal(200);
    expect((await accountant.client.get(`/api/v1/billing/invoices/${r.body.invoice.id}`)).status).to.equal(200);
    expect((await clerk.client.get(`/api/v1/billing/invoices/${r.body.invoice.id}`)).status).to.equal(404);
    await app.deps.outbox.drain();
    const told = app.smtp.messages.filter((m) => m.topic === "billing.invoice_issued").flatMap((m) => m.to);
    expect(told).to.include.members([`${sponsorAccountant.login}@example.kz`, `${accountant.login}@example.kz`]);
    expect(told).to.not.include(`${clerk.login}@example.kz`);
  });

  it("payments: bad amounts, mismatched currency, a future date, a repeated reference, a cancelled invoice — refused, nothing recorded; an overpayment is kept as credit and pays the next invoice", async () => {
    const invoice = (await operator.client.get(`/api/v1/billing/invoices?organizationId=${customer.id}`)).body.items[0];
    const pay = (body: Record<string, unknown>, by = operator) =>
      by.client.post(`/api/v1/billing/invoices/${invoice.id}/payments`, {
        amount: "100.00",
        currency: "KZT",
        paidOn: "2026-03-02",
        reference: `R-${Math.random()}`,
        ...body,
      });
    const expectRefused = async (body: Record<string, unknown>, status: number, code: string) => {
      const r = await pay(body);
      expect(r.status, JSON.stringify(r.body)).to.equal(status);
      expect(r.body.code).to.equal(code);
    };
    await expectRefused({ amount: "-1.00" }, 400, "invalid_amount");
    await expectRefused({ amount: "ten" }, 400, "invalid_amount");
    await expectRefused({ amount: "0" }, 400, "invalid_amount");
    await expectRefused({ amount: 100 }, 400, "validation_failed");
    await expectRefused({ currency: "USD" }, 422, "currency_mismatch");
    await expectRefused({ paidOn: "2026-03-03" }, 400, "date_in_future");
    await expectRefused({ paidOn: "2026-03-01" }, 400, "paid_before_issue");
    expect(await count("payments")).to.equal(0);

    // Who: an accountant of the customer may not record a payment (403, audited, nothing changes).
    const denied = await auditCount(app, { action: "access.denied" });
    expect((await pay({}, accountant)).status).to.equal(403);
    expect(await auditCount(app, { action: "access.denied" })).to.equal(denied + 1);
    expect(await count("payments")).to.equal(0);
    // The operator may: exactly one audit entry.
    const recorded = await auditCount(app, { action: "billing.payment_record" });
    const ok = await pay({ amount: "6000.00", reference: "BANK-1" });
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    expect(await auditCount(app, { action: "billing.payment_record" })).to.equal(recorded + 1);
    expect((await pay({ reference: "BANK-1" })).body.code).to.equal("duplicate_payment");
    // 11,600.00 due: 6,000.00 paid, 10,000.00 more pays it and leaves 4,400.00 of credit.
    const over = await pay({ amount: "10000.00", reference: "BANK-2" });
    expect(over.body).to.deep.include({ credit: "4400.00" });
    expect(over.body.invoice).to.include({ status: "paid", paid: "11600.00" });
    expect((await pay({ reference: "BANK-3" })).body.code).to.equal("invoice_paid");
    expect((await sponsorAccountant.client.get(`/api/v1/billing/credit/${sponsor.id}`)).body.items).to.deep.equal([
      { currency: "KZT", balance: "4400.00" },
    ]);

    // The sponsor's next invoice is paid from its credit at once.
    const other = await buildOrganization(app, { name: "Second Sponsored" });
    const second = await operator.client.post("/api/v1/billing/subscriptions", {
      organizationId: other.id,
      planId: plan.id,
      payerOrganizationId: sponsor.id,
    });
    expect(second.body.invoice).to.include({ paid: "4400.00", outstanding: "7200.00", status: "issued" });
    expect((await sponsorAccountant.client.get(`/api/v1/billing/credit/${sponsor.id}`)).body.items).to.deep.equal([
      { currency: "KZT", balance: "0.00" },
    ]);

    // A cancelled invoice takes no payments; what was paid on it returns as credit.
    const cancelled = await operator.client.post(`/api/v1/billing/invoices/${second.body.invoice.id}/cancellation`, {
      reason: "issued in error",
    });
    expect(cancelled.body.status).to.equal("cancelled");
    const toCancelled = await operator.client.post(`/api/v1/billing/invoices/${second.body.invoice.id}/payments`, {
      amount: "1.00",
      currency: "KZT",
      paidOn: "2026-03-02",
      reference: "X-1",
    });
    expect(toCancelled.status).to.equal(409);
    expect(toCancelled.body.code).to.equal("invoice_cancelled");
    expect((await sponsorAccountant.client.get(`/api/v1/billing/credit/${sponsor.id}`)).body.items).to.deep.equal([
      { currency: "KZT", balance: "4400.00" },
    ]);
  });

  it("subscriptions: a start in the past, a closed plan, a second live subscription, a plan change to another currency or not on a 1st — refused", async () => {
    const org = await buildOrganization(app, { name: "Third" });
    const past = await operator.client.post("/api/v1/billing/subscriptions", {
      organizationId: org.id,
      planId: plan.id,
      startOn: "2026-03-01",
    });
    expect([past.status, past.body.code]).to.deep.equal([400, "date_in_past"]);
    const exists = await operator.client.post("/api/v1/billing/subscriptions", {
      organizationId: customer.id,
      planId: plan.id,
    });
    expect([exists.status, exists.body.code]).to.deep.equal([409, "subscription_exists"]);
    const sub = (await operator.client.get(`/api/v1/billing/subscriptions?organizationId=${customer.id}`)).body
      .items[0];
    const currency = await admin.client.post(`/api/v1/billing/subscriptions/${sub.id}/plan-change`, {
      planId: usdPlan.id,
    });
    expect([currency.status, currency.body.code]).to.deep.equal([422, "currency_mismatch"]);
    const notFirst = await admin.client.post(`/api/v1/billing/subscriptions/${sub.id}/plan-change`, {
      planId: (
        await operator.client.post("/api/v1/billing/plans", {
          code: "pro",
          name: "Pro",
          price: "20000.00",
          currency: "KZT",
        })
      ).body.id,
      effectiveOn: "2026-04-15",
    });
    expect([notFirst.status, notFirst.body.code]).to.deep.equal([400, "not_first_of_month"]);
    const tooSoon = await admin.client.post(`/api/v1/billing/subscriptions/${sub.id}/plan-change`, {
      planId: notFirst.body.id ?? plan.id,
      effectiveOn: "2026-03-01",
    });
    expect(tooSoon.status).to.equal(400);
    expect(
      (await clerk.client.post(`/api/v1/billing/subscriptions/${sub.id}/plan-change`, { planId: usdPlan.id })).status,
    ).to.equal(403);
    expect((await app.db("subscriptions").where({ id: sub.id }).first())!.pending_plan_id).to.equal(null);
    const closedPlan = (
      await operator.client.post("/api/v1/billing/plans", { code: "old", name: "Old", price: "1.00", currency: "KZT" })
    ).body;
    await operator.client.post(`/api/v1/billing/plans/${closedPlan.id}/closure`, { successorId: plan.id });
    const onClosed = await operator.client.post("/api/v1/billing/subscriptions", {
      organizationId: org.id,
      planId: closedPlan.id,
    });
    expect([onClosed.status, onClosed.body.code]).to.deep.equal([409, "plan_closed"]);
  });

  it("suspension at the participant's request (R4.7): no outgoing work while it lasts, lifted on request; a clerk cannot ask for it", async () => {
    const sub = (await operator.client.get(`/api/v1/billing/subscriptions?organizationId=${customer.id}`)).body
      .items[0];
    expect(
      (
        await clerk.client.post(`/api/v1/billing/subscriptions/${sub.id}/suspension`, {
          from: "2026-03-02",
          until: "2026-04-01",
          reason: "x",
        })
      ).status,
    ).to.equal(403);
    const past = await admin.client.post(`/api/v1/billing/subscriptions/${sub.id}/suspension`, {
      from: "2026-03-01",
      until: "2026-04-01",
      reason: "renovation",
    });
    expect(past.body.code).to.equal("date_in_past");
    const s = await admin.client.post(`/api/v1/billing/subscriptions/${sub.id}/suspension`, {
      from: "2026-03-02",
      until: "2026-04-01",
      reason: "renovation",
    });
    expect(s.status, JSON.stringify(s.body)).to.equal(200);
    expect(s.body).to.include({ status: "suspended" });
    const state = await accountant.client.get(`/api/v1/billing/branches/${customer.headOfficeId}`);
    expect(state.body.outgoing).to.deep.include({ allowed: false, code: "subscription_suspended" });
    // The clerk learns that (and why) his branch may not send — the console's banner — but not its invoices.
    const clerkView = await clerk.client.get(`/api/v1/billing/branches/${customer.headOfficeId}`);
    expect(clerkView.status).to.equal(200);
    expect(clerkView.body.outgoing).to.deep.include({ allowed: false, code: "subscription_suspended" });
    expect(clerkView.body).to.not.have.any.keys("subscription", "openInvoices");
    expect(state.body).to.have.all.keys("branchId", "branchName", "subscription", "outgoing", "openInvoices");
    const resumed = await admin.client.del(`/api/v1/billing/subscriptions/${sub.id}/suspension`);
    expect(resumed.body.status).to.equal("active");
    expect(
      (await accountant.client.get(`/api/v1/billing/branches/${customer.headOfficeId}`)).body.outgoing.allowed,
    ).to.equal(true);
  });

  it("optional longer-delay steps (R4.5): suspension of all work after 15 days, the branch itself blocked after 3 months; paying lifts both at once", async () => {
    app.config.billing.overdue.suspendStep = true;
    app.config.billing.overdue.fullBlockStep = true;
    try {
      const org = await buildOrganization(app, { name: "Late Payer" });
      const lateClerk = await buildUser(app, [{ role: "clerk", organizationId: org.id, branchId: org.headOfficeId }]);
      // Someone the overdue notice reaches: a block counts from its delivery (SPEC R6.2).
      await buildUser(app, [{ role: "accountant", organizationId: org.id, branchId: org.headOfficeId }]);
      const sub = await operator.client.post("/api/v1/billing/subscriptions", {
        organizationId: org.id,
        planId: plan.id,
      });
      const invoice = sub.body.invoice; // due 2026-03-09
      const run = async (day: string) => {
        app.clock.set(`${day}T09:00:00.000Z`);
        const r = await app.deps.jobs.runNow("billing.daily");
        expect(r.outcome, r.error).to.equal("success");
        await app.deps.outbox.drain(); // the notice reaches the branch by mail: blocks count from then
        for (const u of [operator, lateClerk]) await u.client.login(u.login, "Str0ng!Passw0rd");
        await app.admin.login("root", "Str0ng!Passw0rd");
        return r.result as Record<string, number>;
      };
      const registerDraft = () =>
        lateClerk.client.post("/api/v1/documents", {
          metadata: { kind: "letter", recipient: { organizationId: customer.id }, fields: {} },
          content: {
            name: "l.pdf",
            mediaType: "application/pdf",
            data: Buffer.from("%PDF-1.4\n% late\n%%EOF\n").toString("base64"),
          },
        });
      await run("2026-03-10");
      expect((await run("2026-03-13")).blocks).to.equal(1);
      expect((await registerDraft()).status).to.equal(201); // blocked: drafts may still be registered
      expect((await run("2026-03-24")).suspendedForDebt).to.equal(1);
      const refused = await registerDraft();
      expect([refused.status, refused.body.code]).to.deep.equal([402, "billing_suspended"]);
      expect((await run("2026-06-07")).fullBlocks).to.equal(1);
      // Billing's block is the subscription's stage; the branch's own status stays identity's.
      expect((await operator.client.get(`/api/v1/billing/subscriptions/${sub.body.id}`)).body.block).to.include({
        stage: "full",
      });
      expect((await app.db("branches").where({ id: org.headOfficeId }).first())!.status).to.equal("active");
      const status = await lateClerk.client.get(`/api/v1/billing/branches/${org.headOfficeId}`);
      expect(status.body.outgoing).to.include({ allowed: false, code: "billing_blocked" });
      const stillRefused = await registerDraft();
      expect([stillRefused.status, stillRefused.body.code]).to.deep.equal([402, "billing_suspended"]);
      expect(await auditCount(app, { action: "billing.block" })).to.be.greaterThanOrEqual(3);
      const paid = await operator.client.post(`/api/v1/billing/invoices/${invoice.id}/payments`, {
        amount: invoice.total,
        currency: "KZT",
        paidOn: "2026-06-07",
        reference: "LATE-1",
      });
      expect(paid.body.blockLifted).to.equal(true);
      // The penalty reached its cap: 5 % of 11,600.00.
      expect(paid.body.penaltyInvoice.total).to.equal("580.00");
      expect((await lateClerk.client.get(`/api/v1/billing/branches/${org.headOfficeId}`)).body.outgoing).to.include({
        allowed: true,
      });
      expect((await registerDraft()).status).to.equal(201);
    } finally {
      app.config.billing.overdue.suspendStep = false;
      app.config.billing.overdue.fullBlockStep = false;
    }
  });

  it("a transaction package ends early when used up (R4.2) and, renewing, starts a new term with a new invoice", async () => {
    app.clock.set("2026-06-08T09:00:00.000Z");
    await operator.client.login(operator.login, "Str0ng!Passw0rd");
    await app.admin.login("root", "Str0ng!Passw0rd");
    const pack = (
      await operator.client.post("/api/v1/billing/plans", {
        code: "pack2",
        name: "Pack of 2",
        price: "500.00",
        currency: "KZT",
        package: true,
        quotas: { documents: 2 },
      })
    ).body;
    const org = await buildOrganization(app, { name: "Package User" });
    const packClerk = await buildUser(app, [{ role: "clerk", organizationId: org.id, branchId: org.headOfficeId }]);
    const sub = (
      await operator.client.post("/api/v1/billing/subscriptions", { organizationId: org.id, planId: pack.id })
    ).body;
    const send = () =>
      packClerk.client.post("/api/v1/documents", {
        metadata: { kind: "letter", recipient: { organizationId: customer.id }, fields: {} },
        content: {
          name: "l.pdf",
          mediaType: "application/pdf",
          data: Buffer.from(`%PDF-1.4\n% ${Math.random()}\n%%EOF\n`).toString("base64"),
        },
      });
    expect((await send()).status).to.equal(201);
    expect((await send()).status).to.equal(201);
    expect((await send()).body.code).to.equal("quota_exceeded");
    const r = await app.deps.jobs.runNow("billing.daily");
    expect(r.result).to.include({ exhaustedPackages: 1, renewalInvoices: 1, termsRolled: 1 });
    await operator.client.login(operator.login, "Str0ng!Passw0rd");
    const renewed = (await operator.client.get(`/api/v1/billing/subscriptions/${sub.id}`)).body;
    expect(renewed).to.include({ periodStart: "2026-06-08", periodEnd: "2027-06-08" });
    expect(renewed.usage.documents).to.equal(0);
    expect((await send()).status).to.equal(201);
  });

  it("the users quota (R4.1): a role for one person too many is 402 and the person is not created", async () => {
    const small = (
      await operator.client.post("/api/v1/billing/plans", {
        code: "solo",
        name: "Solo",
        price: "0.00",
        currency: "KZT",
        quotas: { users: 1 },
      })
    ).body;
    const org = await buildOrganization(app, { name: "Solo LLP" });
    expect(
      (await operator.client.post("/api/v1/billing/subscriptions", { organizationId: org.id, planId: small.id }))
        .status,
    ).to.equal(201);
    await buildUser(app, [{ role: "clerk", organizationId: org.id, branchId: org.headOfficeId }]);
    const users = await count("users");
    const second = await app.admin.post("/api/v1/users", {
      login: `solo${Date.now()}`,
      email: "solo2@example.kz",
      fullName: "Second",
      password: "Str0ng!Passw0rd",
      roles: [{ role: "viewer", organizationId: org.id }],
    });
    expect([second.status, second.body.code, second.body.quota, second.body.limit]).to.deep.equal([
      402,
      "quota_exceeded",
      "users",
      1,
    ]);
    expect(await count("users")).to.equal(users);
  });
});
