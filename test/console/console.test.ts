// The console in a real browser (Debian's Chromium, headless) against a real appliance on a fresh
// database: first-run setup, sign-in with TOTP, an organization with a branch and a user made on
// screen, a document registered, signed (software key standing in for the token) and sent, seen in
// the recipient's inbox and receipted, a blocked branch's banner, and a disposition preview. Every
// main screen is photographed and checked by axe-core for accessibility violations of any impact.
import { expect } from "chai";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { setupTokenIssuer } from "../../server/domain/identity/setup.js";
import { totpCode } from "../../server/domain/identity/secrets.js";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import {
  launchBrowser,
  screenshot,
  axeViolations,
  signerContext,
  watchedPage,
  type AxeViolation,
} from "../support/browser.js";
import { Client } from "../support/client.js";
import { pdf } from "../support/documents.js";
import { validBin, validIin } from "../support/ids.js";
import { testSigner, type TestSigner } from "../support/pki.js";

describe("console in Chromium", function () {
  this.timeout(180_000);
  let app: TestApp;
  let browser: Browser;
  let key: TestSigner | null = null;
  let setupToken = "";
  const contexts: BrowserContext[] = [];
  const pageErrors: string[] = [];
  const violations: Record<string, AxeViolation[]> = {};

  before(async () => {
    app = await startTestApp({}, { firstRun: true });
    app.clock.set(new Date()); // the browser keeps cookies by its own clock
    setupToken = (await setupTokenIssuer({ db: app.db, clock: app.clock, config: app.config }))!; // valid from the clock's now
    browser = await launchBrowser();
  });
  afterEach(async function () {
    if (this.currentTest?.state !== "failed") return;
    let i = 0;
    for (const c of contexts) for (const pg of c.pages()) await screenshot(pg, `failed-${++i}`).catch(() => undefined);
    console.log(
      "page errors:",
      pageErrors,
      contexts.flatMap((c) => c.pages().map((pg) => pg.url())),
    );
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await app?.close();
  });

  async function open(viewport?: { width: number; height: number }) {
    const ctx = await signerContext(browser, () => key, viewport);
    contexts.push(ctx);
    const { page, errors } = await watchedPage(ctx);
    page.on("close", () => pageErrors.push(...errors));
    return { page, errors };
  }

  /** Screenshot and axe run of one main screen, once the given text shows. */
  async function capture(page: Page, name: string) {
    await page.waitForLoadState("networkidle");
    await screenshot(page, name);
    violations[name] = await axeViolations(page);
  }

  async function signIn(page: Page, login: string, totp?: string) {
    await page.goto(app.url + "/");
    await page.getByLabel("Login or IIN").fill(login);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    if (totp) await page.getByLabel("One-time code").fill(totp);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("button", { name: /Sign out|Выйти/ }).waitFor();
  }

  const card = (page: Page, heading: string) =>
    page.locator(".card", { has: page.getByRole("heading", { name: heading, exact: true }) });

  it("takes a newcomer from first-run setup through organizations, billing, a sent, signed, received document, a blocked branch's banner, certificate sign-in, a legal hold and a disposition preview", async () => {
    const { page, errors } = await open();

    // First-run setup through the one-time link; the administrator's language (ru by default) takes over after sign-in.
    await page.goto(`${app.url}/setup#token=${setupToken}`);
    await page.getByRole("heading", { name: "Qujat — first administrator" }).waitFor();
    await capture(page, "01-setup");
    await page.getByLabel("Login").fill("admin");
    await page.getByLabel("E-mail").fill("admin@example.kz");
    await page.getByLabel("Full name").fill("Appliance Admin");
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Create administrator" }).click();
    await page.getByRole("link", { name: "Организации" }).waitFor();
    // Switching the language is remembered for the user (PATCH /me).
    // The page switches at once; the PATCH may still be on its way (it raced the read below once).
    await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname === "/api/v1/me" && r.request().method() === "PATCH"),
      page.getByLabel("Язык").first().selectOption("en"),
    ]);
    await page.getByRole("link", { name: "Organizations" }).waitFor();
    expect((await app.db("users").where({ login: "admin" }).first())!.language).to.equal("en");

    // TOTP enrolment with a QR code, recovery codes once; then sign-in needs the code.
    await page.getByRole("link", { name: "My account" }).click();
    await page.getByRole("button", { name: "Turn on two-factor sign-in" }).click();
    const secret = (await page.getByTestId("totp-secret").textContent())!.trim();
    expect(await page.getByRole("img", { name: "QR code for the authenticator app" }).isVisible()).to.equal(true);
    await page.getByLabel("Code from the app").fill(await totpCode(secret, app.clock.now()));
    await page.getByRole("button", { name: "Confirm" }).click();
    await page.getByTestId("recovery-codes").waitFor();
    expect(await page.getByTestId("recovery-codes").locator("li").count()).to.be.greaterThan(5);
    await capture(page, "02-account");
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.getByLabel("Login or IIN").fill("admin");
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page
      .getByRole("alert")
      .filter({ hasText: /authenticator/ })
      .waitFor(); // TOTP asked for, not signed in
    await capture(page, "03-signin");
    app.clock.advance(31_000); // a fresh TOTP window
    await page.getByLabel("One-time code").fill(await totpCode(secret, app.clock.now()));
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("link", { name: "Organizations" }).click();

    // An organization, a branch and a user, on screen.
    const sellerBin = validBin();
    await page.getByLabel("Name", { exact: true }).fill("Seller LLP");
    await page.getByLabel("BIN or IIN (12 digits), EDRPOU (8) or RNOKPP (10)").fill(sellerBin);
    await page.getByLabel("Head office name").fill("Almaty HQ");
    await page.getByRole("button", { name: "Register an organization" }).click();
    await page.getByRole("heading", { name: "Seller LLP" }).waitFor();
    // The organization's page is in tabs; blocking it is last, in the details.
    await page.getByRole("navigation", { name: "Sections" }).getByRole("link", { name: "Branches" }).click();
    const addBranch = card(page, "Add a branch");
    await addBranch.getByLabel("Name").fill("Astana branch");
    await addBranch.getByRole("button", { name: "Add a branch" }).click();
    await page.getByRole("list", { name: "Branches" }).getByText("Astana branch").waitFor();
    const headIin = validIin();
    await page.getByRole("link", { name: "Users and roles" }).click();
    const createUser = card(page, "Create a user");
    await createUser.getByLabel("Login").fill("seller.head");
    await createUser.getByLabel("E-mail").fill("head@seller.kz");
    await createUser.getByLabel("Full name").fill("Seller Head");
    await createUser.getByLabel("IIN").fill(headIin);
    await createUser.getByLabel("Initial password").fill(PASSWORD);
    await createUser.getByLabel("Language").selectOption("en");
    await createUser.getByLabel("Role").selectOption("head");
    await createUser.getByLabel(/^Branch/).selectOption({ label: "— Astana branch" });
    await createUser.getByRole("button", { name: "Create a user" }).click();
    await page.getByRole("cell", { name: "seller.head", exact: true }).waitFor();
    await capture(page, "04-organization");
    await page.getByRole("link", { name: "Organizations" }).click();
    await page.getByRole("link", { name: "Seller LLP" }).waitFor();
    await capture(page, "05-organizations");
    await page.getByRole("link", { name: "System" }).click();
    await page.getByRole("heading", { name: "Scheduled jobs" }).waitFor();
    await capture(page, "06-system");

    // Billing on screen: a plan, the seller subscribed, its invoice paid.
    await page.getByRole("link", { name: "Billing" }).click();
    await page.getByText("Create a plan", { exact: true }).first().click();
    const planForm = page.locator("details", { hasText: "Create a plan" });
    await planForm.getByLabel("Code").fill("standard");
    await planForm.getByLabel("Name").fill("Standard");
    await planForm.getByLabel("Price").fill("120000.00");
    await planForm.getByRole("button", { name: "Create a plan" }).click();
    await page.getByRole("cell", { name: "Standard standard" }).waitFor();
    await page.getByText("Subscribe an organization", { exact: true }).first().click();
    const subscribe = page.locator("details", { hasText: "Subscribe an organization" });
    await subscribe.getByLabel("Organization").selectOption({ label: "Seller LLP" });
    await subscribe.getByLabel("Plan").selectOption({ label: "Standard" });
    await subscribe.getByRole("button", { name: "Subscribe an organization" }).click();
    const invoiceRow = page
      .getByRole("row", { name: /Seller LLP/ })
      .filter({ has: page.getByRole("button", { name: "Record" }) });
    await invoiceRow.waitFor();
    await invoiceRow.getByLabel("Bank reference").fill("PP-77");
    await invoiceRow.getByRole("button", { name: "Record" }).click();
    await page
      .getByRole("row", { name: /Seller LLP/ })
      .getByText("Paid", { exact: true })
      .waitFor();
    expect((await app.db("payments").where({ reference: "PP-77" })).length).to.equal(1);
    await capture(page, "06b-billing-operator");

    // The other side and a compliance officer, through the API an integrator uses.
    const api = new Client(app.url);
    app.clock.advance(31_000);
    await api.login("admin", PASSWORD, { totp: await totpCode(secret, app.clock.now()) });
    const seller = (await app.db("organizations").where({ bin: sellerBin }).first()) as { id: string };
    const astana = (await app.db("branches").where({ organization_id: seller.id, name: "Astana branch" }).first()) as {
      id: string;
    };
    const buyer = (await api.post("/api/v1/organizations", { name: "Buyer JSC", country: "KZ", bin: validBin() })).body;
    const buyerIin = validIin();
    expect(
      (
        await api.post("/api/v1/users", {
          login: "buyer.head",
          email: "head@buyer.kz",
          fullName: "Buyer Head",
          iin: buyerIin,
          password: PASSWORD,
          language: "en",
          roles: [{ role: "head", organizationId: buyer.id, branchId: buyer.headOfficeId }],
        })
      ).status,
    ).to.equal(201);
    expect(
      (
        await api.post("/api/v1/users", {
          login: "officer",
          email: "officer@example.kz",
          fullName: "Compliance Officer",
          password: PASSWORD,
          language: "en",
          roles: [{ role: "compliance_officer" }],
        })
      ).status,
    ).to.equal(201);

    // The seller's head registers an invoice (live totals), signs it with his key and sends it.
    const seller2 = await open();
    await signIn(seller2.page, "seller.head");
    const p = seller2.page;
    await p.getByRole("link", { name: "Register a document" }).click();
    // The buyer is another participant: found in the directory by a word of its name, typed in
    // lower case; picking it fills the form's buyer, and the seller is his own organization.
    await p.getByLabel("Find by name, BIN, IIN, EDRPOU or RNOKPP").fill("buyer");
    await p.getByRole("radio", { name: /Buyer JSC/ }).check();
    await p.getByLabel("Number", { exact: true }).fill("INV-7");
    await p.getByLabel("Date", { exact: true }).fill("2026-03-02");
    expect(await p.getByLabel("Seller", { exact: true }).inputValue()).to.equal("Seller LLP");
    expect(await p.getByLabel("Buyer", { exact: true }).inputValue()).to.equal("Buyer JSC");
    expect(await p.getByLabel("Buyer's BIN").inputValue()).to.equal(buyer.bin);
    await p.getByLabel("Line 1: goods or service").fill("Consulting");
    // Typed as Kazakh and Russian accountants write (a decimal comma, spaces between thousands).
    await p.getByLabel("Line 1: quantity").fill("2,5");
    await p.getByLabel("Line 1: price").fill("10 000,00");
    // 25000.00 + 16 % VAT (KZ's rate from 2026, the new line's default), computed as the server will,
    // printed in English habits.
    await p.getByTestId("total").filter({ hasText: "29,000.00" }).waitFor();
    expect(await p.getByTestId("vat").textContent()).to.equal("4,000.00");
    await p
      .locator("q-upload#content input[type=file]")
      .setInputFiles({ name: "invoice.pdf", mimeType: "application/pdf", buffer: pdf("INV-7") });
    await capture(p, "07-register");
    await p.getByRole("button", { name: "Register", exact: true }).click();
    await p.getByTestId("status").filter({ hasText: "Draft" }).waitFor();
    // The seller's own approval (routed through the API an integrator uses): shown on his side only.
    const docId = new URL(p.url()).pathname.split("/").pop()!;
    const headApi = new Client(app.url);
    await headApi.login("seller.head", PASSWORD);
    const routed = await headApi.post(`/api/v1/documents/${docId}/approval`, {
      steps: [{ approvers: [headApi.userId] }],
    });
    expect(routed.status, JSON.stringify(routed.body)).to.equal(200);
    // The head's own work queue: the menu counts it, the "To approve" box lists it.
    await p.goto(app.url + "/documents?box=approval");
    await p.getByTestId("awaiting-work").filter({ hasText: "1" }).waitFor();
    await p.getByTestId("approval-count").filter({ hasText: "1" }).waitFor();
    await p.getByRole("row", { name: /INV-7/ }).waitFor();
    await p.goto(app.url + `/documents/${docId}`);
    const decided = await headApi.post(`/api/v1/documents/${docId}/approval/decisions`, {
      decision: "approve",
      comment: "margin 12 % internal",
    });
    expect(decided.status, JSON.stringify(decided.body)).to.equal(200);
    // Approved, it moves to the head's "To sign" queue.
    await p.goto(app.url + "/documents?box=signing");
    await p.getByTestId("signing-count").filter({ hasText: "1" }).waitFor();
    await p.getByRole("row", { name: /INV-7/ }).getByRole("link").click();
    await p.getByRole("heading", { name: "Approval route" }).waitFor();
    await p
      .getByText(/margin 12 % internal/)
      .first()
      .waitFor();
    key = testSigner({ cn: "Seller Head", iin: headIin, bin: sellerBin });
    await p.getByRole("button", { name: "Sign with my certificate" }).click();
    await p.getByTestId("status").filter({ hasText: "Signing" }).waitFor();
    await p.getByRole("button", { name: "Send to the recipient" }).click();
    await p.getByTestId("status").filter({ hasText: "Sent" }).waitFor();
    await p.getByText(/valid/).first().waitFor();
    await capture(p, "08-document");

    // The buyer finds it in the inbox and confirms receipt.
    const buyer2 = await open({ width: 768, height: 1024 }); // a tablet
    await signIn(buyer2.page, "buyer.head");
    const b = buyer2.page;
    await b.getByRole("link", { name: "INV-7" }).click();
    await b.getByRole("button", { name: "Confirm receipt" }).waitFor();
    await b.getByTestId("awaiting-work").filter({ hasText: "1" }).waitFor(); // to answer
    // The seller's internal approval is not the buyer's business: no route, no approver, no comment.
    expect(await b.getByRole("heading", { name: "Approval route" }).count()).to.equal(0);
    expect(await b.getByText(/margin 12 % internal/).count()).to.equal(0);
    await b.getByRole("button", { name: "Confirm receipt" }).click();
    await b.getByTestId("status").filter({ hasText: "Delivered" }).waitFor();
    // The buyer's head signs with a key file (PEM key + certificate) in the tab, no token bridge needed.
    const buyerKey = testSigner({ cn: "Buyer Head", iin: buyerIin, bin: buyer.bin });
    await b.getByText("Use a key file or NCALayer").click();
    await b.locator('input[name="files"]').setInputFiles([path.join(buyerKey.dir, "key.pem"), buyerKey.certFile]);
    await b.getByRole("button", { name: "Open the key file" }).click();
    await b.getByText("Signing with Buyer Head (RSA, key.pem, cert.pem) in this tab.").waitFor();
    await b.getByRole("button", { name: "Sign with my certificate" }).click();
    await b.getByTestId("status").filter({ hasText: "Signed by recipient" }).waitFor();
    // The seller's and the buyer's signatures: two valid stamps beside the preview, two in the list.
    expect(await b.getByTestId("stamp").filter({ hasText: "valid" }).count()).to.equal(2);
    expect(await b.getByText("valid", { exact: true }).count()).to.equal(4);
    await b.getByRole("link", { name: "Documents" }).click();
    await b.getByRole("table").getByText("Signed by recipient").waitFor();
    await capture(b, "09-inbox-tablet");

    // The administrator blocks the seller's branch; its head sees why on every page.
    await page.goto(`${app.url}/organizations/${seller.id}?tab=branches`);
    const change = card(page, "Change a branch");
    await change.getByLabel(/^Branch/).selectOption({ label: "— Astana branch" });
    await change.getByLabel("Reason").fill("Audit of the branch's signatures");
    await change.getByRole("button", { name: "Block", exact: true }).click();
    await page.getByText("Blocked: Audit of the branch's signatures").waitFor();
    await p.goto(`${app.url}/documents`);
    const banner = p.locator(`.banner.block[data-branch="${astana.id}"]`);
    await banner.waitFor();
    expect(await banner.textContent()).to.contain("Audit of the branch's signatures");
    await capture(p, "10-blocked-banner");
    await p.getByRole("link", { name: "Billing" }).click();
    await p.getByRole("heading", { name: "Subscriptions" }).waitFor();
    await capture(p, "11-billing");

    // Certificate sign-in: the browser signs the appliance's challenge with the person's AUTH key.
    const certSession = await open();
    key = testSigner({ cn: "Seller Head", iin: headIin, purpose: "auth" });
    await certSession.page.goto(app.url + "/");
    await certSession.page.getByText("Signing with: Test software key").waitFor();
    await certSession.page.getByRole("button", { name: "Sign in with my certificate" }).click();
    await certSession.page.getByRole("button", { name: "Sign out" }).waitFor();
    expect(await certSession.page.getByText("Seller Head").count()).to.be.greaterThan(0);
    key = null;

    // A compliance officer previews a disposition (nothing is due yet: the counts say so).
    const officer = await open();
    await signIn(officer.page, "officer");
    const o = officer.page;
    await o.getByRole("link", { name: "Compliance" }).click();
    await o.getByRole("button", { name: "Preview" }).click();
    await o.getByRole("heading", { name: /^Batch/ }).waitFor();
    await o.getByText("To destroy: 0").waitFor();
    expect(
      await app
        .db("disposition_batches")
        .count({ n: "*" })
        .first()
        .then((r) => Number(r!.n)),
    ).to.equal(1);
    await o.getByText("Place a hold", { exact: true }).first().click();
    const holdForm = o.locator("details", { hasText: "Place a hold" });
    await holdForm.getByLabel("Name").fill("Tax audit 2026");
    await holdForm.getByLabel("Reason").fill("Tax authority request");
    await holdForm.getByLabel(/^Organization/).selectOption({ label: "Seller LLP" });
    await holdForm.getByRole("button", { name: "Place a hold" }).click();
    const holdRow = o.getByRole("row", { name: /Tax audit 2026/ });
    await holdRow.getByText("Active", { exact: true }).waitFor();
    await capture(o, "12-compliance");
    await holdRow.getByLabel("Reason").fill("Audit closed");
    await holdRow.getByRole("button", { name: "Release" }).click();
    await o
      .getByRole("row", { name: /Tax audit 2026/ })
      .getByText("Released", { exact: true })
      .waitFor();
    await o.getByRole("link", { name: "Audit log" }).click();
    await o.getByRole("button", { name: "Verify the chain now" }).click();
    await o.getByText(/The chain is intact/).waitFor();
    await capture(o, "13-audit");
    // Screens outside a role are neither offered nor opened.
    expect(await o.getByRole("link", { name: "System" }).count()).to.equal(0);
    await o.goto(`${app.url}/system`);
    await o.getByRole("heading", { name: "Not available for your roles" }).waitFor();

    for (const c of contexts) for (const pg of c.pages()) await pg.close();
    expect(pageErrors.concat(errors), "errors in the pages").to.deep.equal([]);
    expect(
      Object.entries(violations).filter(([, v]) => v.length),
      "accessibility violations (any impact)",
    ).to.deep.equal([]);
  });
});
