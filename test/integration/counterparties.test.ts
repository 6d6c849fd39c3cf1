// The counterparty directory a document's author picks the recipient from (SPEC R2.10, R1.1):
// participants and external organizations, found in any case and script or by an identifier's
// start; the organizations his own ones sent to most recently come first, and alone when nothing
// is typed; his own organizations and blocked ones never appear.
import { expect } from "chai";
import { MINUTE } from "../../server/clock.js";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { invoiceFields, jsonDocument } from "../support/documents.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";

type Item = { id: string; name: string; bin: string | null; edrpou: string | null; lastUsedAt: string | null };

describe("the counterparty directory", () => {
  let app: TestApp;
  let clerk: BuiltUser, stranger: BuiltUser;
  let own: { id: string; headOfficeId: string };
  let almaty: { id: string; bin: string }, kyiv: { id: string; edrpou: string };
  let astana: { id: string }, blocked: { id: string };

  const find = async (who: BuiltUser, q?: string) => {
    const r = await who.client.get(`/api/v1/counterparties${q === undefined ? "" : `?q=${encodeURIComponent(q)}`}`);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return r.body.items as Item[];
  };
  const send = async (to: { id: string }, number: string) => {
    const r = await clerk.client.post(
      "/api/v1/documents",
      jsonDocument({ kind: "invoice", recipient: { organizationId: to.id }, fields: invoiceFields({ number }) }),
    );
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
  };

  before(async () => {
    app = await startTestApp();
    own = await buildOrganization(app, { name: "Алматы Өзіміз ЖШС" }); // "Алматы" too, but his own
    almaty = (await buildOrganization(app, { name: "«Алматы Сауда» ЖШС" })) as typeof almaty;
    astana = await buildOrganization(app, { name: "Астана Құрылыс АҚ" });
    kyiv = (await buildOrganization(app, { name: "ТОВ «Київ Постач»", country: "UA" })) as typeof kyiv;
    blocked = await buildOrganization(app, { name: "Алматы Жабық ЖШС" });
    expect(
      (await app.admin.post(`/api/v1/organizations/${blocked.id}/block`, { reason: "false registration data" })).status,
    ).to.equal(200);
    const other = await buildOrganization(app, { name: "Other LLP" });
    clerk = await buildUser(app, [{ role: "clerk", organizationId: own.id, branchId: own.headOfficeId }]);
    stranger = await buildUser(app, [{ role: "clerk", organizationId: other.id, branchId: other.headOfficeId }]);
  });
  after(() => app.close());

  it("nothing typed and nothing sent yet: an empty list, not everyone on the appliance", async () => {
    expect(await find(clerk)).to.deep.equal([]);
  });

  it("finds by any part of the name in any case and script, and by the start of a BIN or EDRPOU", async () => {
    for (const q of ["алматы", "АЛМАТЫ", "сауда", "Алматы Сауда"])
      expect(
        (await find(clerk, q)).map((o) => o.id),
        q,
      ).to.deep.equal([almaty.id]);
    expect((await find(clerk, almaty.bin.slice(0, 6))).map((o) => o.id)).to.include(almaty.id);
    expect((await find(clerk, "київ")).map((o) => o.id)).to.deep.equal([kyiv.id]);
    expect((await find(clerk, kyiv.edrpou.slice(0, 5))).map((o) => o.id)).to.include(kyiv.id);
    const one = (await find(clerk, "сауда"))[0];
    expect(one).to.include({ name: "«Алматы Сауда» ЖШС", bin: almaty.bin, lastUsedAt: null });
  });

  it("recently used first, latest first — alone when nothing is typed, ahead of the others when something is", async () => {
    await send(astana, "CP-1");
    app.clock.advance(MINUTE);
    await send(kyiv, "CP-2");
    app.clock.advance(MINUTE);
    await clerk.client.login(clerk.login, PASSWORD);
    const recent = await find(clerk);
    expect(recent.map((o) => o.id)).to.deep.equal([kyiv.id, astana.id]);
    expect(recent.every((o) => o.lastUsedAt)).to.equal(true);
    // "а" matches all three: the one used before the others, then by name.
    const typed = (await find(clerk, "а")).map((o) => o.id);
    expect(typed.slice(0, 2)).to.deep.equal([kyiv.id, astana.id]);
    expect(typed).to.include(almaty.id);
    // Another organization's people have recents of their own.
    expect(await find(stranger)).to.deep.equal([]);
  });

  it("never his own organization, never a blocked one", async () => {
    const ids = (await find(clerk, "алматы")).map((o) => o.id);
    expect(ids).to.not.include(own.id);
    expect(ids).to.not.include(blocked.id);
  });
});
