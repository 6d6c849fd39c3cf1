// The billing screens in Chromium: the operator's price change with notice (SPEC R4.6) and
// exchange rate with its source (R4.1), and a participant's head asking for his own organization —
// a suspension for a while (R4.7), another plan, a termination after a confirmation — each landing
// as the API makes it, and read back in his history as sentences.
import { expect } from "chai";
import type { Browser } from "playwright-core";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { launchBrowser, watchedPage } from "../support/browser.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";

describe("billing operator's screens in Chromium", function () {
  this.timeout(120_000);
  let app: TestApp;
  let browser: Browser;
  let operator: BuiltUser;

  before(async () => {
    app = await startTestApp();
    app.clock.set("2026-12-07T09:00:00.000Z");
    await app.admin.login("root", PASSWORD);
    operator = await buildUser(app, [{ role: "billing_operator" }]);
    await operator.client.patch("/api/v1/me", { language: "en" });
    await operator.client.post("/api/v1/billing/plans", {
      code: "std",
      name: "Standard",
      price: "5000.00",
      currency: "KZT",
    });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it("announces a price change with notice and records a tenge rate with its source", async () => {
    const context = await browser.newContext({ locale: "en-GB" });
    const { page, errors } = await watchedPage(context);
    await page.goto(app.url + "/");
    await page.getByLabel("Login or IIN").fill(operator.login);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("link", { name: "Billing" }).click();
    await page.getByText("Change a plan's price with notice").click();
    const form = page.locator("form", { has: page.getByRole("button", { name: "Announce the new price" }) });
    await form.locator('select[name="planId"]').selectOption({ label: "Standard (5,000.00 KZT)" });
    await form.getByLabel("New price").fill("5 500,00"); // as a Kazakh or Russian accountant writes it
    await form.getByRole("button", { name: "Announce the new price" }).click();
    await page.waitForFunction(async () => true);
    for (let i = 0; i < 50 && !(await app.db("plan_price_changes").first()); i++) await page.waitForTimeout(100);
    const change = await app.db("plan_price_changes").first();
    expect(String(change.price_minor)).to.equal("550000");
    expect(change.effective_on).to.equal("2027-01-01");

    await page.getByText("Record an exchange rate").click();
    const rates = page.locator("form", { has: page.getByRole("button", { name: "Record the rate" }) });
    await rates.getByLabel("Day", { exact: true }).fill("2026-12-07");
    await rates.getByLabel("Tenge per unit").fill("505.5500");
    await rates.getByLabel("Source").fill("National Bank of Kazakhstan");
    await rates.getByRole("button", { name: "Record the rate" }).click();
    for (let i = 0; i < 50 && !(await app.db("exchange_rates").first()); i++) await page.waitForTimeout(100);
    expect(await app.db("exchange_rates").first()).to.include({
      currency: "USD",
      day: "2026-12-07",
      kzt_per_unit: "505.5500",
      source: "National Bank of Kazakhstan",
    });
    expect(errors).to.deep.equal([]);
    await context.close();
  });

  it("a participant's head suspends his subscription for a while, asks for another plan and terminates — after confirming", async () => {
    const org = await buildOrganization(app, { name: "Requests LLP" });
    const head = await buildUser(app, [{ role: "head", organizationId: org.id, branchId: org.headOfficeId }]);
    const clerk = await buildUser(app, [{ role: "clerk", organizationId: org.id, branchId: org.headOfficeId }]);
    await head.client.patch("/api/v1/me", { language: "en" });
    const plans = (await operator.client.get("/api/v1/billing/plans")).body.items as Array<{
      id: string;
      code: string;
    }>;
    const premium = await operator.client.post("/api/v1/billing/plans", {
      code: "prem",
      name: "Premium",
      price: "9000.00",
      currency: "KZT",
    });
    expect(premium.status, JSON.stringify(premium.body)).to.equal(201);
    const sub = await operator.client.post("/api/v1/billing/subscriptions", {
      organizationId: org.id,
      planId: plans.find((p) => p.code === "std")!.id,
      paymentTerms: "standard",
    });
    expect(sub.status, JSON.stringify(sub.body)).to.equal(201);
    const row = async () => (await app.db("subscriptions").where({ id: sub.body.id }).first())!;

    const context = await browser.newContext({ locale: "en-GB" });
    const { page, errors } = await watchedPage(context);
    await page.goto(app.url + "/");
    await page.getByLabel("Login or IIN").fill(head.login);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("link", { name: "Billing" }).click();
    const requests = page.getByTestId("requests");
    await requests.getByText("Requests about Requests LLP — Standard").click();

    const suspend = requests.locator("form", { has: page.getByRole("button", { name: "Suspend for a while" }) });
    await suspend.getByLabel("From").fill("2026-12-10");
    await suspend.getByLabel("Until").fill("2026-12-20");
    await suspend.getByLabel("Why").fill("Office moving");
    await suspend.getByRole("button", { name: "Suspend for a while" }).click();
    await requests.getByText("Suspended from 10/12/2026 until 20/12/2026.").waitFor();
    expect((await row()).status).to.equal("active"); // suspended from the 10th

    await requests.getByLabel("New plan").selectOption({ label: "Premium (9,000.00 KZT)" });
    await requests.getByRole("button", { name: "Change the plan" }).click();
    for (let i = 0; i < 50 && !(await row()).pending_plan_id; i++) await page.waitForTimeout(100);
    expect((await row()).pending_plan_id).to.equal(premium.body.id);

    // Terminating asks first: refused once, nothing changes; accepted, it is asked.
    const terminate = requests.locator("form", {
      has: page.getByRole("button", { name: "Terminate the subscription" }),
    });
    await terminate.getByLabel("Why").fill("Moving to another provider");
    page.once("dialog", (d) => void d.dismiss());
    await terminate.getByRole("button", { name: "Terminate the subscription" }).click();
    await page.waitForTimeout(300);
    expect((await row()).auto_renew).to.be.oneOf([1, true]);
    page.once("dialog", (d) => void d.accept());
    await terminate.getByLabel("Why").fill("Moving to another provider");
    await terminate.getByRole("button", { name: "Terminate the subscription" }).click();
    for (let i = 0; i < 50 && [1, true].includes((await row()).auto_renew); i++) await page.waitForTimeout(100);
    expect((await row()).auto_renew).to.be.oneOf([0, false]);

    // His history reads as sentences, with his reasons.
    await page.getByRole("button", { name: "History" }).click();
    await page.getByText(/subscribed to a plan/).waitFor();
    await page.getByText(/suspended a subscription: “?Office moving/).waitFor();
    // A clerk of the same organization has no such requests to make.
    expect(
      (
        await clerk.client.post(`/api/v1/billing/subscriptions/${sub.body.id}/suspension`, {
          from: "2027-01-10",
          until: "2027-01-12",
          reason: "x",
        })
      ).status,
    ).to.equal(403);
    expect(errors).to.deep.equal([]);
    await context.close();
  });
});
