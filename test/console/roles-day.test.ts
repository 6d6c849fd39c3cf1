// Each role's day in the console, in Chromium, with no API call outside the console once the
// appliance is set up: the administrator registers two organizations, their people and the
// appliance's staff; the billing operator opens a plan and subscribes the seller; the clerk
// registers an invoice for a counterparty found in the directory and routes it; the accountant
// approves it from his queue; the head signs it from his and sends it; the counterparty's head
// finds it to answer, confirms receipt and signs; the compliance officer places a legal hold and
// previews a disposition. The database is read only to check what the screens did.
import { expect } from "chai";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { launchBrowser, signerContext, watchedPage } from "../support/browser.js";
import { renderablePdf } from "../support/documents.js";
import { validBin, validIin } from "../support/ids.js";
import { removeSigner, testSigner, type TestSigner } from "../support/pki.js";

describe("each role's day, in the console only (Chromium)", function () {
  this.timeout(300_000);
  let app: TestApp;
  let browser: Browser;
  const keys: TestSigner[] = [];
  const sellerBin = validBin();
  const buyerBin = validBin();
  const iin = { head: validIin(), buyerHead: validIin(), clerk: validIin(), accountant: validIin() };
  let docId = "";
  const opened: BrowserContext[] = [];

  before(async () => {
    app = await startTestApp();
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of opened) await c.close().catch(() => {});
    keys.forEach(removeSigner);
    await browser?.close();
    await app?.close();
  });

  /** A person's browser: signed in through the sign-in form; `key` stands in for his token. */
  async function dayOf(login: string, key?: TestSigner) {
    const context = key ? await signerContext(browser, () => key) : await browser.newContext({ locale: "en-GB" });
    opened.push(context);
    const { page, errors } = await watchedPage(context);
    await page.goto(app.url + "/");
    await page.getByLabel("Login or IIN").fill(login);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.locator("qujat-app header nav").waitFor({ state: "attached" });
    // Whoever reads another language switches to English in the header, as a person would — once
    // the console has applied his stored language (its messages are a chunk still on its way).
    await page.waitForLoadState("networkidle");
    const language = page.locator("qujat-app header select").first();
    if ((await language.inputValue()) !== "en")
      await Promise.all([
        page.waitForResponse((r) => r.url().endsWith("/api/v1/me") && r.request().method() === "PATCH"),
        language.selectOption("en"),
      ]);
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    return { page, errors };
  }
  const card = (page: Page, button: string) =>
    page.locator("form", { has: page.getByRole("button", { name: button, exact: true }) });

  async function createUser(page: Page, u: { login: string; name: string; iin: string; role: string }) {
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Users and roles" }).click();
    const form = card(page, "Create a user");
    await form.getByLabel("Login").fill(u.login);
    await form.getByLabel("E-mail").fill(`${u.login}@example.kz`);
    await form.getByLabel("Full name").fill(u.name);
    await form.getByLabel("IIN").fill(u.iin);
    await form.getByLabel("Initial password").fill(PASSWORD);
    await form.getByLabel("Language").selectOption("en");
    await form.getByLabel("Role").selectOption(u.role);
    await form.getByRole("button", { name: "Create a user" }).click();
    await page.getByRole("cell", { name: u.login, exact: true }).waitFor();
  }
  async function registerOrganization(page: Page, name: string, bin: string) {
    await page.getByRole("link", { name: "Organizations" }).click();
    await page.getByLabel("Name", { exact: true }).fill(name);
    await page.getByLabel("BIN or IIN (12 digits), EDRPOU (8) or RNOKPP (10)").fill(bin);
    await page.getByLabel("Head office name").fill(`${name} HQ`);
    await page.getByRole("button", { name: "Register an organization" }).click();
    await page.getByRole("heading", { name }).waitFor();
  }

  it("the administrator: two organizations, their people, and the appliance's staff", async () => {
    const { page, errors } = await dayOf("root");
    await registerOrganization(page, "Seller LLP", sellerBin);
    await createUser(page, { login: "s.clerk", name: "Seller Clerk", iin: iin.clerk, role: "clerk" });
    await createUser(page, {
      login: "s.accountant",
      name: "Seller Accountant",
      iin: iin.accountant,
      role: "accountant",
    });
    await createUser(page, { login: "s.head", name: "Seller Head", iin: iin.head, role: "head" });
    await registerOrganization(page, "Buyer JSC", buyerBin);
    await createUser(page, { login: "b.head", name: "Buyer Head", iin: iin.buyerHead, role: "head" });
    await page.getByRole("link", { name: "Appliance staff" }).click();
    for (const [login, name, role] of [
      ["officer", "Compliance Officer", "Compliance officer"],
      ["billing", "Billing Operator", "Billing operator"],
    ]) {
      const add = card(page, "Add");
      await add.getByLabel("Full name").fill(name);
      await add.getByLabel("Login").fill(login);
      await add.getByLabel("E-mail").fill(`${login}@operator.kz`);
      await add.getByLabel("Role").selectOption({ label: role });
      await add.getByLabel("Language").selectOption("en");
      await add.getByLabel("Initial password").fill(PASSWORD);
      await add.getByRole("button", { name: "Add", exact: true }).click();
      await page
        .getByTestId("staff-row")
        .filter({ hasText: `${login}@operator.kz` })
        .waitFor();
    }
    expect(errors).to.deep.equal([]);
  });

  it("the billing operator: a plan, and the seller subscribed to it", async () => {
    const { page, errors } = await dayOf("billing");
    await page.getByRole("link", { name: "Billing" }).click();
    await page.locator("summary", { hasText: "Create a plan" }).click();
    const plan = card(page, "Create a plan");
    await plan.getByLabel("Code").fill("std");
    await plan.getByLabel("Name", { exact: true }).fill("Standard");
    await plan.getByLabel("Price", { exact: true }).fill("5 000,00");
    await plan.getByRole("button", { name: "Create a plan" }).click();
    await page
      .getByRole("cell", { name: /Standard/ })
      .first()
      .waitFor();
    await page.locator("summary", { hasText: "Subscribe an organization" }).click();
    const sub = card(page, "Subscribe an organization");
    await sub.getByLabel("Organization").selectOption({ label: "Seller LLP" });
    await sub.getByLabel("Plan").selectOption({ label: "Standard" });
    await sub.getByRole("button", { name: "Subscribe an organization" }).click();
    await page
      .getByRole("row", { name: /Seller LLP/ })
      .first()
      .waitFor();
    expect(errors).to.deep.equal([]);
  });

  it("the clerk: an invoice for a counterparty found in the directory, routed to the accountant", async () => {
    const { page, errors } = await dayOf("s.clerk");
    await page.getByRole("link", { name: "Register a document" }).click();
    await page.getByLabel("Find by name, BIN, IIN, EDRPOU or RNOKPP").fill(buyerBin.slice(0, 6));
    await page.getByRole("radio", { name: /Buyer JSC/ }).check();
    await page.getByLabel("Number", { exact: true }).fill("DAY-1");
    await page.getByLabel("Date", { exact: true }).fill("2026-03-02");
    await page.getByLabel("Line 1: goods or service").fill("Консультация");
    await page.getByLabel("Line 1: quantity").fill("2,5");
    await page.getByLabel("Line 1: price").fill("10 000,00");
    await page
      .locator("q-upload#content input[type=file]")
      .setInputFiles({ name: "invoice.pdf", mimeType: "application/pdf", buffer: renderablePdf("DAY-1") });
    await page.getByRole("button", { name: "Register", exact: true }).click();
    await page.getByTestId("status").filter({ hasText: "Draft" }).waitFor();
    docId = new URL(page.url()).pathname.split("/").pop()!;
    await page.getByRole("listitem", { name: "Step 1" }).getByLabel("Seller Accountant").check();
    await page.getByRole("button", { name: "Send for approval" }).click();
    await page.getByTestId("status").filter({ hasText: "On approval" }).waitFor();
    expect(errors).to.deep.equal([]);
  });

  it("the accountant: approves it from his queue", async () => {
    const { page, errors } = await dayOf("s.accountant");
    await page.getByTestId("awaiting-work").filter({ hasText: "1" }).waitFor();
    await page.getByRole("link", { name: "Documents" }).click();
    await page.getByRole("link", { name: /To approve/ }).click();
    await page.getByRole("row", { name: /DAY-1/ }).getByRole("link").first().click();
    await page.getByRole("button", { name: "Approve" }).click();
    await page.getByTestId("status").filter({ hasText: "Approved" }).waitFor();
    expect(errors).to.deep.equal([]);
  });

  it("the head: signs it from his queue and sends it", async () => {
    const key = testSigner({ cn: "Seller Head", iin: iin.head, bin: sellerBin });
    keys.push(key);
    const { page, errors } = await dayOf("s.head", key);
    await page.getByRole("link", { name: "Documents" }).click();
    await page.getByRole("link", { name: /To sign/ }).click();
    await page.getByRole("row", { name: /DAY-1/ }).getByRole("link").first().click();
    await page.getByRole("button", { name: "Sign with my certificate" }).click();
    await page.getByTestId("status").filter({ hasText: "Signing" }).waitFor();
    await page.getByRole("button", { name: "Send to the recipient" }).click();
    await page.getByTestId("status").filter({ hasText: "Sent" }).waitFor();
    await page.getByTestId("stamp").filter({ hasText: "valid" }).waitFor();
    expect(errors).to.deep.equal([]);
  });

  it("the counterparty's head: finds it to answer, confirms receipt and signs", async () => {
    const key = testSigner({ cn: "Buyer Head", iin: iin.buyerHead, bin: buyerBin });
    keys.push(key);
    const { page, errors } = await dayOf("b.head", key);
    await page.getByTestId("awaiting-work").filter({ hasText: "1" }).waitFor();
    await page.getByRole("link", { name: "Documents" }).click();
    await page.getByRole("link", { name: /To answer/ }).click();
    await page.getByRole("row", { name: /DAY-1/ }).getByRole("link").first().click();
    await page.getByRole("img", { name: "Page 1 of 1" }).waitFor(); // the PDF, drawn
    await page.getByRole("button", { name: "Confirm receipt" }).click();
    await page.getByTestId("status").filter({ hasText: "Delivered" }).waitFor();
    await page.getByRole("button", { name: "Sign with my certificate" }).click();
    await page.getByTestId("status").filter({ hasText: "Signed by recipient" }).waitFor();
    expect(await page.getByTestId("stamp").filter({ hasText: "valid" }).count()).to.equal(2);
    expect(errors).to.deep.equal([]);
  });

  it("the compliance officer: a legal hold on the seller, and a disposition preview", async () => {
    const { page, errors } = await dayOf("officer");
    await page.getByRole("link", { name: "Compliance" }).click();
    await page.locator("summary", { hasText: "Place a hold" }).click();
    const hold = card(page, "Place a hold");
    await hold.getByLabel("Name").fill("Tax audit");
    await hold.getByLabel("Reason").fill("The tax authority's request");
    await hold.getByLabel(/^Organization/).selectOption({ label: "Seller LLP" });
    await hold.getByRole("button", { name: "Place a hold" }).click();
    await page.getByRole("row", { name: /Tax audit/ }).waitFor();
    await card(page, "Preview").getByRole("button", { name: "Preview" }).click();
    await page.locator("[data-batch]").first().waitFor();
    expect(errors).to.deep.equal([]);
  });

  it("what the screens did is what the appliance holds", async () => {
    const doc = (await app.db("documents").where({ id: docId }).first())!;
    expect(doc.status).to.equal("signed_by_recipient");
    const [signatures] = await app.db("document_signatures").where({ document_id: docId }).count({ n: "*" });
    expect(Number(signatures.n)).to.equal(2);
    const approvals = await app.db("document_approvers").where({ document_id: docId });
    expect(approvals.map((a) => a.decision)).to.deep.equal(["approved"]);
    expect(await app.db("legal_holds").where({ name: "Tax audit", status: "active" }).first()).to.not.equal(undefined);
    const sub = await app.db("subscriptions").first();
    expect(sub).to.not.equal(undefined);
  });
});
