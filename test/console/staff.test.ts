// Jobs that had no screen (SPEC R1.2, R5.5), in Chromium: the system administrator adds the
// appliance's own people — a compliance officer, then a billing operator role for him — takes a
// role away and disables the account after confirming; and he reads Compliance without the
// officers' controls (the server refuses him those anyway).
import { expect } from "chai";
import type { Browser } from "playwright-core";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { launchBrowser, signInThroughForm, watchedPage } from "../support/browser.js";
import { validIin } from "../support/ids.js";

describe("the appliance's staff and compliance for the system administrator, in Chromium", function () {
  this.timeout(120_000);
  let app: TestApp;
  let browser: Browser;

  before(async () => {
    app = await startTestApp();
    browser = await launchBrowser();
    await app.admin.patch("/api/v1/me", { language: "en" });
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  /** The system administrator's browser, signed in. */
  async function asRoot() {
    const context = await browser.newContext({ locale: "en-GB" });
    const { page, errors } = await watchedPage(context);
    await signInThroughForm(page, app.url, "root", PASSWORD);
    return { context, page, errors };
  }

  it("adds a compliance officer, gives him a second role, takes one away and disables him", async () => {
    const { context, page, errors } = await asRoot();
    await page.getByRole("link", { name: "Appliance staff" }).click();
    await page.getByRole("heading", { name: "Appliance staff", level: 1 }).waitFor();

    const add = page.locator("form", { has: page.getByRole("button", { name: "Add", exact: true }) });
    await add.getByLabel("Full name").fill("Айгүл Сейітова");
    await add.getByLabel("Login").fill("aigul.compliance");
    await add.getByLabel("E-mail").fill("aigul@operator.kz");
    await add.getByLabel("IIN (optional)").fill(validIin());
    await add.getByLabel("Role").selectOption({ label: "Compliance officer" });
    await add.getByLabel("Initial password").fill("Str0ng-Passw0rd!");
    await add.getByRole("button", { name: "Add", exact: true }).click();
    const row = page.getByTestId("staff-row").filter({ hasText: "Айгүл Сейітова" });
    await row.getByText("Compliance officer").waitFor();
    const user = (await app.db("users").where({ login: "aigul.compliance" }).first())!;
    const grants = () => app.db("role_grants").where({ user_id: user.id }).orderBy("role");
    expect((await grants()).map((g) => [g.role, g.organization_id])).to.deep.equal([["compliance_officer", null]]);

    await row.getByLabel("Another role").selectOption({ label: "Billing operator" });
    await row.getByRole("button", { name: "Give" }).click();
    await row.getByText("Billing operator").waitFor();
    await row.getByRole("button", { name: "Take away the role Compliance officer from Айгүл Сейітова" }).click();
    await row.getByRole("button", { name: /Take away the role Compliance officer/ }).waitFor({ state: "detached" });
    expect((await grants()).map((g) => g.role)).to.deep.equal(["billing_operator"]);

    page.once("dialog", (d) => void d.accept());
    await row.getByRole("button", { name: "Disable" }).click();
    await row.getByText("Disabled").waitFor();
    expect((await app.db("users").where({ id: user.id }).first())!.status).to.equal("disabled");
    // Root cannot disable himself: no such button on his own row.
    const rootRow = page.getByTestId("staff-row").filter({ hasText: "root" });
    expect(await rootRow.getByRole("button", { name: "Disable" }).count()).to.equal(0);
    expect(errors).to.deep.equal([]);
    await context.close();
  });

  it("reads Compliance without the officers' controls", async () => {
    const { context, page, errors } = await asRoot();
    await page.getByRole("link", { name: "Compliance" }).click();
    await page.getByTestId("read-only").waitFor();
    await page.getByRole("heading", { name: "Disposition" }).waitFor();
    for (const control of ["Preview", "Place a hold", "New policy"])
      expect(await page.getByText(control, { exact: true }).count(), control).to.equal(0);
    expect(errors).to.deep.equal([]);
    await context.close();
  });
});
