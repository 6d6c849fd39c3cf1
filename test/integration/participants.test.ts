// Participants that are people and Ukrainian identities (SPEC R1.1, R1.2, R3.2): an organization's
// kind decides its identifier (BIN, IIN as BIN, EDRPOU, RNOKPP) with its check digit; users carry an
// IIN or an RNOKPP; a sole proprietor or an individual signs for himself with his own personal
// certificate, where a legal entity's person needs its certificate and authority.
import { expect } from "chai";
import { startTestApp, type TestApp } from "../support/app.js";
import { invoiceFields, jsonDocument, pdf } from "../support/documents.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import { breakCheckDigit, validBin, validEdrpou, validIin, validRnokpp } from "../support/ids.js";
import { signerPool } from "../support/pki.js";
import { periodEnd } from "../../server/domain/shared/zones.js";

describe("participants that are people, Ukrainian identities", () => {
  let app: TestApp;
  const keys = signerPool();
  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    keys.removeAll();
    await app.close();
  });

  const create = (body: Record<string, unknown>) =>
    app.admin.post("/api/v1/organizations", { name: `P ${Math.random()}`, ...body });

  it("asks each kind of participant for its own identifier, with its check digit", async () => {
    const iin = validIin();
    const ip = await create({ country: "KZ", kind: "sole_proprietor", bin: iin });
    expect(ip.status, JSON.stringify(ip.body)).to.equal(201);
    expect(ip.body).to.include({ kind: "sole_proprietor", bin: iin, rnokpp: null });
    const person = await create({ country: "KZ", kind: "individual", bin: validIin() });
    expect(person.status, JSON.stringify(person.body)).to.equal(201);
    // An individual is his IIN: a company's BIN is not one.
    const notIin = await create({ country: "KZ", kind: "individual", bin: validBin() });
    expect(notIin.status).to.equal(400);
    expect(notIin.body.code).to.equal("invalid_iin");

    const rnokpp = validRnokpp();
    const fop = await create({ country: "UA", kind: "sole_proprietor", rnokpp });
    expect(fop.status, JSON.stringify(fop.body)).to.equal(201);
    expect(fop.body).to.include({ kind: "sole_proprietor", rnokpp, bin: null, edrpou: null });
    const dup = await create({ country: "UA", kind: "individual", rnokpp });
    expect(dup.status).to.equal(409);
    const bad = await create({ country: "UA", kind: "sole_proprietor", rnokpp: breakCheckDigit(validRnokpp()) });
    expect(bad.status).to.equal(400);
    expect(bad.body.code).to.equal("invalid_rnokpp");
    // A ФОП is not forced into an EDRPOU, nor a Ukrainian company into an RNOKPP.
    const fopWithCode = await create({ country: "UA", kind: "sole_proprietor", edrpou: validEdrpou() });
    expect(fopWithCode.status).to.equal(400);
    expect(fopWithCode.body).to.include({ code: "identifier_required", field: "rnokpp" });
    const companyWithRnokpp = await create({ country: "UA", rnokpp: validRnokpp() });
    expect(companyWithRnokpp.status).to.equal(400);
    expect(companyWithRnokpp.body.field).to.equal("edrpou");
    // Found by its identifier typed whole.
    const found = await app.admin.get(`/api/v1/organizations?q=${rnokpp}`);
    expect(found.body.items.map((o: { id: string }) => o.id)).to.deep.equal([fop.body.id]);
  });

  it("keeps an organization's own time zone, refusing a name that is no IANA zone", async () => {
    const ua = await create({ country: "UA", edrpou: validEdrpou(), timeZone: "Europe/Kyiv" });
    expect(ua.status, JSON.stringify(ua.body)).to.equal(201);
    expect(ua.body.timeZone).to.equal("Europe/Kyiv");
    const bad = await app.admin.patch(`/api/v1/organizations/${ua.body.id}`, { timeZone: "Europe/Kiev-ish" });
    expect(bad.status).to.equal(400);
    const back = await app.admin.patch(`/api/v1/organizations/${ua.body.id}`, { timeZone: null });
    expect(back.body.timeZone).to.equal(null);
  });

  it("creates a Ukrainian user with his RNOKPP and refuses a wrong check digit or a taken one", async () => {
    const rnokpp = validRnokpp();
    const u = await buildUser(app, [], undefined, { rnokpp });
    const me = await u.client.get("/api/v1/me");
    expect(me.body.rnokpp ?? me.body.user?.rnokpp).to.equal(rnokpp);
    const user = (body: Record<string, unknown>) =>
      app.admin.post("/api/v1/users", {
        login: `ua${Math.random().toString(36).slice(2, 8)}`,
        email: "ua@example.ua",
        fullName: "Олена Коваль",
        password: "Correct-Horse-9-battery",
        roles: [],
        ...body,
      });
    const wrong = await user({ rnokpp: breakCheckDigit(validRnokpp()) });
    expect(wrong.status).to.equal(400);
    expect(wrong.body.code).to.equal("invalid_rnokpp");
    const taken = await user({ rnokpp });
    expect(taken.status).to.equal(409);
    expect(taken.body.code).to.equal("rnokpp_taken");
  });

  describe("an individual receives and signs a completion act", () => {
    let company: Awaited<ReturnType<typeof buildOrganization>>;
    let individual: Awaited<ReturnType<typeof buildOrganization>>;
    let clerk: BuiltUser, head: BuiltUser, person: BuiltUser, stranger: BuiltUser;
    const personIin = validIin();

    before(async () => {
      company = await buildOrganization(app, { name: "Contractor LLP" });
      individual = await buildOrganization(app, {
        name: "Айгерим Нурланова",
        kind: "individual",
        personalId: personIin,
      });
      const at = (org: { id: string; headOfficeId: string }, role: string) => [
        { role, organizationId: org.id, branchId: org.headOfficeId },
      ];
      clerk = await buildUser(app, at(company, "clerk"));
      head = await buildUser(app, at(company, "head"));
      person = await buildUser(app, [...at(individual, "org_admin"), ...at(individual, "head")], undefined, {
        iin: personIin,
      });
      stranger = await buildUser(app, at(individual, "head"));
    });

    async function deliveredAct() {
      const bytes = pdf(`act ${Math.random()}`);
      const r = await clerk.client.post(
        "/api/v1/documents",
        jsonDocument(
          {
            kind: "act_of_work",
            recipient: { organizationId: individual.id },
            fields: invoiceFields({ number: `A-${Math.random().toString(36).slice(2, 8)}` }),
          },
          bytes,
        ),
      );
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const id = r.body.id as string;
      const headKey = keys.make({ cn: "Contractor Head", iin: head.iin, bin: company.bin });
      const signed = await head.client.post(`/api/v1/documents/${id}/signatures`, {
        cms: headKey.sign(bytes).toString("base64"),
      });
      expect(signed.status, JSON.stringify(signed.body)).to.equal(201);
      expect((await clerk.client.post(`/api/v1/documents/${id}/send`)).status).to.equal(200);
      const rec = await person.client.post(`/api/v1/documents/${id}/receipt`, { contentSha256: r.body.content.sha256 });
      expect(rec.status, JSON.stringify(rec.body)).to.equal(200);
      return { id, bytes };
    }

    it("accepts his own personal certificate (individual EKU, no BIN) with no head or power-of-attorney rule", async () => {
      // He lives by Kyiv's clock: his period to answer ends at Kyiv's midnight (SPEC R2.6).
      expect(
        (await app.admin.patch(`/api/v1/organizations/${individual.id}`, { timeZone: "Europe/Kyiv" })).status,
      ).to.equal(200);
      const d = await deliveredAct();
      const receivedAt = (await app.db("document_receipts").where({ document_id: d.id }).first())!.at;
      const due = periodEnd(new Date(receivedAt), "calendar", 7, new Set(), "Europe/Kyiv");
      expect((await app.db("documents").where({ id: d.id }).first())!.respond_by).to.equal(due.toISOString());
      expect(due.getUTCHours()).to.be.oneOf([21, 22]); // Kyiv's midnight, summer or winter
      expect(due.getTime()).to.not.equal(
        periodEnd(new Date(receivedAt), "calendar", 7, new Set(), "Asia/Almaty").getTime(),
      );
      const own = keys.make({ cn: "НУРЛАНОВА АЙГЕРИМ", iin: personIin, roles: ["individual"] });
      const r = await person.client.post(`/api/v1/documents/${d.id}/signatures`, {
        cms: own.sign(d.bytes).toString("base64"),
      });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      const list = await person.client.get(`/api/v1/documents/${d.id}/signatures`);
      const mine = list.body.items.find((s: { side: string }) => s.side === "recipient");
      const checks = Object.fromEntries(
        mine.validation.checks.map((c: { check: string; ok: boolean; detail: string }) => [c.check, c]),
      );
      expect(checks.signer_organization.ok).to.equal(true);
      expect(checks.signer_organization.detail).to.include(personIin);
      expect(checks.signer_authority).to.include({ ok: true });
      expect(checks.signer_authority.detail).to.include("for himself");
    });

    it("refuses another person's personal certificate for him, naming the identity and organization checks", async () => {
      const d = await deliveredAct();
      const strangerKey = keys.make({ cn: "Someone Else", iin: stranger.iin, roles: ["individual"] });
      const r = await stranger.client.post(`/api/v1/documents/${d.id}/signatures`, {
        cms: strangerKey.sign(d.bytes).toString("base64"),
      });
      expect(r.status).to.equal(422);
      const failed = r.body.failures.map((f: { check: string }) => f.check).sort();
      expect(failed).to.deep.equal(["signer_authority", "signer_organization"]);
      expect(await app.db("document_signatures").where({ document_id: d.id, side: "recipient" })).to.have.length(0);
    });

    it("still refuses a personal certificate for a legal entity", async () => {
      const bytes = pdf("legal entity");
      const r = await clerk.client.post(
        "/api/v1/documents",
        jsonDocument(
          {
            kind: "invoice",
            recipient: { organizationId: individual.id },
            fields: invoiceFields({ number: `I-${Math.random().toString(36).slice(2, 8)}` }),
          },
          bytes,
        ),
      );
      const personal = keys.make({ cn: "Contractor Head", iin: head.iin, roles: ["individual"] });
      const s = await head.client.post(`/api/v1/documents/${r.body.id}/signatures`, {
        cms: personal.sign(bytes).toString("base64"),
      });
      expect(s.status).to.equal(422);
      expect(s.body.failures.map((f: { check: string }) => f.check)).to.include("signer_organization");
    });
  });
});
