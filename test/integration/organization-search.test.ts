// Finding a counterparty (SPEC R1.1): by any part of its name in any case and script — Cyrillic,
// Kazakh and Ukrainian letters too, which SQLite's lower() leaves alone — without the quotes
// company names carry, and by the start of its BIN, IIN, EDRPOU or RNOKPP; on both databases.
import { expect } from "chai";
import { searchFold } from "../../server/domain/shared/text.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { buildOrganization } from "../support/factories.js";
import { validRnokpp } from "../support/ids.js";

describe("organization search", () => {
  let app: TestApp;
  const made: Record<string, { id: string; bin: string; edrpou: string | null; rnokpp: string | null }> = {};
  before(async () => {
    app = await startTestApp();
    made.romashka = await buildOrganization(app, { name: "ТОО «Ромашка»" });
    made.telecom = await buildOrganization(app, { name: "АО Қазақтелеком" });
    made.fedor = await buildOrganization(app, { name: "ИП Фёдоров" });
    made.acme = await buildOrganization(app, { name: "Acme LLP" });
    made.percent = await buildOrganization(app, { name: "Fund 100% Green_Energy" });
    made.ivanenko = await buildOrganization(app, {
      name: "ФОП Іваненко",
      country: "UA",
      kind: "sole_proprietor",
      personalId: validRnokpp(),
    });
    made.ukr = await buildOrganization(app, { name: 'ТОВ "Київ-Сервіс"', country: "UA" });
  });
  after(() => app.close());

  const find = async (q: string) =>
    ((await app.admin.get(`/api/v1/organizations?q=${encodeURIComponent(q)}`)).body.items as Array<{ id: string }>).map(
      (o) => o.id,
    );

  it("folds case in every script, ё to е, and ignores the quotes around a company's name", async () => {
    for (const q of ["ромашка", "РОМАШКА", "тоо ромашка", "«Ромашка»"])
      expect(await find(q), q).to.deep.equal([made.romashka.id]);
    for (const q of ["ҚАЗАҚ", "қазақтелеком", "Казақ"]) {
      const found = await find(q);
      if (q === "Казақ")
        expect(found, q).to.deep.equal([]); // к is not қ: letters are not merged
      else expect(found, q).to.deep.equal([made.telecom.id]);
    }
    expect(await find("федоров")).to.deep.equal([made.fedor.id]);
    expect(await find("ФЁДОРОВ")).to.deep.equal([made.fedor.id]);
    expect(await find("ІВАНЕНКО")).to.deep.equal([made.ivanenko.id]);
    expect(await find("київ-сервіс")).to.deep.equal([made.ukr.id]);
    expect(await find("ACME")).to.deep.equal([made.acme.id]);
  });

  it("takes % and _ as the characters they are, not as wildcards", async () => {
    expect(await find("100%")).to.deep.equal([made.percent.id]);
    expect(await find("green_energy")).to.deep.equal([made.percent.id]);
    expect(await find("%")).to.deep.equal([made.percent.id]);
    expect(await find("n_e")).to.deep.equal([made.percent.id]);
  });

  it("finds a participant by the start of its BIN, EDRPOU or RNOKPP", async () => {
    expect(await find(made.romashka.bin.slice(0, 12))).to.deep.equal([made.romashka.id]);
    expect(await find(made.romashka.bin.slice(0, 8))).to.include(made.romashka.id);
    expect(await find(made.ukr.edrpou!.slice(0, 6))).to.include(made.ukr.id);
    expect(await find(made.ivanenko.rnokpp!.slice(0, 7))).to.include(made.ivanenko.id);
    expect(await find(made.romashka.bin.slice(1, 9))).to.not.include(made.romashka.id); // a prefix, not any digits
  });

  it("keeps the folded name with a renamed organization", async () => {
    const r = await app.admin.patch(`/api/v1/organizations/${made.acme.id}`, { name: "ТОО Эйкми" });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(await find("эйкми")).to.deep.equal([made.acme.id]);
    expect(await find("acme")).to.deep.equal([]);
    expect(searchFold("  ТОО   «Ёлка»  ")).to.equal("тоо елка");
  });
});
