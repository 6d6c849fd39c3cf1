// A refused registration keeps nothing (SPEC R2.1, R4.3, R1.9): whatever refuses it — the quota or
// the block found while the registration is written, one at a time or racing — the files under
// blobs/ are the same afterwards, and bytes another document already holds are never touched.
import { expect } from "chai";
import { readdirSync, statSync } from "node:fs";
import path from "node:path";
import { startTestApp, type TestApp } from "../support/app.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import { documentForm, invoiceFields, pdf, sha256 } from "../support/documents.js";

describe("refused registrations keep no bytes", () => {
  let app: TestApp;
  let operator: BuiltUser;
  let buyer: { id: string };
  let n = 0;

  /** every stored blob and staged file under blobs/ */
  function blobFiles(): string[] {
    const out: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const p = path.join(dir, name);
        if (statSync(p).isDirectory()) walk(p);
        else out.push(path.relative(path.join(app.dataDir, "blobs"), p));
      }
    };
    walk(path.join(app.dataDir, "blobs"));
    return out.sort();
  }

  before(async () => {
    app = await startTestApp();
    operator = await buildUser(app, [{ role: "billing_operator" }]);
    buyer = await buildOrganization(app, { name: "Buyer LLP" });
  });
  after(() => app.close());

  async function sellerOnPlan(documents: number) {
    const seller = await buildOrganization(app, { name: `Seller ${++n}` });
    const clerk = await buildUser(app, [{ role: "clerk", organizationId: seller.id, branchId: seller.headOfficeId }]);
    const plan = await operator.client.post("/api/v1/billing/plans", {
      code: `q${n}`,
      name: `Q${n}`,
      price: "1.00",
      currency: "KZT",
      quotas: { documents },
    });
    expect(plan.status, JSON.stringify(plan.body)).to.equal(201);
    const sub = await operator.client.post("/api/v1/billing/subscriptions", {
      organizationId: seller.id,
      planId: plan.body.id,
    });
    expect(sub.status, JSON.stringify(sub.body)).to.equal(201);
    return { seller, clerk };
  }

  const register = (clerk: BuiltUser, content = pdf(`refused ${Math.random()}`)) =>
    clerk.client.upload(
      "/api/v1/documents",
      documentForm(
        { kind: "invoice", recipient: { organizationId: buyer.id }, fields: invoiceFields({ number: `R-${++n}` }) },
        { bytes: content, name: "r.pdf", type: "application/pdf" },
      ),
    );

  it("over quota, one at a time: 402 and no file more under blobs/", async () => {
    const { clerk } = await sellerOnPlan(1);
    expect((await register(clerk)).status).to.equal(201);
    const before = blobFiles();
    for (let i = 0; i < 3; i++) {
      const r = await register(clerk);
      expect(r.status, JSON.stringify(r.body)).to.equal(402);
      expect(r.body.code).to.equal("quota_exceeded");
    }
    expect(blobFiles()).to.deep.equal(before);
  });

  it("over quota, racing: only the registrations that were kept left files", async () => {
    const { clerk } = await sellerOnPlan(2);
    const before = blobFiles();
    const answers = await Promise.all(Array.from({ length: 8 }, () => register(clerk)));
    const kept = answers.filter((r) => r.status === 201);
    expect(kept).to.have.length(2);
    expect(answers.filter((r) => r.status === 402)).to.have.length(6);
    const expected = [...before];
    for (const r of kept) {
      const h = r.body.content.sha256 as string;
      expected.push(path.join(h.slice(0, 2), h.slice(2, 4), h));
    }
    expect(blobFiles()).to.deep.equal(expected.sort());
  });

  it("the sender blocked: 409 and no file more; bytes another document holds stay", async () => {
    const { seller, clerk } = await sellerOnPlan(100);
    const shared = pdf(`shared ${Math.random()}`);
    const first = await register(clerk, shared);
    expect(first.status).to.equal(201);
    const start = blobFiles();
    // The clerk's requests keep coming while the organization is blocked.
    const block = app.admin.post(`/api/v1/organizations/${seller.id}/block`, { reason: "False registration data" });
    const racing = await Promise.all(Array.from({ length: 6 }, () => register(clerk)));
    expect((await block).status).to.equal(200);
    // Of the racing ones, each refused left nothing: the new files are exactly the kept documents'.
    for (const r of racing) expect([201, 409], JSON.stringify(r.body)).to.include(r.status);
    const kept = racing.filter((r) => r.status === 201).map((r) => r.body.content.sha256 as string);
    expect(blobFiles()).to.deep.equal(
      [...start, ...kept.map((h) => path.join(h.slice(0, 2), h.slice(2, 4), h))].sort(),
    );

    const before = blobFiles();
    const refused = [await register(clerk), await register(clerk, shared)];
    for (const r of refused) {
      expect(r.status, JSON.stringify(r.body)).to.equal(409);
      expect(r.body.code).to.equal("sender_blocked");
    }
    expect(blobFiles()).to.deep.equal(before);
    // The same bytes as a kept document: still there and still served.
    const again = await clerk.client.bytes(`/api/v1/documents/${first.body.id}/content`);
    expect(again.status).to.equal(200);
    expect(sha256(again.body)).to.equal(sha256(shared));
  });
});
