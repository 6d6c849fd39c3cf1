// The console at a desk (1280×800) and on a phone (390×844), in Chromium: the inbox, a document
// page with its preview, the approval queue and billing, each photographed (test/output/console/
// layout-*.png) and checked by axe-core for violations of any impact. On the phone the header is
// one short line whose menu opens on request, and a list's rows are cards that still show each
// document's status and sender.
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import {
  axeViolations,
  launchBrowser,
  screenshot,
  signInThroughForm,
  type AxeViolation,
  watchedPage,
} from "../support/browser.js";
import { invoiceFields, jsonDocument, renderablePdf, sentDocument } from "../support/documents.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import { removeSigner, testSigner, type TestSigner } from "../support/pki.js";

const VIEWPORTS = [
  { name: "desk", width: 1280, height: 800 },
  { name: "phone", width: 390, height: 844 },
] as const;

describe("the console at a desk and on a phone, in Chromium", function () {
  this.timeout(180_000);
  let app: TestApp;
  let browser: Browser;
  let head: BuiltUser, buyerHead: BuiltUser;
  let keys: TestSigner[] = [];
  let sentId: string;
  const violations: Record<string, AxeViolation[]> = {};

  before(async () => {
    app = await startTestApp();
    browser = await launchBrowser();
    const seller = await buildOrganization(app, { name: "Layout Seller LLP" });
    const buyer = await buildOrganization(app, { name: "Layout Buyer JSC" });
    head = await buildUser(app, [{ role: "head", organizationId: seller.id, branchId: seller.headOfficeId }]);
    const clerk = await buildUser(app, [{ role: "clerk", organizationId: seller.id, branchId: seller.headOfficeId }]);
    buyerHead = await buildUser(app, [{ role: "head", organizationId: buyer.id, branchId: buyer.headOfficeId }]);
    for (const u of [head, buyerHead]) await u.client.patch("/api/v1/me", { language: "en" });
    const key = testSigner({ cn: "Layout Head", iin: head.iin, bin: seller.bin });
    keys = [key];
    // One sent and received (the buyer's inbox, the document page), one waiting for the head's approval.
    const bytes = renderablePdf("LAYOUT 2026");
    const sent = await sentDocument(clerk, key, { recipient: buyer.id, number: "LAY-1", bytes, signer: head });
    sentId = sent.id;
    expect(
      (await buyerHead.client.post(`/api/v1/documents/${sentId}/receipt`, { contentSha256: sent.content.sha256 }))
        .status,
    ).to.equal(200);
    const routed = await clerk.client.post(
      "/api/v1/documents",
      jsonDocument({
        kind: "invoice",
        recipient: { organizationId: buyer.id },
        fields: invoiceFields({ number: "LAY-2" }),
      }),
    );
    expect(
      (await clerk.client.post(`/api/v1/documents/${routed.body.id}/approval`, { steps: [{ approvers: [head.id] }] }))
        .status,
    ).to.equal(200);
    const operator = await buildUser(app, [{ role: "billing_operator" }]);
    const plan = await operator.client.post("/api/v1/billing/plans", {
      code: "lay",
      name: "Standard",
      price: "5000.00",
      currency: "KZT",
    });
    await operator.client.post("/api/v1/billing/subscriptions", {
      organizationId: seller.id,
      planId: plan.body.id,
      paymentTerms: "standard",
    });
  });
  after(async () => {
    keys.forEach(removeSigner);
    await browser?.close();
    await app?.close();
  });

  async function signedIn(who: BuiltUser, viewport: { width: number; height: number }) {
    const context = await browser.newContext({ viewport, locale: "en-GB" });
    const { page, errors } = await watchedPage(context);
    await signInThroughForm(page, app.url, who.login, PASSWORD);
    return { context, page, errors };
  }
  async function shoot(page: Page, name: string) {
    await page.waitForLoadState("networkidle");
    await screenshot(page, `layout-${name}`, false);
    violations[name] = await axeViolations(page);
  }

  for (const v of VIEWPORTS) {
    it(`${v.name} (${v.width}×${v.height}): inbox, document with preview, approval queue, billing`, async () => {
      const buyer = await signedIn(buyerHead, v);
      const b = buyer.page;
      await b.goto(`${app.url}/documents?box=inbox`);
      const row = b.getByRole("row", { name: /LAY-1/ });
      await row.waitFor();
      if (v.name === "phone") {
        // One short line of header; the menu opens below it on request.
        const header = await b.locator("qujat-app header").boundingBox();
        expect(header!.height, "header height").to.be.at.most(64);
        expect(await b.getByRole("navigation", { name: "Main menu" }).isVisible()).to.equal(false);
        await b.getByRole("button", { name: /Main menu/ }).click();
        await b.getByRole("navigation", { name: "Main menu" }).getByRole("link", { name: "Documents" }).waitFor();
        await b.getByRole("button", { name: /Main menu/ }).click();
        // The row is a card: its status and sender are on screen, not cut off to the right.
        for (const label of ["Status", "Sender"]) {
          const cell = row.locator(`td[data-label="${label}"]`);
          const box = await cell.boundingBox();
          expect(box, label).to.not.equal(null);
          expect(box!.x + box!.width, `${label} inside the screen`).to.be.at.most(v.width);
          expect(await cell.isVisible(), label).to.equal(true);
        }
        expect(await row.locator('td[data-label="Status"]').innerText()).to.include("Delivered");
        expect(await row.locator('td[data-label="Sender"]').innerText()).to.include("Layout Seller LLP");
      }
      await shoot(b, `${v.name}-inbox`);
      await b.goto(`${app.url}/documents/${sentId}`);
      await b.getByRole("img", { name: "Page 1 of 1" }).waitFor();
      await shoot(b, `${v.name}-document`);
      expect(buyer.errors).to.deep.equal([]);
      await buyer.context.close();

      const seller = await signedIn(head, v);
      const s = seller.page;
      await s.goto(`${app.url}/documents?box=approval`);
      await s.getByRole("row", { name: /LAY-2/ }).waitFor();
      await shoot(s, `${v.name}-approval`);
      await s.goto(`${app.url}/billing`);
      await s.getByRole("heading", { name: "Subscriptions" }).waitFor();
      if (v.name === "phone") {
        // The subscriptions are cards too: the plan and the status are on screen.
        for (const label of ["Plan", "Status"]) {
          const box = await s.locator(`table.cards td[data-label="${label}"]`).first().boundingBox();
          expect(box!.x + box!.width, `subscription ${label} inside the screen`).to.be.at.most(v.width);
        }
      }
      await shoot(s, `${v.name}-billing`);
      expect(seller.errors).to.deep.equal([]);
      await seller.context.close();
    });
  }

  it("axe-core finds no violation of any impact on any of them", () => {
    const found = Object.entries(violations).filter(([, list]) => list.length);
    expect(Object.keys(violations)).to.have.length(8);
    expect(found, JSON.stringify(found, null, 1)).to.deep.equal([]);
  });
});
