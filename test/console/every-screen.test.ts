// Every screen in every language (ru, kk, uk, en), in Chromium: the text a person sees — shadow
// roots included, hidden parts left out — holds no raw enum or code (`snake_case`, `dotted.code`)
// and, in ru, kk and uk, no stray English the server or a forgotten label left behind; and axe-core
// finds no accessibility violation of any impact on any of them. The data
// is named in Kazakh and Russian, so any Latin word on screen is the console's or the server's own.
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { axeViolations, launchBrowser, signInThroughForm, watchedPage } from "../support/browser.js";
import { renderablePdf, sentDocument } from "../support/documents.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import { removeSigner, testSigner, type TestSigner } from "../support/pki.js";

/**
 * Latin words a Kazakh, Russian or Ukrainian screen may carry: names of standards, formats and
 * products, units, and the console's brand — never a sentence.
 */
const ALLOWED_LATIN = new Set(
  "Qujat API PDF SHA CMS CAdES OCSP CRL HSM TSA JSON CSV ZIP ID URL TOTP NCALayer KZT USD UAH EUR RUB RSA ECDSA GOST DSTU PKCS SoftHSM Swift S3 SMTP IIN BIN KZ UA English Content Security Policy p7s IP".split(
    " ",
  ),
);

/** The visible text of the page, through every shadow root, one string per text node. */
const visibleText = (page: Page) =>
  page.evaluate(() => {
    const out: string[] = [];
    const walk = (node: Node) => {
      if (node.nodeType === Node.TEXT_NODE) {
        const parent = node.parentElement;
        const text = node.textContent?.trim();
        if (text && parent && parent.checkVisibility() && !parent.closest("code, pre, .mono, [translate=no]"))
          out.push(text);
        return;
      }
      if (node instanceof Element) {
        if (["SCRIPT", "STYLE", "TEMPLATE"].includes(node.tagName)) return;
        if (node.shadowRoot) node.shadowRoot.childNodes.forEach(walk);
      }
      node.childNodes.forEach(walk);
    };
    walk(document.body);
    return out;
  });

describe("every screen in every language (Chromium)", function () {
  this.timeout(300_000);
  let app: TestApp;
  let browser: Browser;
  let head: BuiltUser, officer: BuiltUser;
  let key: TestSigner;
  let docId: string, orgId: string;

  before(async () => {
    app = await startTestApp();
    browser = await launchBrowser();
    const seller = await buildOrganization(app, { name: "Сатушы ЖШС" });
    const buyer = await buildOrganization(app, { name: "Алушы АҚ" });
    orgId = seller.id;
    head = await buildUser(app, [{ role: "head", organizationId: seller.id, branchId: seller.headOfficeId }]);
    officer = await buildUser(app, [{ role: "compliance_officer" }]);
    for (const u of [head, officer]) await app.db("users").where({ id: u.id }).update({ full_name: "Әлия Нұрланқызы" });
    key = testSigner({ cn: "Әлия Нұрланқызы", iin: head.iin, bin: seller.bin });
    const bytes = renderablePdf("SCREEN");
    // The buyer has a head on the appliance, so the invoice can be sent (and its page shows it sent).
    await buildUser(app, [{ role: "head", organizationId: buyer.id, branchId: buyer.headOfficeId }]);
    docId = (await sentDocument(head, key, { recipient: buyer.id, number: "ЭК-1", bytes })).id;
    // A policy waiting for a second officer: its trigger and end action show as words, and it says it is not in effect.
    const policy = await officer.client.post("/api/v1/retention/policies", {
      name: "Шоттар",
      kind: "invoice",
      trigger: "document_date",
      periodMonths: 60,
      endAction: "review",
    });
    expect(policy.status, JSON.stringify(policy.body)).to.equal(201);
    await officer.client.post("/api/v1/retention/holds", {
      name: "Салық тексеруі",
      reason: "Салық органының сұрауы",
      scope: "organization",
      organizationId: seller.id,
    });
  });
  after(async () => {
    if (key) removeSigner(key);
    await browser?.close();
    await app?.close();
  });

  const screens = (who: "head" | "officer" | "admin") =>
    ({
      head: ["/documents", "/documents/new", `/documents/${docId}`, "/billing", "/notices", "/account"],
      officer: ["/compliance", "/audit", "/account"],
      admin: [
        "/organizations",
        `/organizations/${orgId}`,
        `/organizations/${orgId}?tab=branches`,
        `/organizations/${orgId}?tab=users`,
        `/organizations/${orgId}?tab=tokens`,
        `/organizations/${orgId}?tab=powers`,
        "/staff",
        "/system",
        "/audit",
        "/billing",
      ],
    })[who];

  for (const lang of ["ru", "kk", "uk", "en"] as const) {
    it(`${lang}: no raw code on any screen${lang === "en" ? "" : ", and no stray English"}`, async () => {
      const problems: string[] = [];
      for (const [who, login] of [
        ["head", head.login],
        ["officer", officer.login],
        ["admin", "root"],
      ] as const) {
        const client = who === "admin" ? app.admin : who === "head" ? head.client : officer.client;
        await client.patch("/api/v1/me", { language: lang });
        const context = await browser.newContext({ locale: "en-GB" });
        // The test loader (esbuild, keepNames) wraps named functions in __name(); the page needs it too.
        await context.addInitScript("window.__name = (f) => f");
        const { page, errors } = await watchedPage(context);
        await signInThroughForm(page, app.url, login, PASSWORD);
        for (const screen of screens(who)) {
          await page.goto(app.url + screen);
          await page.waitForLoadState("networkidle"); // the screen's data has arrived
          await page.waitForFunction(
            () => !document.querySelector("qujat-app")?.shadowRoot?.querySelector("[aria-busy=true]"),
          );
          for (const text of await visibleText(page)) {
            const codes = text.match(/\b[a-z]+(?:_[a-z]+)+\b|\b[a-z]+\.[a-z_]+\b/g) ?? [];
            for (const c of codes)
              if (!/@|\.(kz|ua|com|pdf)$/.test(c)) problems.push(`${who} ${screen}: code "${c}" in "${text}"`);
            if (lang !== "en")
              for (const w of text.match(/[A-Za-z][A-Za-z-]{2,}/g) ?? [])
                if (!ALLOWED_LATIN.has(w) && !/^[A-Z0-9-]+$/.test(w))
                  problems.push(`${who} ${screen}: English "${w}" in "${text}"`);
          }
          // Once per screen (in English): axe-core finds no accessibility violation of any impact.
          if (lang === "en")
            for (const v of await axeViolations(page))
              problems.push(`${who} ${screen}: axe ${v.id} (${v.impact}): ${v.help}`);
        }
        expect(errors, `${who} ${lang}`).to.deep.equal([]);
        await context.close();
      }
      expect([...new Set(problems)], [...new Set(problems)].join("\n")).to.deep.equal([]);
    });
  }
});
