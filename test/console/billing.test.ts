// The billing operator's screens in Chromium: a price change with notice (SPEC R4.6) and an
// exchange rate with its source (R4.1) are made from the console and land as the API makes them.
import { expect } from "chai";
import type { Browser } from "playwright-core";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { launchBrowser, watchedPage } from "../support/browser.js";
import { buildUser, type BuiltUser } from "../support/factories.js";

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
});
