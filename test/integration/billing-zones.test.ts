// Billing's days in the zone of the organization they bind (SPEC R2.6, R4.4): at 00:30 in Almaty an
// invoice due the day before is overdue for a Kazakh participant, while for one living by Kyiv's
// clock (21:30 there) its due day has not ended yet — it is overdue at Kyiv's midnight.
import { expect } from "chai";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";

describe("billing days per organization zone", () => {
  let app: TestApp;
  let operator: BuiltUser;
  before(async () => {
    app = await startTestApp();
    operator = await buildUser(app, [{ role: "billing_operator" }]);
  });
  after(() => app.close());

  it("marks an invoice overdue on the day after its due date in each payer's own zone", async () => {
    const plan = (
      await operator.client.post("/api/v1/billing/plans", {
        code: "zones",
        name: "Zones",
        price: "1000.00",
        currency: "KZT",
      })
    ).body;
    const kz = await buildOrganization(app, { name: "Almaty Payer LLP" });
    const ua = await buildOrganization(app, { name: "Kyiv Payer", country: "UA" });
    expect((await app.admin.patch(`/api/v1/organizations/${ua.id}`, { timeZone: "Europe/Kyiv" })).status).to.equal(200);
    const invoiceOf = async (orgId: string) => {
      const r = await operator.client.post("/api/v1/billing/subscriptions", { organizationId: orgId, planId: plan.id });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      return r.body.invoice as { id: string; dueOn: string };
    };
    const kzInvoice = await invoiceOf(kz.id);
    const uaInvoice = await invoiceOf(ua.id);
    expect(uaInvoice.dueOn).to.equal(kzInvoice.dueOn);
    const next = new Date(Date.parse(kzInvoice.dueOn + "T00:00:00Z") + 86400e3).toISOString().slice(0, 10);
    const statusOf = async (id: string) => (await app.db("invoices").where({ id }).first())!.status;
    const run = async (iso: string) => {
      app.clock.set(iso);
      const r = await app.deps.jobs.runNow("billing.daily");
      expect(r.outcome, r.error).to.equal("success");
      await operator.client.login(operator.login, PASSWORD);
      return r.result as Record<string, number>;
    };
    // 00:30 in Almaty on the day after the due date is 21:30 of the due date in Kyiv.
    expect((await run(`${prevDay(next)}T19:30:00.000Z`)).overdueNotices).to.equal(1);
    expect(await statusOf(kzInvoice.id)).to.equal("overdue");
    expect(await statusOf(uaInvoice.id)).to.equal("issued");
    // 00:30 in Kyiv.
    expect((await run(`${prevDay(next)}T22:30:00.000Z`)).overdueNotices).to.equal(1);
    expect(await statusOf(uaInvoice.id)).to.equal("overdue");
  });

  it("a payment recorded just after Almaty's midnight: the invoice list says the appliance's day, which the payment may carry", async () => {
    app.clock.set("2026-03-09T19:30:00.000Z"); // 00:30 on 10 March in Almaty, still 9 March in UTC
    await operator.client.login(operator.login, PASSWORD);
    await app.admin.login("root", PASSWORD);
    const plan = (
      await operator.client.post("/api/v1/billing/plans", {
        code: "midnight",
        name: "Midnight",
        price: "10.00",
        currency: "KZT",
      })
    ).body;
    const org = await buildOrganization(app, { name: "Midnight Payer LLP" });
    const sub = await operator.client.post("/api/v1/billing/subscriptions", {
      organizationId: org.id,
      planId: plan.id,
    });
    expect(sub.status, JSON.stringify(sub.body)).to.equal(201);
    expect(sub.body.invoice.issuedOn).to.equal("2026-03-10");
    const list = await operator.client.get("/api/v1/billing/invoices");
    expect(list.body.today).to.equal("2026-03-10");
    // The browser's UTC date would be refused as before the issue; the appliance's day is taken.
    const utcDay = await operator.client.post(`/api/v1/billing/invoices/${sub.body.invoice.id}/payments`, {
      amount: sub.body.invoice.total,
      currency: "KZT",
      paidOn: "2026-03-09",
      reference: "MN-1",
    });
    expect(utcDay.body.code).to.equal("paid_before_issue");
    const paid = await operator.client.post(`/api/v1/billing/invoices/${sub.body.invoice.id}/payments`, {
      amount: sub.body.invoice.total,
      currency: "KZT",
      paidOn: list.body.today,
      reference: "MN-1",
    });
    expect(paid.status, JSON.stringify(paid.body)).to.equal(201);
  });
});

function prevDay(day: string): string {
  return new Date(Date.parse(day + "T00:00:00Z") - 86400e3).toISOString().slice(0, 10);
}
