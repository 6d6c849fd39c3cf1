// Signing with the keys people hold, in Chromium (SPEC R3.4, R1.3): through a simulated NCALayer
// (the NCA's desktop agent cannot run here; test/support/ncalayer.ts speaks its WebSocket protocol
// as ncalayer-js-client expects) with a GOST 2015 key and an RSA key; with key files opened in the
// browser — an RSA .p12 made by `openssl pkcs12 -export` and a GOST .p12 — and sign-in through
// NCALayer with an AUTH key. The appliance accepts what they return; bad input is named in the
// person's language and nothing reaches the server.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { launchBrowser, watchedPage } from "../support/browser.js";
import { invoiceFields, jsonDocument, pdf } from "../support/documents.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import { gostCertificate, gostCms, gostCrl, GOST_VARIANTS, type GostCertificate } from "../support/gostPki.js";
import { dstuCertificate, dstuCrl, dstuKeyStore, type DstuCertificate } from "../support/dstuPki.js";
import { validBin, validIin, validRnokpp } from "../support/ids.js";
import { gostPkcs8, pkcs12Of } from "../support/keyFiles.js";
import { simulatedNcalayer, type SimulatedNcalayer } from "../support/ncalayer.js";
import { signerPool, testCa } from "../support/pki.js";

const VALID = { notBefore: new Date("2026-01-01T00:00:00Z"), notAfter: new Date("2027-12-31T00:00:00Z") };

describe("signing with NCALayer and key files in Chromium", function () {
  this.timeout(180_000);
  let app: TestApp;
  let browser: Browser;
  let ncalayer: SimulatedNcalayer;
  let trustDir: string;
  let crlServer: Server;
  let gostCa: GostCertificate;
  let dstuCa: DstuCertificate;
  let crlBase = "";
  const keys = signerPool();
  const contexts: BrowserContext[] = [];
  let seller: Awaited<ReturnType<typeof buildOrganization>>;
  let buyerId: string;
  let clerk: BuiltUser, head: BuiltUser, signer: BuiltUser;

  before(async () => {
    ncalayer = await simulatedNcalayer();
    const crls = new Map<string, Buffer>();
    crlServer = createServer((req, res) => {
      const body = crls.get(req.url ?? "");
      res.writeHead(body ? 200 : 404).end(body ?? "");
    });
    await new Promise<void>((r) => crlServer.listen(0, "127.0.0.1", r));
    trustDir = mkdtempSync(path.join(os.tmpdir(), "qujat-signing-trust-"));
    copyFileSync(path.join(testCa().trustDir, "test-ca.pem"), path.join(trustDir, "test-ca.pem"));
    gostCa = gostCertificate({ variant: "2015-512", cn: "Qujat GOST 2015 Signing CA", ...VALID });
    writeFileSync(path.join(trustDir, "gost-2015.cer"), gostCa.der);
    crls.set(
      "/gost.crl",
      gostCrl(gostCa, [], {
        thisUpdate: new Date("2026-03-01T00:00:00Z"),
        nextUpdate: new Date("2030-01-01T00:00:00Z"),
      }),
    );
    crlBase = `http://127.0.0.1:${(crlServer.address() as AddressInfo).port}`;
    (gostCa as { crlUrl?: string }).crlUrl = `${crlBase}/gost.crl`;
    dstuCa = dstuCertificate({ cn: "Qujat DSTU Test CA", ...VALID });
    writeFileSync(path.join(trustDir, "dstu-ca.cer"), dstuCa.der);
    crls.set(
      "/dstu.crl",
      dstuCrl(dstuCa, { thisUpdate: new Date("2026-03-01T00:00:00Z"), nextUpdate: new Date("2030-01-01T00:00:00Z") }),
    );
    app = await startTestApp({ pki: { trustDir }, signing: { ncalayerUrl: ncalayer.url } });
    app.clock.set(new Date()); // the browser keeps cookies by its own clock
    await app.admin.login("root", PASSWORD);
    seller = await buildOrganization(app, { name: "NCALayer Seller LLP" });
    buyerId = (await buildOrganization(app, { name: "NCALayer Buyer LLP" })).id;
    const at = (role: string) => [{ role, organizationId: seller.id, branchId: seller.headOfficeId }];
    clerk = await buildUser(app, at("clerk"));
    head = await buildUser(app, at("head"));
    signer = await buildUser(app, at("signer"));
    for (const u of [head, signer]) await u.client.patch("/api/v1/me", { language: "en" });
    browser = await launchBrowser();
  });
  after(async () => {
    for (const c of contexts) await c.close();
    await browser?.close();
    await app?.close();
    await ncalayer?.close();
    crlServer?.close();
    keys.removeAll();
    rmSync(trustDir, { recursive: true, force: true });
  });

  const gostHead = (who: BuiltUser, roles = ["legal_entity", "first_head"]) =>
    gostCertificate({
      issuer: gostCa,
      cn: "GOST HEAD",
      iin: who.iin,
      bin: seller.bin,
      roles,
      crlUrl: (gostCa as { crlUrl?: string }).crlUrl,
      ...VALID,
    });

  async function draft() {
    const bytes = pdf(`ncalayer ${Math.random()}`);
    const r = await clerk.client.post(
      "/api/v1/documents",
      jsonDocument(
        {
          kind: "invoice",
          recipient: { organizationId: buyerId },
          fields: invoiceFields({ number: `N-${Math.random().toString(36).slice(2, 8)}` }),
        },
        bytes,
      ),
    );
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return r.body.id as string;
  }

  async function signedIn(who: BuiltUser, lang = "en-GB"): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ locale: lang });
    contexts.push(context);
    const w = await watchedPage(context);
    await w.page.goto(app.url + "/");
    await w.page.getByLabel(/Login|Логин/).fill(who.login);
    await w.page.getByLabel(lang.startsWith("ru") ? "Пароль" : "Password", { exact: true }).fill(PASSWORD);
    await w.page.getByRole("button", { name: /^(Sign in|Войти)$/ }).click();
    await w.page.getByRole("button", { name: /Sign out|Выйти/ }).waitFor();
    return w;
  }

  const signatures = (id: string) => app.db("document_signatures").where({ document_id: id });

  // In-app navigation: the key a person opened lives in this tab's memory, which a reload clears.
  async function signOnPage(page: Page, id: string) {
    if (page.url().startsWith(app.url + "/documents/") || page.url() === app.url + "/")
      await page.evaluate((p) => {
        history.pushState(null, "", p);
        dispatchEvent(new PopStateEvent("popstate"));
      }, `/documents/${id}`);
    else await page.goto(`${app.url}/documents/${id}`);
    await page.getByRole("button", { name: /Sign with my certificate|Подписать моим сертификатом/ }).waitFor();
  }

  it("a head signs and sends an invoice through NCALayer with a GOST 2015 key, then another with an RSA key", async () => {
    const { page, errors } = await signedIn(head);
    const gost = gostHead(head);
    ncalayer.pick({ label: "GOST 2015", sign: (content) => gostCms(gost, content) });
    const first = await draft();
    await signOnPage(page, first);
    await page.getByText("Use a key file or NCALayer").click();
    await page.getByRole("button", { name: "Sign with NCALayer" }).click();
    await page.getByText("Signing with NCALayer in this tab.").waitFor();
    await page.getByRole("button", { name: "Sign with my certificate" }).click();
    await page.getByRole("button", { name: "Send to the recipient" }).waitFor();
    const [s1] = await signatures(first);
    expect(JSON.parse(s1.validation!).certificate.keyAlgorithm.name).to.match(/GOST 34\.10-2015, 512/);
    expect(ncalayer.requests.at(-1)!.signerParams.extKeyUsageOids).to.deep.equal(["1.3.6.1.5.5.7.3.4"]);
    expect(ncalayer.requests.at(-1)!.signingParams).to.include({ encapsulate: false, decode: true, digested: false });
    await page.getByRole("button", { name: "Send to the recipient" }).click();
    await page.waitForFunction(
      async (docId) => (await (await fetch(`/api/v1/documents/${docId}`)).json()).status === "sent",
      first,
    );

    // The same tab keeps NCALayer on another page; now the head picks his RSA key in it.
    const rsa = keys.make({ cn: "RSA HEAD", iin: head.iin, bin: seller.bin });
    ncalayer.pick({ label: "RSA", sign: (content) => rsa.sign(content) });
    const second = await draft();
    await signOnPage(page, second);
    await page.getByText("Signing with NCALayer in this tab.").first().waitFor({ state: "attached" });
    await page.getByRole("button", { name: "Sign with my certificate" }).click();
    await page.getByRole("button", { name: "Send to the recipient" }).waitFor();
    const [s2] = await signatures(second);
    expect(JSON.parse(s2.validation!).certificate.keyAlgorithm.name).to.match(/RSA/);
    expect(errors).to.deep.equal([]);
  });

  it("NCALayer's refusals are named in the person's language and nothing is sent: cancelled, an AUTH key picked to sign, no NCALayer", async () => {
    await head.client.patch("/api/v1/me", { language: "ru" });
    try {
      const { page } = await signedIn(head, "ru-RU");
      const id = await draft();
      await signOnPage(page, id);
      await page.getByText("Файл ключа или NCALayer").click();
      await page.getByRole("button", { name: "Подписать через NCALayer" }).click();
      await page.getByText("В этой вкладке подпись ключом NCALayer.").waitFor();
      ncalayer.pick(null); // the person closes NCALayer's window
      await page.getByRole("button", { name: "Подписать моим сертификатом" }).click();
      await page.getByRole("alert").filter({ hasText: "Подписание отменено в NCALayer" }).waitFor();
      const auth = keys.make({ cn: "HEAD AUTH", iin: head.iin, bin: seller.bin, purpose: "auth" });
      ncalayer.pick({ label: "AUTH", sign: (c) => auth.sign(c) });
      await page.getByRole("button", { name: "Подписать моим сертификатом" }).click();
      await page.getByRole("alert").filter({ hasText: "Не тот тип ключа" }).waitFor();
      expect(await signatures(id)).to.have.length(0);

      // NCALayer not running: an address where nothing listens.
      const silent = await startTestApp({ signing: { ncalayerUrl: "ws://127.0.0.1:9" } });
      try {
        const context = await browser.newContext({ locale: "ru-RU" });
        contexts.push(context);
        const p2 = await context.newPage();
        await p2.goto(silent.url + "/");
        await p2.getByText("Файл ключа или NCALayer").click();
        await p2.getByRole("button", { name: "Подписать через NCALayer" }).click();
        await p2.getByRole("alert").filter({ hasText: "NCALayer не запущен или не отвечает" }).waitFor();
      } finally {
        await silent.close();
      }
    } finally {
      await head.client.patch("/api/v1/me", { language: "en" });
    }
  });

  it("a second person signs with an RSA .p12 from `openssl pkcs12 -export`, and another document with a GOST .p12; a wrong password is named", async () => {
    const { page, errors } = await signedIn(signer);
    const rsa = keys.make({ cn: "SIGNER RSA", iin: signer.iin, bin: seller.bin, roles: ["legal_entity", "signer"] });
    execFileSync(
      "openssl",
      ["pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem", "-out", "signer.p12", "-passout", "pass:Qwerty12"],
      { cwd: rsa.dir },
    );
    const first = await draft();
    await signOnPage(page, first);
    await page.getByText("Use a key file or NCALayer").click();
    const files = page.locator('input[name="files"]');
    await files.setInputFiles(path.join(rsa.dir, "signer.p12"));
    await page.getByLabel("Key file password").fill("qwerty12");
    await page.getByRole("button", { name: "Open the key file" }).click();
    await page.getByRole("alert").filter({ hasText: "The password does not open this key file." }).waitFor();
    await page.getByLabel("Key file password").fill("Qwerty12");
    await page.getByRole("button", { name: "Open the key file" }).click();
    await page.getByText(/Signing with SIGNER RSA \(RSA, signer\.p12\) in this tab\./).waitFor();
    await page.getByRole("button", { name: "Sign with my certificate" }).click();
    await page.getByRole("button", { name: "Send to the recipient" }).waitFor();
    expect(await signatures(first)).to.have.length(1);

    const gost = gostHead(signer, ["legal_entity", "signer"]);
    const meta = GOST_VARIANTS["2015-512"];
    const p12 = pkcs12Of(gostPkcs8(meta.key, meta.params, Buffer.from(gost.key.privateKey)), gost.der, "Qwerty12");
    const second = await draft();
    await signOnPage(page, second);
    await page.getByText(/Signing with SIGNER RSA/).waitFor({ state: "attached" });
    await page.getByText("Use a key file or NCALayer").click();
    await page
      .locator('input[name="files"]')
      .setInputFiles({ name: "gost.p12", mimeType: "application/x-pkcs12", buffer: p12 });
    await page.getByLabel("Key file password").fill("Qwerty12");
    await page.getByRole("button", { name: "Open the key file" }).click();
    await page.getByText(/Signing with GOST HEAD \(GOST 34\.10-2015, 512 bit, gost\.p12\)/).waitFor();
    await page.getByRole("button", { name: "Sign with my certificate" }).click();
    await page.getByRole("button", { name: "Send to the recipient" }).waitFor();
    const [s] = await signatures(second);
    expect(JSON.parse(s.validation!).certificate.keyAlgorithm.name).to.match(/GOST 34\.10-2015, 512/);
    expect(errors).to.deep.equal([]);
  });

  it("signs in through NCALayer with an AUTH key", async () => {
    const context = await browser.newContext({ locale: "en-GB" });
    contexts.push(context);
    const { page, errors } = await watchedPage(context);
    const auth = keys.make({ cn: "HEAD AUTH", iin: head.iin, bin: seller.bin, purpose: "auth" });
    ncalayer.pick({ label: "AUTH", sign: (c) => auth.sign(c) });
    await page.goto(app.url + "/");
    await page.getByText("Use a key file or NCALayer").click();
    await page.getByRole("button", { name: "Sign with NCALayer" }).click();
    await page.getByText("Signing with NCALayer in this tab.").waitFor();
    await page.getByRole("button", { name: "Sign in with my certificate" }).click();
    await page.getByRole("button", { name: /Sign out|Выйти/ }).waitFor();
    expect(ncalayer.requests.at(-1)!.signerParams.extKeyUsageOids).to.deep.equal(["1.3.6.1.5.5.7.3.2"]);
    expect(errors).to.deep.equal([]);
  });

  /** In-app: open the key-file form, give the files and the password, and wait for the signer to be in use. */
  async function openKeyFile(
    page: Page,
    files: Array<{ name: string; buffer: Buffer }>,
    password: string,
    expect: RegExp,
  ) {
    await page.getByText("Use a key file or NCALayer").click();
    await page
      .locator('input[name="files"]')
      .setInputFiles(files.map((f) => ({ name: f.name, mimeType: "application/octet-stream", buffer: f.buffer })));
    await page.getByLabel("Key file password").fill(password);
    await page.getByRole("button", { name: "Open the key file" }).click();
    await page
      .getByText(expect)
      .waitFor({ timeout: 10_000 })
      .catch(async (e) => {
        throw new Error(
          `${(e as Error).message}\nalerts: ${(await page.getByRole("alert").allTextContents()).join(" | ")}`,
        );
      });
  }

  it("a Ukrainian ФОП registered by its RNOKPP signs with a DSTU 4145 key store, and the Kazakh recipient sees a valid report naming the algorithm", async () => {
    const rnokpp = validRnokpp();
    const fop = await buildOrganization(app, {
      name: "ФОП Коваленко Олена",
      country: "UA",
      kind: "sole_proprietor",
      personalId: rnokpp,
    });
    expect(fop).to.include({ kind: "sole_proprietor", rnokpp, edrpou: null, bin: null });
    const at = (role: string) => ({ role, organizationId: fop.id, branchId: fop.headOfficeId });
    const owner = await buildUser(app, [at("head"), at("clerk")], undefined, { rnokpp });
    await owner.client.patch("/api/v1/me", { language: "en" });
    const person = dstuCertificate({
      issuer: dstuCa,
      cn: "Коваленко Олена",
      rnokpp,
      crlUrl: `${crlBase}/dstu.crl`,
      ...VALID,
    });
    const bytes = pdf(`act from a ФОП ${Math.random()}`);
    const r = await owner.client.post(
      "/api/v1/documents",
      jsonDocument(
        {
          kind: "act_of_work",
          recipient: { organizationId: seller.id },
          fields: invoiceFields({ number: `UA-${Math.random().toString(36).slice(2, 8)}` }),
        },
        bytes,
      ),
    );
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const id = r.body.id as string;
    const { page, errors } = await signedIn(owner);
    await signOnPage(page, id);
    await openKeyFile(
      page,
      [
        { name: "Key-6.dat", buffer: dstuKeyStore(person, "Пароль-1") },
        { name: "person.cer", buffer: person.der },
      ],
      "Пароль-1",
      /Signing with Коваленко Олена \(DSTU 4145, Key-6\.dat, person\.cer\)/,
    );
    await page.getByRole("button", { name: "Sign with my certificate" }).click();
    await page.getByRole("button", { name: "Send to the recipient" }).click();
    await page.waitForFunction(
      async (docId) => (await (await fetch(`/api/v1/documents/${docId}`)).json()).status === "sent",
      id,
    );
    expect(errors).to.deep.equal([]);

    // The Kazakh company receives it and reads the signature's report.
    const received = await head.client.post(`/api/v1/documents/${id}/receipt`, {
      contentSha256: r.body.content.sha256,
    });
    expect(received.status, JSON.stringify(received.body)).to.equal(200);
    const kz = await signedIn(head);
    await signOnPage(kz.page, id).catch(() => kz.page.goto(`${app.url}/documents/${id}`));
    await kz.page.locator("details.card summary", { hasText: "Коваленко Олена" }).click();
    expect((await kz.page.getByTestId("signature-algorithm").first().textContent())!.trim()).to.match(/DSTU 4145/);
    await kz.page.getByText("RNOKPP").first().waitFor();
    const list = await head.client.get(`/api/v1/documents/${id}/signatures`);
    const [sig] = list.body.items;
    expect(sig.validation.valid).to.equal(true);
    expect(sig.certificate.iin).to.equal(rnokpp);
    const checks = Object.fromEntries(
      sig.validation.checks.map((c: { check: string; ok: boolean }) => [c.check, c.ok]),
    );
    expect(checks).to.include({
      signer_identity: true,
      signer_organization: true,
      signer_authority: true,
      revocation: true,
    });
  });

  it("an individual receives a completion act and signs it with his personal certificate from a .p12", async () => {
    const iin = validIin();
    const individual = await buildOrganization(app, { name: "Нурланов Ерлан", kind: "individual", personalId: iin });
    const at = (role: string) => ({ role, organizationId: individual.id, branchId: individual.headOfficeId });
    const person = await buildUser(app, [at("head")], undefined, { iin });
    await person.client.patch("/api/v1/me", { language: "en" });
    const bytes = pdf(`act to a person ${Math.random()}`);
    const r = await clerk.client.post(
      "/api/v1/documents",
      jsonDocument(
        {
          kind: "act_of_work",
          recipient: { organizationId: individual.id },
          fields: invoiceFields({ number: `P-${Math.random().toString(36).slice(2, 8)}` }),
        },
        bytes,
      ),
    );
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const id = r.body.id as string;
    const headKey = keys.make({ cn: "RSA HEAD", iin: head.iin, bin: seller.bin });
    expect(
      (await head.client.post(`/api/v1/documents/${id}/signatures`, { cms: headKey.sign(bytes).toString("base64") }))
        .status,
    ).to.equal(201);
    expect((await clerk.client.post(`/api/v1/documents/${id}/send`)).status).to.equal(200);
    expect(
      (await person.client.post(`/api/v1/documents/${id}/receipt`, { contentSha256: r.body.content.sha256 })).status,
    ).to.equal(200);

    const own = keys.make({ cn: "NURLANOV ERLAN", iin, roles: ["individual"] });
    execFileSync(
      "openssl",
      ["pkcs12", "-export", "-inkey", "key.pem", "-in", "cert.pem", "-out", "own.p12", "-passout", "pass:Qwerty12"],
      { cwd: own.dir },
    );
    const { page, errors } = await signedIn(person);
    await signOnPage(page, id);
    await openKeyFile(
      page,
      [{ name: "RSA256_own.p12", buffer: readFileSync(path.join(own.dir, "own.p12")) }],
      "Qwerty12",
      /Signing with NURLANOV ERLAN/,
    );
    await page.getByRole("button", { name: "Sign with my certificate" }).click();
    await page
      .getByTestId("status")
      .filter({ hasText: /Signed by recipient/ })
      .waitFor();
    const sigs = await signatures(id);
    const mine = sigs.find((s) => s.side === "recipient")!;
    const report = JSON.parse(mine.validation!);
    expect(report.valid).to.equal(true);
    expect(report.checks.find((c: { check: string }) => c.check === "signer_authority").detail).to.match(/for himself/);
    expect(errors).to.deep.equal([]);
  });

  /** A letter to a counterparty not on the appliance, signed and sent: its invitation's token (from the outbox). */
  async function invitationFor(organization: Record<string, unknown>) {
    const bytes = pdf(`invitation ${Math.random()}`);
    const r = await clerk.client.post(
      "/api/v1/documents",
      jsonDocument({ kind: "letter", fields: {}, recipient: { organization, email: "first@newcomer.example" } }, bytes),
    );
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    const k = keys.make({ cn: "RSA HEAD", iin: head.iin, bin: seller.bin });
    expect(
      (await head.client.post(`/api/v1/documents/${r.body.id}/signatures`, { cms: k.sign(bytes).toString("base64") }))
        .status,
    ).to.equal(201);
    expect((await clerk.client.post(`/api/v1/documents/${r.body.id}/send`)).status).to.equal(200);
    const [mail] = await app.db("outbox").where({ document_id: r.body.id, topic: "invitation" });
    return JSON.parse(mail.payload).token as string;
  }

  it("the invited organization's head accepts the invitation through NCALayer with his AUTH key and is signed in", async () => {
    const bin = validBin();
    const token = await invitationFor({ name: "Newcomer LLP", country: "KZ", bin });
    const context = await browser.newContext({ locale: "en-GB" });
    contexts.push(context);
    const { page, errors } = await watchedPage(context);
    const iin = validIin();
    const auth = keys.make({ cn: "NEWCOMER HEAD", iin, bin, purpose: "auth" });
    ncalayer.pick({ label: "AUTH", sign: (c) => auth.sign(c) });
    await page.goto(`${app.url}/invitations/${token}`);
    await page.getByRole("heading", { name: "Newcomer LLP is invited to Qujat" }).waitFor();
    await page.getByText("Use a key file or NCALayer").click();
    await page.getByRole("button", { name: "Sign with NCALayer" }).click();
    await page.getByText("Signing with NCALayer in this tab.").waitFor();
    const form = page.locator("form", { has: page.getByRole("button", { name: "Register with my AUTH certificate" }) });
    await form.getByLabel("Login").fill("newcomer.head");
    await form.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await form.getByRole("button", { name: "Register with my AUTH certificate" }).click();
    await page.getByRole("button", { name: /Sign out|Выйти/ }).waitFor();
    const user = await app.db("users").where({ login: "newcomer.head" }).first();
    expect(user).to.include({ iin });
    expect(errors).to.deep.equal([]);
  });

  it("a Ukrainian ФОП invited by its RNOKPP registers its person with a password and his RNOKPP", async () => {
    const rnokpp = validRnokpp();
    const token = await invitationFor({ name: "ФОП Мельник", country: "UA", kind: "sole_proprietor", rnokpp });
    const context = await browser.newContext({ locale: "uk-UA" });
    contexts.push(context);
    const { page, errors } = await watchedPage(context);
    await page.goto(`${app.url}/invitations/${token}`);
    await page
      .getByLabel(/Мова|Language|Язык/)
      .first()
      .selectOption("en");
    await page.getByRole("heading", { name: "ФОП Мельник is invited to Qujat" }).waitFor();
    const form = page.locator("form", { has: page.getByRole("button", { name: "Register", exact: true }) });
    await form.getByLabel("Login").fill("fop.melnyk");
    await form.getByLabel("Full name").fill("Мельник Петро");
    await form.getByLabel("IIN (12 digits) or RNOKPP (10)").fill(rnokpp);
    await form.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await form.getByRole("button", { name: "Register", exact: true }).click();
    await page.getByText("You are registered. Sign in to see the documents.").waitFor();
    expect(await app.db("users").where({ login: "fop.melnyk" }).first()).to.include({ rnokpp, iin: null });
    const org = await app.db("organizations").where({ rnokpp }).first();
    expect(org).to.include({ kind: "sole_proprietor", edrpou: null });
    expect(errors).to.deep.equal([]);
  });
});
