// Names made only of invisible characters, or carrying control characters, are refused with a
// clear 400 and nothing is written; real names with joiners inside them are kept as given.
import { expect } from "chai";
import { startTestApp, type TestApp } from "../support/app.js";
import { buildOrganization, buildUser } from "../support/factories.js";
import { documentForm, pdf } from "../support/documents.js";
import { validBin } from "../support/ids.js";

const BAD = [
  "\u0000",
  "\u0000\u0000\u0000",
  "\u200b\u200b",
  "\u200d",
  "\ufeff",
  " \u2060 ",
  "Name\u0000Tail",
  "A\u0007B",
];

describe("names people read", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  const count = async (table: string) => Number((await app.db(table).count({ c: "*" }).first())!.c);

  it("an organization, a user and a document title of nothing visible or with control characters: 400, nothing written", async () => {
    const seller = await buildOrganization(app, { name: "Seller LLP" });
    const buyer = await buildOrganization(app, { name: "Buyer LLP" });
    const clerk = await buildUser(app, [{ role: "clerk", organizationId: seller.id, branchId: seller.headOfficeId }]);
    const before = { orgs: await count("organizations"), users: await count("users"), docs: await count("documents") };
    for (const name of BAD) {
      const org = await app.admin.post("/api/v1/organizations", { name, bin: validBin(), country: "KZ" });
      expect(org.status, `${JSON.stringify(name)}: ${JSON.stringify(org.body)}`).to.equal(400);
      expect(org.body.code).to.equal("validation_failed");
      const user = await app.admin.post("/api/v1/users", {
        login: `n${Math.random().toString(36).slice(2, 8)}`,
        email: "n@example.kz",
        fullName: name,
        password: "Str0ng!Passw0rd",
        roles: [],
      });
      expect(user.status, JSON.stringify(name)).to.equal(400);
      const doc = await clerk.client.upload(
        "/api/v1/documents",
        documentForm(
          { kind: "letter", title: name, recipient: { organizationId: buyer.id } },
          { bytes: pdf(), name: "l.pdf", type: "application/pdf" },
        ),
      );
      expect(doc.status, JSON.stringify(name)).to.equal(400);
    }
    expect({
      orgs: await count("organizations"),
      users: await count("users"),
      docs: await count("documents"),
    }).to.deep.equal(before);
  });

  it("names with joiners or soft hyphens inside visible text are kept as given", async () => {
    for (const name of ["ТОО «Алма\u00adты Строй»", "Family 👨\u200d👩\u200d👧 LLP", "O\u2019Brien & Co"]) {
      const org = await app.admin.post("/api/v1/organizations", { name, bin: validBin(), country: "KZ" });
      expect(org.status, JSON.stringify(org.body)).to.equal(201);
      expect(org.body.name).to.equal(name);
    }
  });
});
