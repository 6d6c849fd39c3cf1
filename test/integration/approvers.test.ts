// Approval routes for ordinary roles (SPEC R2.5): the route's author — a head or an accountant, not
// only an administrator — is offered exactly the people who may approve the document (active, with
// a writing role over the sending branch), and a route naming anyone else is refused with that
// person's name and what he lacks.
import { expect } from "chai";
import { startTestApp, type TestApp } from "../support/app.js";
import { invoiceFields, jsonDocument } from "../support/documents.js";
import { buildBranch, buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";

describe("whom an approval route may name", () => {
  let app: TestApp;
  let head: BuiltUser;
  let docId: string;
  const people: Record<string, BuiltUser> = {};

  before(async () => {
    app = await startTestApp();
    const seller = await buildOrganization(app, { name: "Route LLP" });
    const buyer = await buildOrganization(app, { name: "Buyer LLP" });
    const north = await buildBranch(app, seller.id, seller.headOfficeId, "North");
    const south = await buildBranch(app, seller.id, seller.headOfficeId, "South");
    const at = (role: string, branchId = seller.headOfficeId, org = seller.id) =>
      buildUser(app, [{ role, organizationId: org, branchId }]);
    head = await at("head", north.id);
    people.accountantNorth = await at("accountant", north.id);
    people.clerkHeadOffice = await at("clerk");
    people.signerSouth = await at("signer", south.id); // another branch: not over North
    people.viewer = await at("viewer", north.id); // no writing role
    people.otherOrg = await at("head", buyer.headOfficeId, buyer.id);
    people.disabled = await at("accountant", north.id);
    expect((await app.admin.post(`/api/v1/users/${people.disabled.id}/disable`, {})).status).to.equal(200);
    const d = await head.client.post(
      "/api/v1/documents",
      jsonDocument({
        kind: "invoice",
        branchId: north.id,
        recipient: { organizationId: buyer.id },
        fields: invoiceFields({ number: "R-1" }),
      }),
    );
    expect(d.status, JSON.stringify(d.body)).to.equal(201);
    docId = d.body.id;
  });
  after(() => app.close());

  it("a head who is no administrator is offered exactly the active writers over the sending branch", async () => {
    const r = await head.client.get(`/api/v1/documents/${docId}/approvers`);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    const ids = r.body.items.map((u: { id: string }) => u.id).sort();
    expect(ids).to.deep.equal([head.id, people.accountantNorth.id, people.clerkHeadOffice.id].sort());
    const me = r.body.items.find((u: { id: string }) => u.id === head.id);
    expect(me.roles).to.deep.equal(["head"]);
  });

  it("a route naming someone else is refused with his name and the missing right; nothing changes", async () => {
    for (const who of [people.signerSouth, people.viewer, people.otherOrg, people.disabled]) {
      const r = await head.client.post(`/api/v1/documents/${docId}/approval`, {
        steps: [{ approvers: [people.accountantNorth.id, who.id] }],
      });
      expect(r.status).to.equal(400);
      expect(r.body.code).to.equal("approver_not_eligible");
      const name = (await app.db("users").where({ id: who.id }).first("full_name"))!.full_name as string;
      expect(r.body.detail)
        .to.include(name)
        .and.match(/writing role/);
      expect(r.body.detail).to.not.include(
        (await app.db("users").where({ id: people.accountantNorth.id }).first("full_name"))!.full_name,
      );
      expect(r.body.names).to.deep.equal([name]);
    }
    expect((await app.db("documents").where({ id: docId }).first("status"))!.status).to.equal("draft");
    const ok = await head.client.post(`/api/v1/documents/${docId}/approval`, {
      steps: [{ approvers: [people.accountantNorth.id, people.clerkHeadOffice.id] }],
    });
    expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
  });

  it("an approver's queue holds what waits for his own decision, with its count; a decision takes it out", async () => {
    const queue = async (u: BuiltUser) => ({
      count: (await u.client.get("/api/v1/queues")).body.approval as number,
      ids: ((await u.client.get("/api/v1/documents?box=approval")).body.items as Array<{ id: string }>).map(
        (d) => d.id,
      ),
    });
    expect(await queue(people.accountantNorth)).to.deep.equal({ count: 1, ids: [docId] });
    expect(await queue(people.clerkHeadOffice)).to.deep.equal({ count: 1, ids: [docId] });
    expect(await queue(head)).to.deep.equal({ count: 0, ids: [] }); // routed it, is not on it
    const decided = await people.accountantNorth.client.post(`/api/v1/documents/${docId}/approval/decisions`, {
      decision: "approve",
    });
    expect(decided.status, JSON.stringify(decided.body)).to.equal(200);
    expect(await queue(people.accountantNorth)).to.deep.equal({ count: 0, ids: [] });
    expect(await queue(people.clerkHeadOffice)).to.deep.equal({ count: 1, ids: [docId] }); // all must decide
  });

  it("someone of another organization cannot ask: the document is not found", async () => {
    const r = await people.otherOrg.client.get(`/api/v1/documents/${docId}/approvers`);
    expect(r.status).to.equal(404);
  });
});
