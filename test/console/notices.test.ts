// The notice centre in Chromium (SPEC R6.2): with no SMTP host, a person's notice waits in the menu's
// count; opening the notice centre shows it in his language — and that showing is its delivery —
// and marking it read clears the count.
import { expect } from "chai";
import type { Browser } from "playwright-core";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { launchBrowser, watchedPage } from "../support/browser.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";

describe("notice centre in Chromium", function () {
  this.timeout(120_000);
  let app: TestApp;
  let browser: Browser;
  let accountant: BuiltUser;

  before(async () => {
    app = await startTestApp({ mail: { smtp: { host: "" } } });
    app.clock.set(new Date());
    await app.admin.login("root", PASSWORD);
    const org = await buildOrganization(app, { name: "Notice LLP" });
    accountant = await buildUser(app, [{ role: "accountant", organizationId: org.id, branchId: org.headOfficeId }]);
    await accountant.client.patch("/api/v1/me", { language: "en" });
    const operator = await buildUser(app, [{ role: "billing_operator" }]);
    const plan = await operator.client.post("/api/v1/billing/plans", {
      code: "n1",
      name: "N1",
      price: "500.00",
      currency: "KZT",
    });
    const sub = await operator.client.post("/api/v1/billing/subscriptions", {
      organizationId: org.id,
      planId: plan.body.id,
    });
    expect(sub.status, JSON.stringify(sub.body)).to.equal(201);
    await app.deps.outbox.drain();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  it("counts the unread notice in the menu, shows it in the person's words, records the showing as delivery, and clears on read", async () => {
    const [queued] = await app.db("outbox").where({ topic: "billing.invoice_issued" });
    expect(queued).to.include({ status: "pending", delivered_at: null });
    const context = await browser.newContext({ locale: "en-GB" });
    const { page, errors } = await watchedPage(context);
    await page.goto(app.url + "/");
    await page.getByLabel("Login or IIN").fill(accountant.login);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByTestId("unread-notices").filter({ hasText: "1" }).waitFor();
    await page.getByRole("link", { name: /Notices/ }).click();
    await page.getByRole("heading", { name: /^Invoice No\. .+ issued$/ }).waitFor();
    await page.waitForFunction(
      async (id) =>
        (await (await fetch("/api/v1/notices")).json()).items.find((n: { id: number }) => n.id === id)?.shownAt,
      queued.id,
    );
    const delivered = (await app.db("outbox").where({ id: queued.id }).first())!;
    expect(delivered.delivered_at).to.be.a("string");
    expect(delivered.status).to.equal("pending");
    await page.getByRole("button", { name: "Mark as read" }).click();
    await page.getByText("Read", { exact: true }).waitFor();
    await page.getByTestId("unread-notices").waitFor({ state: "detached" });
    expect(errors).to.deep.equal([]);
    await context.close();
  });

  it("the skip link moves focus to the screen, no page load asks for a favicon, and Kazakh dates and amounts read dd.mm.yyyy and 1 000,00", async () => {
    const context = await browser.newContext({ locale: "kk-KZ" });
    const { page, errors } = await watchedPage(context);
    const failed: string[] = [];
    page.on("response", (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${new URL(r.url()).pathname}`);
    });
    await accountant.client.patch("/api/v1/me", { language: "kk" });
    try {
      await page.goto(app.url + "/");
      const signIn = page.locator("form", { has: page.locator("input[name=login]") });
      await signIn.locator("input[name=login]").fill(accountant.login);
      await signIn.locator("input[name=password]").fill(PASSWORD);
      await signIn.locator("button[type=submit]").click();
      await page.locator("qujat-app header nav").waitFor(); // signed in: the menu is there
      await page.locator("a.skip").focus();
      await page.keyboard.press("Enter");
      expect(await page.evaluate(() => document.querySelector("qujat-app")!.shadowRoot!.activeElement?.id)).to.equal(
        "main",
      );
      // The billing screen lists the invoice (500 + 16 % VAT): its dates and amount in the Kazakh reader's habits.
      await page.goto(app.url + "/billing");
      const row = page
        .locator("tr")
        .filter({ hasText: "580,00 KZT" })
        .filter({ hasText: /\d{2}\.\d{2}\.\d{4}/ })
        .first();
      await row.waitFor();
      expect(await row.textContent()).to.not.match(/M\d{1,2}/); // not the browser's "2026 M12 7"
      expect(failed.filter((f) => /favicon/.test(f))).to.deep.equal([]);
      expect(errors).to.deep.equal([]);
    } finally {
      await accountant.client.patch("/api/v1/me", { language: "en" });
      await context.close();
    }
  });
});
