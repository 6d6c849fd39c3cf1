// The person's language all the way down (SPEC R1.x console, ru/kk/uk/en), in Chromium: a refusal
// reads as the console's own sentence for its code — never the server's English detail — and a
// password the rules refuse lists the rules in that language. Checked against the dictionaries the
// console is built from, and for stray Latin words the server wrote.
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { audit as kkAudit, problems as kk } from "../../console/src/i18n/problems/kk.js";
import { audit as ruAudit, problems as ru } from "../../console/src/i18n/problems/ru.js";
import { audit as ukAudit, problems as uk } from "../../console/src/i18n/problems/uk.js";
import { messages as kkMessages } from "../../console/src/i18n/kk.js";
import { messages as ruMessages } from "../../console/src/i18n/ru.js";
import { messages as ukMessages } from "../../console/src/i18n/uk.js";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { launchBrowser, signInThroughForm, watchedPage } from "../support/browser.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";

const LANGS = [
  { lang: "ru", locale: "ru-RU", problems: ru, messages: ruMessages, audit: ruAudit },
  { lang: "kk", locale: "kk-KZ", problems: kk, messages: kkMessages, audit: kkAudit },
  { lang: "uk", locale: "uk-UA", problems: uk, messages: ukMessages, audit: ukAudit },
] as const;

/** Latin words of three letters or more: what an untranslated server sentence leaves behind. */
const latinWords = (text: string) => text.match(/[A-Za-z]{3,}/g) ?? [];

describe("the console in the person's language, down to the server's refusals (Chromium)", function () {
  this.timeout(120_000);
  let app: TestApp;
  let browser: Browser;
  let user: BuiltUser;
  let admin: BuiltUser;

  before(async () => {
    app = await startTestApp();
    browser = await launchBrowser();
    const org = await buildOrganization(app, { name: "Тіл ЖШС" });
    user = await buildUser(app, [{ role: "accountant", organizationId: org.id, branchId: org.headOfficeId }]);
    admin = await buildUser(app, [{ role: "org_admin", organizationId: org.id, branchId: org.headOfficeId }]);
  });
  after(async () => {
    await browser?.close();
    await app?.close();
  });

  async function alertText(page: Page, code: string) {
    const alert = page.locator(`[role=alert][data-code=${code}]`);
    await alert.waitFor();
    return (await alert.innerText()).replace(/\s+/g, " ").trim();
  }

  for (const { lang, locale, problems, messages } of LANGS) {
    it(`${lang}: a refused sign-in, a wrong current password and a weak new one read in ${lang}`, async () => {
      expect((await user.client.patch("/api/v1/me", { language: lang })).status).to.equal(200);
      const context = await browser.newContext({ locale });
      const { page, errors } = await watchedPage(context);
      await page.goto(app.url + "/");
      const form = page.locator("form:has(input[name=login])");
      await form.locator("input[name=login]").fill(user.login);
      await form.locator("input[name=password]").fill("not the password 1!");
      await form.locator("button[type=submit]").click();
      const refused = await alertText(page, "invalid_credentials");
      expect(refused).to.equal(`${messages["problem.status.401"]}: ${problems["problem.invalid_credentials"]}`);
      expect(latinWords(refused), refused).to.deep.equal([]);

      await form.locator("input[name=password]").fill(PASSWORD);
      await form.locator("button[type=submit]").click();
      await page.getByRole("button", { name: messages["app.signOut"] }).waitFor();
      await page.goto(app.url + "/account");
      const pw = page.locator("form:has(input[name=currentPassword])");
      await pw.locator("input[name=currentPassword]").fill("wrong current 1!");
      await pw.locator("input[name=newPassword]").fill("Another-pass-2026");
      await pw.locator("button[type=submit]").click();
      const wrong = await alertText(page, "wrong_current_password");
      expect(wrong).to.include(problems["problem.wrong_current_password"]);
      expect(latinWords(wrong), wrong).to.deep.equal([]);

      await pw.locator("input[name=currentPassword]").fill(PASSWORD);
      await pw.locator("input[name=newPassword]").fill("abc");
      await pw.locator("button[type=submit]").click();
      const weak = await alertText(page, "password_policy");
      expect(weak).to.include(problems["problem.password_policy"]);
      expect(weak).to.include(messages["rule.no_uppercase"]);
      expect(weak).to.include(messages["rule.too_short"].replace("{min}", String(app.config.auth.passwordMinLength)));
      expect(latinWords(weak), weak).to.deep.equal([]);
      expect(errors).to.deep.equal([]);
      await context.close();
    });
  }

  for (const { lang, locale, audit } of LANGS) {
    it(`${lang}: the audit log reads as sentences with people's and organizations' names`, async () => {
      expect((await admin.client.patch("/api/v1/me", { language: lang })).status).to.equal(200);
      const fullName = (await app.db("users").where({ id: admin.id }).first("full_name"))!.full_name as string;
      const context = await browser.newContext({ locale });
      const { page, errors } = await watchedPage(context);
      await signInThroughForm(page, app.url, admin.login, PASSWORD);
      await page.goto(app.url + "/audit");
      const root = (await app.db("users").where({ login: "root" }).first("full_name"))!.full_name as string;
      const created = `${root} ${audit["audit.action.user.create"]} ${fullName}`;
      await page.getByTestId("audit-sentence").filter({ hasText: created }).first().waitFor();
      const registered = `${root} ${audit["audit.action.organization.create"]} Тіл ЖШС`;
      await page.getByTestId("audit-sentence").filter({ hasText: registered }).first().waitFor();
      // Outside the collapsed technical record, no action code shows (auth.login, document.register…).
      const table = await page.locator("q-paged-table table").innerText();
      expect(table).to.not.match(/\b[a-z_]+\.[a-z_]+\b/);
      expect(errors).to.deep.equal([]);
      await context.close();
    });
  }

  it("ru: date fields take the day as a Russian writes it, and show it back so", async () => {
    expect((await user.client.patch("/api/v1/me", { language: "ru" })).status).to.equal(200);
    // The browser's own date picker would follow its locale (here en-US: mm/dd/yyyy), not the person's language.
    const context = await browser.newContext({ locale: "en-US" });
    const { page, errors } = await watchedPage(context);
    await signInThroughForm(page, app.url, user.login, PASSWORD);
    await page.goto(app.url + "/documents");
    const from = page.locator("input[name=from]");
    expect(await from.getAttribute("placeholder")).to.equal("дд.мм.гггг");
    await from.fill("05.03.2026");
    // A re-render while the person types (a count arriving, a language chunk loaded) keeps his text.
    await page
      .locator("q-documents-page")
      .evaluate(async (el: HTMLElement & { requestUpdate(): void; updateComplete: Promise<boolean> }) => {
        el.requestUpdate();
        await el.updateComplete;
      });
    expect(await from.inputValue()).to.equal("05.03.2026");
    await page.getByRole("button", { name: ruMessages["common.apply"] }).click();
    await page.waitForURL(/from=2026-03-05/);
    expect(await page.locator("input[name=from]").inputValue()).to.equal("05.03.2026");
    // The filter follows the URL: back empties the field, forward shows the day again.
    await page.goBack();
    await page.waitForURL((u) => !u.search.includes("from="));
    await expectValue(page, "");
    await page.goForward();
    await page.waitForURL(/from=2026-03-05/);
    await expectValue(page, "05.03.2026");
    expect(errors).to.deep.equal([]);
    await context.close();
  });

  it("en: the server's own detail, which names specifics, is shown as it is", async () => {
    expect((await user.client.patch("/api/v1/me", { language: "en" })).status).to.equal(200);
    const context = await browser.newContext({ locale: "en-GB" });
    const { page } = await watchedPage(context);
    await page.goto(app.url + "/");
    const form = page.locator("form:has(input[name=login])");
    await form.locator("input[name=login]").fill(user.login);
    await form.locator("input[name=password]").fill("not the password 1!");
    await form.locator("button[type=submit]").click();
    const login = await user.client.post("/api/v1/auth/login", { login: user.login, password: "x" });
    expect(await alertText(page, "invalid_credentials")).to.include(login.body.detail);
    await context.close();
  });
});

/** The period's first field, once the screen has caught up with the URL. */
async function expectValue(page: Page, value: string) {
  const field = page.locator("input[name=from]");
  for (let i = 0; i < 50 && (await field.inputValue()) !== value; i++) await page.waitForTimeout(20);
  expect(await field.inputValue()).to.equal(value);
}
