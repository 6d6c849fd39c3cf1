// What a legal hold keeps (SPEC R5.4), counted as it is: a hold placed on an organization, a kind or
// a period covers every matching document without listing it, and says how many it keeps — the
// same "covers" that destruction obeys; released, it keeps none.
import { expect } from "chai";
import { startTestApp, type TestApp } from "../support/app.js";
import { invoiceFields, jsonDocument } from "../support/documents.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";

describe("legal holds count what they keep", () => {
  let app: TestApp;
  let officer: BuiltUser;
  let seller: { id: string; headOfficeId: string };

  before(async () => {
    app = await startTestApp();
    seller = await buildOrganization(app, { name: "Held LLP" });
    const buyer = await buildOrganization(app, { name: "Other LLP" });
    const third = await buildOrganization(app, { name: "Third LLP" });
    const clerk = await buildUser(app, [{ role: "clerk", organizationId: seller.id, branchId: seller.headOfficeId }]);
    officer = await buildUser(app, [{ role: "compliance_officer" }]);
    const register = (kind: string, to: string, n: string) =>
      clerk.client.post(
        "/api/v1/documents",
        jsonDocument({
          kind,
          recipient: { organizationId: to },
          ...(kind === "invoice" ? { fields: invoiceFields({ number: n }) } : { title: n }),
        }),
      );
    expect((await register("invoice", buyer.id, "H-1")).status).to.equal(201);
    expect((await register("arbitrary", buyer.id, "H-2")).status).to.equal(201);
    expect((await register("arbitrary", third.id, "H-3")).status).to.equal(201);
  });
  after(() => app.close());

  const place = (body: Record<string, unknown>) =>
    officer.client.post("/api/v1/retention/holds", { name: "Audit", reason: "Inspection order", ...body });

  it("a hold on an organization, or on a kind of its documents, counts the documents it covers", async () => {
    const org = await place({ scope: "organization", organizationId: seller.id });
    expect(org.status, JSON.stringify(org.body)).to.equal(201);
    expect(org.body.documents).to.equal(3);
    const kind = await place({ scope: "kind", organizationId: seller.id, kind: "arbitrary" });
    expect(kind.status, JSON.stringify(kind.body)).to.equal(201);
    expect(kind.body.documents).to.equal(2);
    const listed = (await officer.client.get("/api/v1/retention/holds")).body.items as Array<{
      id: string;
      documents: number;
    }>;
    expect(listed.find((h) => h.id === org.body.id)!.documents).to.equal(3);
    expect(listed.find((h) => h.id === kind.body.id)!.documents).to.equal(2);
    const released = await officer.client.post(`/api/v1/retention/holds/${kind.body.id}/release`, {
      reason: "Inspection closed",
    });
    expect(released.status, JSON.stringify(released.body)).to.equal(200);
    expect(released.body.documents).to.equal(0);
  });
});
