// The operator's price change with notice (SPEC R4.6, 000 §4.4): on the 1st of a month at least a
// week away, every subscriber told at once, the new price applied on its day to what is invoiced
// from then on.
import { expect } from "chai";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";

describe("price change with notice", () => {
  let app: TestApp;
  let operator: BuiltUser;
  before(async () => {
    app = await startTestApp();
    operator = await buildUser(app, [{ role: "billing_operator" }]);
  });
  after(() => app.close());

  it("refuses a change sooner than the notice, announces one on the first 1st a week away, tells subscribers, applies it on its day", async () => {
    const plan = (
      await operator.client.post("/api/v1/billing/plans", { code: "pc", name: "PC", price: "1000.00", currency: "KZT" })
    ).body;
    const org = await buildOrganization(app, { name: "Subscriber LLP" });
    await buildUser(app, [{ role: "accountant", organizationId: org.id, branchId: org.headOfficeId }]);
    expect(
      (await operator.client.post("/api/v1/billing/subscriptions", { organizationId: org.id, planId: plan.id })).status,
    ).to.equal(201);
    // Today is 2026-03-02: the 5th is too soon, and not a 1st anyway.
    const soon = await operator.client.post(`/api/v1/billing/plans/${plan.id}/price-changes`, {
      price: "1200.00",
      effectiveOn: "2026-03-05",
    });
    expect(soon.status).to.equal(400);
    const announced = await operator.client.post(`/api/v1/billing/plans/${plan.id}/price-changes`, {
      price: "1200.00",
    });
    expect(announced.status, JSON.stringify(announced.body)).to.equal(201);
    expect(announced.body).to.include({ price: "1200.00", effectiveOn: "2026-04-01", notified: 1 });
    const notices = await app.db("outbox").where({ topic: "billing.plan_change", organization_id: org.id });
    expect(notices).to.have.length(1);
    expect(JSON.parse(notices[0].payload)).to.include({
      oldPrice: "1000.00",
      newPrice: "1200.00",
      effectiveOn: "2026-04-01",
    });
    const priceOf = async () =>
      (await operator.client.get("/api/v1/billing/plans")).body.items.find((p: { id: string }) => p.id === plan.id)
        .price;
    app.clock.set("2026-03-31T09:00:00.000Z");
    await app.deps.jobs.runNow("billing.daily");
    await operator.client.login(operator.login, PASSWORD);
    expect(await priceOf()).to.equal("1000.00");
    app.clock.set("2026-04-01T09:00:00.000Z");
    const run = await app.deps.jobs.runNow("billing.daily");
    expect(run.result).to.include({ priceChanges: 1 });
    await operator.client.login(operator.login, PASSWORD);
    expect(await priceOf()).to.equal("1200.00");
  });
});
