// Powers of attorney (SPEC R1.6): the head gives one, signed with his first-head certificate
// (`openssl cms -sign`); it lets an employee whose certificate carries no right of signature sign
// the kinds it names, while it is valid and until it is revoked.
import { expect } from "chai";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { jsonDocument, invoiceFields, pdf } from "../support/documents.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import { signerPool, type TestSigner } from "../support/pki.js";

describe("powers of attorney", () => {
  let app: TestApp;
  let seller: Awaited<ReturnType<typeof buildOrganization>>;
  let buyerId: string;
  let head: BuiltUser, employee: BuiltUser, clerk: BuiltUser;
  let headKey: TestSigner, employeeKey: TestSigner;
  const keys = signerPool();
  const key = keys.make;

  before(async () => {
    app = await startTestApp();
    seller = await buildOrganization(app, { name: "Attorney LLP" });
    buyerId = (await buildOrganization(app, { name: "Buyer of Attorney LLP" })).id;
    head = await buildUser(app, [{ role: "head", organizationId: seller.id, branchId: seller.headOfficeId }]);
    employee = await buildUser(app, [{ role: "signer", organizationId: seller.id, branchId: seller.headOfficeId }]);
    clerk = await buildUser(app, [{ role: "clerk", organizationId: seller.id, branchId: seller.headOfficeId }]);
    headKey = key({ cn: "Head", iin: head.iin, bin: seller.bin, roles: ["legal_entity", "first_head"] });
    // The organization's certificate of an employee: legal entity + employee, no right of signature.
    employeeKey = key({ cn: "Employee", iin: employee.iin, bin: seller.bin, roles: ["legal_entity", "employee"] });
  });
  after(async () => {
    keys.removeAll();
    await app.close();
  });

  async function draft(kind: "invoice" | "contract" = "invoice") {
    const bytes = pdf(`poa ${Math.random()}`);
    const r = await clerk.client.post(
      "/api/v1/documents",
      jsonDocument(
        {
          kind,
          recipient: { organizationId: buyerId },
          fields:
            kind === "invoice"
              ? invoiceFields({ number: `P-${Math.random().toString(36).slice(2, 8)}` })
              : { number: `C-${Math.random().toString(36).slice(2, 8)}`, date: "2026-03-01" },
        },
        bytes,
      ),
    );
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    return { id: r.body.id as string, bytes };
  }
  const sign = (who: BuiltUser, k: TestSigner, d: { id: string; bytes: Buffer }) =>
    who.client.post(`/api/v1/documents/${d.id}/signatures`, { cms: k.sign(d.bytes).toString("base64") });
  const input = (o: Record<string, unknown> = {}) => ({
    attorneyUserId: employee.id,
    kinds: ["invoice", "waybill"],
    validFrom: "2026-03-01T00:00:00Z",
    validTo: "2026-12-31T23:59:59Z",
    ...o,
  });
  async function give(by: BuiltUser, k: TestSigner, o: Record<string, unknown> = {}, signOver?: Buffer) {
    const b = await by.client.post(`/api/v1/organizations/${seller.id}/powers-of-attorney/body`, input(o));
    if (b.status !== 200) return b;
    return by.client.post(`/api/v1/organizations/${seller.id}/powers-of-attorney`, {
      ...input(o),
      cms: k.sign(signOver ?? Buffer.from(b.body.base64, "base64")).toString("base64"),
    });
  }

  it("without a power of attorney, an employee's certificate cannot sign for the organization", async () => {
    const r = await sign(employee, employeeKey, await draft());
    expect(r.status).to.equal(422);
    expect(r.body.failures.map((f: { check: string }) => f.check)).to.deep.equal(["signer_authority"]);
  });

  it("the head gives one signed with his first-head certificate; it lets the employee sign the kinds it names, not others", async () => {
    const given = await give(head, headKey);
    expect(given.status, JSON.stringify(given.body)).to.equal(201);
    expect(given.body).to.include({ status: "active", validTo: "2026-12-31T23:59:59.000Z" });
    expect(given.body.attorney).to.include({ userId: employee.id, iin: employee.iin });
    expect(given.body.kinds).to.deep.equal(["invoice", "waybill"]);
    const audited = (await app.db("audit_log").where({ action: "poa.create", target_id: given.body.id }).first())!;
    expect(audited.actor_id).to.equal(head.id);

    const ok = await sign(employee, employeeKey, await draft("invoice"));
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    const authority = ok.body.signature.validation.checks.find(
      (c: { check: string }) => c.check === "signer_authority",
    );
    expect(authority.ok).to.equal(true);
    expect(authority.detail).to.match(new RegExp(`acting by power of attorney ${given.body.id}`));
    const contract = await sign(employee, employeeKey, await draft("contract"));
    expect(contract.status).to.equal(422);
    expect(contract.body.failures.map((f: { check: string }) => f.check)).to.deep.equal(["signer_authority"]);

    // Visible to the attorney and the organization; the list filters by attorney.
    const list = await employee.client.get(
      `/api/v1/organizations/${seller.id}/powers-of-attorney?attorneyUserId=${employee.id}`,
    );
    expect(list.body.items.map((p: { id: string }) => p.id)).to.include(given.body.id);

    // Revoked: signing under it ends; revoking twice is a conflict; a clerk cannot revoke.
    expect(
      (await clerk.client.post(`/api/v1/powers-of-attorney/${given.body.id}/revocation`, { reason: "not mine" }))
        .status,
    ).to.equal(403);
    const revoked = await head.client.post(`/api/v1/powers-of-attorney/${given.body.id}/revocation`, {
      reason: "employee dismissed",
    });
    expect(revoked.status).to.equal(200);
    expect(revoked.body).to.include({ status: "revoked", revocationReason: "employee dismissed" });
    expect(
      (await head.client.post(`/api/v1/powers-of-attorney/${given.body.id}/revocation`, { reason: "again" })).status,
    ).to.equal(409);
    expect((await sign(employee, employeeKey, await draft("invoice"))).status).to.equal(422);
    expect(await app.db("audit_log").where({ action: "poa.revoke", target_id: given.body.id }).first())!.to.not.equal(
      undefined,
    );
  });

  it("only the head gives one, with his own first-head certificate over exactly its body", async () => {
    expect((await give(clerk, headKey)).status).to.equal(403);
    const notFirstHead = await give(head, key({ iin: head.iin, bin: seller.bin, roles: ["legal_entity", "signer"] }));
    expect(notFirstHead.status).to.equal(422);
    expect(notFirstHead.body.failures.map((f: { check: string }) => f.check)).to.deep.equal(["signer_authority"]);
    const someoneElses = await give(head, key({ iin: clerk.iin, bin: seller.bin }));
    expect(someoneElses.body.failures.map((f: { check: string }) => f.check)).to.deep.equal(["signer_identity"]);
    const otherBody = await give(head, headKey, {}, Buffer.from('{"format":"something else"}'));
    expect(otherBody.status).to.equal(422);
    expect(otherBody.body.code).to.equal("digest_mismatch");
    expect((await give(head, headKey, { validTo: "2026-01-01T00:00:00Z" })).body.code).to.equal("validity_invalid");
    expect(await app.db("powers_of_attorney").where({ status: "active" })).to.have.length(0);
  });

  it("one that starts later, or for another branch, does not cover a signature now", async () => {
    const later = await give(head, headKey, { validFrom: "2026-06-01T00:00:00Z" });
    expect(later.status, JSON.stringify(later.body)).to.equal(201);
    const branch = await app.admin.post(`/api/v1/organizations/${seller.id}/branches`, {
      name: "Far Branch",
      parentId: seller.headOfficeId,
    });
    expect(branch.status, JSON.stringify(branch.body)).to.equal(201);
    const elsewhere = await give(head, headKey, {
      branchId: branch.body.id,
      validFrom: "2026-03-01T00:00:00Z",
      validTo: "2026-11-30T00:00:00Z",
    });
    expect(elsewhere.status).to.equal(201);
    const d = await draft("invoice");
    expect((await sign(employee, employeeKey, d)).status).to.equal(422);
    app.clock.set("2026-06-02T09:00:00.000Z");
    await employee.client.login(employee.login, PASSWORD); // sessions did not survive three months
    expect((await sign(employee, employeeKey, d)).status).to.equal(201);
  });
});
