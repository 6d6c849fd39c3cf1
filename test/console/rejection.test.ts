// After a rejection (SPEC R2.6), in Chromium: the sender's document page says the recipient
// rejected it and why, and offers the next step — a corrected document, whose form opens with the
// same kind and recipient.
import { expect } from "chai";
import type { Browser } from "playwright-core";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { launchBrowser, watchedPage } from "../support/browser.js";
import { pdf, sentDocument } from "../support/documents.js";
import { buildOrganization, buildUser } from "../support/factories.js";
import { removeSigner, testSigner, type TestSigner } from "../support/pki.js";

describe("the next step after a rejection, in Chromium", function () {
  this.timeout(120_000);
  let app: TestApp;
  let browser: Browser;
  let key: TestSigner;

  before(async () => {
    app = await startTestApp();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    if (key) removeSigner(key);
    await app?.close();
  });

  it("the sender reads the reason and opens a corrected document for the same recipient", async () => {
    const seller = await buildOrganization(app, { name: "Seller LLP" });
    const buyer = await buildOrganization(app, { name: "Buyer JSC" });
    const head = await buildUser(app, [{ role: "head", organizationId: seller.id, branchId: seller.headOfficeId }]);
    const buyerHead = await buildUser(app, [{ role: "head", organizationId: buyer.id, branchId: buyer.headOfficeId }]);
    await head.client.patch("/api/v1/me", { language: "en" });
    key = testSigner({ cn: "Seller Head", iin: head.iin, bin: seller.bin });
    const bytes = pdf("REJ-1");
    const d = await sentDocument(head, key, { recipient: buyer.id, number: "REJ-1", bytes, kind: "act_of_work" });
    const id = d.id;
    expect(
      (await buyerHead.client.post(`/api/v1/documents/${id}/receipt`, { contentSha256: d.content.sha256 })).status,
    ).to.equal(200);
    const rejected = await buyerHead.client.post(`/api/v1/documents/${id}/rejection`, { reason: "Works not done" });
    expect(rejected.body.status).to.equal("rejected");

    const context = await browser.newContext({ locale: "en-GB" });
    const { page, errors } = await watchedPage(context);
    await page.goto(app.url + "/");
    await page.getByLabel("Login or IIN").fill(head.login);
    await page.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await page.getByRole("button", { name: "Sign in", exact: true }).click();
    await page.getByRole("button", { name: "Sign out" }).waitFor();
    await page.goto(`${app.url}/documents/${id}`);
    const next = page.getByTestId("rejected-next");
    await next.getByText("Reason: Works not done").waitFor();
    await next.getByRole("link", { name: "Register a corrected one" }).click();
    await page.getByLabel("Kind").waitFor();
    expect(await page.getByLabel("Kind").inputValue()).to.equal("act_of_work");
    // The recipient is chosen already, and the form's buyer is filled from it.
    const recipient = page.getByRole("radio", { name: /Buyer JSC/ });
    await recipient.waitFor();
    expect(await recipient.isChecked()).to.equal(true);
    expect(errors).to.deep.equal([]);
    await context.close();
  });
});
