// The document shown on its page (SPEC R2.9), in Chromium under the appliance's strict CSP: the
// content PDF drawn by PDF.js from its lazy chunk and same-origin worker (poppler's pdftotext reads
// the same file, so the fixture is a real PDF), the signatures beside it as stamps, and an
// invoice's printed form built from its fields in the reader's language and number habits.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Browser, Page } from "playwright-core";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { launchBrowser, signInThroughForm, watchedPage } from "../support/browser.js";
import { invoiceFields, jsonDocument, renderablePdf } from "../support/documents.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import { removeSigner, testSigner, type TestSigner } from "../support/pki.js";

/** Dark pixels on the preview's first canvas: text drawn, not a blank sheet. */
const inkOnFirstPage = (page: Page) =>
  page.evaluate(() => {
    const host = document.querySelector("qujat-app")!.shadowRoot!;
    const screen = host.querySelector("q-document-page")!.shadowRoot!;
    const preview = screen.querySelector("q-document-preview")!.shadowRoot!;
    const canvas = preview.querySelector("canvas")!;
    const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
    let dark = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i] + data[i + 1] + data[i + 2] < 200 && data[i + 3] > 0) dark++;
    return { dark, width: canvas.width, height: canvas.height };
  });

describe("the document preview, in Chromium", function () {
  this.timeout(120_000);
  let app: TestApp;
  let browser: Browser;
  let head: BuiltUser;
  let key: TestSigner;
  let id: string;
  const bytes = renderablePdf("QUJAT PREVIEW 2026");

  before(async () => {
    app = await startTestApp();
    browser = await launchBrowser();
    const seller = await buildOrganization(app, { name: "Preview Seller LLP" });
    const buyer = await buildOrganization(app, { name: "Preview Buyer JSC" });
    head = await buildUser(app, [{ role: "head", organizationId: seller.id, branchId: seller.headOfficeId }]);
    key = testSigner({ cn: "Preview Head", iin: head.iin, bin: seller.bin });
    const d = await head.client.post(
      "/api/v1/documents",
      jsonDocument(
        { kind: "invoice", recipient: { organizationId: buyer.id }, fields: invoiceFields({ number: "PV-1" }) },
        bytes,
      ),
    );
    expect(d.status, JSON.stringify(d.body)).to.equal(201);
    id = d.body.id;
    const signed = await head.client.post(`/api/v1/documents/${id}/signatures`, {
      cms: key.sign(bytes).toString("base64"),
    });
    expect(signed.status, JSON.stringify(signed.body)).to.equal(201);
  });
  after(async () => {
    await browser?.close();
    if (key) removeSigner(key);
    await app?.close();
  });

  it("the fixture is a PDF another reader draws text from", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-pdf-"));
    try {
      writeFileSync(path.join(dir, "f.pdf"), bytes);
      expect(execFileSync("pdftotext", [path.join(dir, "f.pdf"), "-"], { encoding: "utf8" })).to.include(
        "QUJAT PREVIEW 2026",
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  async function signedIn(lang: "en" | "ru") {
    expect((await head.client.patch("/api/v1/me", { language: lang })).status).to.equal(200);
    const context = await browser.newContext({ locale: lang === "en" ? "en-GB" : "ru-RU" });
    const { page, errors } = await watchedPage(context);
    await signInThroughForm(page, app.url, head.login, PASSWORD);
    return { context, page, errors };
  }

  it("draws the PDF with PDF.js under the CSP, and shows the signature as a stamp", async () => {
    const { context, page, errors } = await signedIn("en");
    const scripts: string[] = [];
    page.on("request", (r) => r.resourceType() === "script" && scripts.push(new URL(r.url()).pathname));
    await page.goto(`${app.url}/documents/${id}`);
    await page.getByRole("img", { name: "Page 1 of 1" }).waitFor();
    const ink = await inkOnFirstPage(page);
    expect(ink.width).to.be.greaterThan(500);
    expect(ink.dark, "text drawn on the page").to.be.greaterThan(300);
    const stamp = page.getByTestId("stamp");
    await stamp.getByText("Valid").waitFor();
    expect(await stamp.innerText())
      .to.include("Preview Head")
      .and.include("sender");
    // The worker and the library came from this origin, in chunks of their own.
    expect(scripts.some((s) => /^\/assets\/pdf-[\w-]+\.js$/.test(s))).to.equal(true);
    expect(errors).to.deep.equal([]);
    await context.close();
  });

  it("an invoice's printed form: its parties, lines and totals, in English and in Russian habits", async () => {
    const en = await signedIn("en");
    await en.page.goto(`${app.url}/documents/${id}`);
    await en.page.getByRole("tab", { name: "Printed form" }).click();
    const form = en.page.getByTestId("printed-form");
    await form.getByRole("heading", { name: "Invoice for payment No. PV-1 of 02/03/2026" }).waitFor();
    const text = await form.innerText();
    expect(text).to.include("Сатушы ЖШС").and.include("BIN 123456789012").and.include("Консультация");
    expect(text).to.match(/Консультация\s+hour\s+2\.5\s+10,000\.00\s+25,000\.00\s+12 %\s+3,000\.00/);
    expect(text).to.include("25,000.00").and.include("33,600.00").and.include("Total, KZT");
    expect(en.errors).to.deep.equal([]);
    await en.context.close();

    const ru = await signedIn("ru");
    await ru.page.goto(`${app.url}/documents/${id}`);
    await ru.page.getByRole("tab", { name: "Печатная форма" }).click();
    const formRu = ru.page.getByTestId("printed-form");
    await formRu.getByRole("heading", { name: /№ PV-1 от 02\.03\.2026/ }).waitFor();
    const textRu = (await formRu.innerText()).replace(/\u00a0|\u202f/g, " ");
    expect(textRu).to.include("25 000,00").and.include("Итого, KZT").and.include("БИН 123456789012");
    expect(ru.errors).to.deep.equal([]);
    await ru.context.close();
  });
});
