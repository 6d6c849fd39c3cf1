// The operator's monthly acts of services rendered (SPEC R4.9, R2.6; 000 §4.8, 004 §3.5–3.6): each
// ended month of a term invoice gives one act for its share of the price, with the invoice's VAT,
// exchanged as the operator's act of completed works; received and left unanswered, it is accepted
// by silence in the recipient's calendar.
import { expect } from "chai";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import { periodEnd } from "../../server/domain/shared/zones.js";
import { Hsm } from "../../server/pki/hsm.js";
import { certifyKey, testHsm } from "../support/hsm.js";

describe("the operator's acts of services rendered", () => {
  let app: TestApp;
  let operator: BuiltUser, payerHead: BuiltUser;
  let payer: Awaited<ReturnType<typeof buildOrganization>>;

  before(async () => {
    const t = await testHsm();
    app = await startTestApp({ ...t.config, billing: { serviceActs: true } });
    const operatorOrg = await buildOrganization(app, { name: "Qujat Operator LLP" });
    // The operator seals its acts with its HSM key (R3.1): sent with no one signing by hand.
    const hsm = await Hsm.open({ module: t.module, tokenLabel: t.tokenLabel, pin: t.pin, lanes: 1 });
    try {
      await certifyKey(
        hsm,
        `seal-${operatorOrg.bin}`,
        `CN=Qujat Operator seal, OU=BIN${operatorOrg.bin}, O=Qujat Operator LLP, C=KZ`,
      );
    } finally {
      await hsm.close();
    }
    await app.deps.signer.hsm!.reloadKeys();
    const sealed = await app.admin.put(`/api/v1/organizations/${operatorOrg.id}/seal`, {
      keyLabel: `seal-${operatorOrg.bin}`,
    });
    expect(sealed.status, JSON.stringify(sealed.body)).to.equal(200);
    app.config.billing.operatorOrganizationId = operatorOrg.id;
    payer = await buildOrganization(app, { name: "Paying Participant LLP" });
    payerHead = await buildUser(app, [{ role: "head", organizationId: payer.id, branchId: payer.headOfficeId }]);
    operator = await buildUser(app, [{ role: "billing_operator" }]);
  });
  after(() => app.close());

  async function day(iso: string) {
    app.clock.set(iso);
    const r = await app.deps.jobs.runNow("billing.daily");
    expect(r.outcome, r.error).to.equal("success");
    for (const u of [operator, payerHead]) await u.client.login(u.login, PASSWORD);
    return r.result as Record<string, number>;
  }

  it("issues March's act on April 1st for its days' share, sends it as the operator's act, and it is accepted by silence after the recipient's period", async () => {
    const plan = (
      await operator.client.post("/api/v1/billing/plans", {
        code: "year",
        name: "Year",
        price: "12000.00",
        currency: "KZT",
      })
    ).body;
    const sub = await operator.client.post("/api/v1/billing/subscriptions", {
      organizationId: payer.id,
      planId: plan.id,
    });
    expect(sub.body.invoice).to.include({ subtotal: "12000.00", vatPercent: "16" });
    // The invoice is published in the background after the subscription; let that finish first.
    await app.deps.invoicePublisher();
    expect((await day("2026-03-31T09:00:00.000Z")).serviceActs).to.equal(0); // March has not ended
    const april = await day("2026-04-01T09:00:00.000Z");
    expect(april.serviceActs).to.equal(1);
    const [act] = await app.db("service_acts").where({ invoice_id: sub.body.invoice.id });
    // 2026-03-02 … 2026-03-31: 30 of the term's 365 days. 12,000.00 × 30/365 = 986.30; VAT 16 % = 157.81.
    expect(act).to.include({ period_from: "2026-03-02", period_to: "2026-04-01", vat_percent: "16" });
    expect([String(act.subtotal_minor), String(act.vat_minor), String(act.total_minor)]).to.deep.equal([
      "98630",
      "15781",
      "114411",
    ]);
    expect(act.document_id).to.be.a("string");
    const doc = (await app.db("documents").where({ id: act.document_id! }).first())!;
    expect(doc).to.include({ kind: "act_of_work", status: "sent", recipient_organization_id: payer.id });
    expect(JSON.parse(doc.fields)).to.include({ total: "1144.11", periodFrom: "2026-03-02", periodTo: "2026-03-31" });
    expect((await day("2026-04-01T10:00:00.000Z")).serviceActs).to.equal(0); // once

    // Received by the participant; unanswered, it is accepted by silence when its period ends.
    const shown = await payerHead.client.get(`/api/v1/documents/${doc.id}`);
    expect(shown.status).to.equal(200);
    const receipt = await payerHead.client.post(`/api/v1/documents/${doc.id}/receipt`, {
      contentSha256: shown.body.content.sha256,
    });
    expect(receipt.status, JSON.stringify(receipt.body)).to.equal(200);
    const due = periodEnd(app.clock.now(), "calendar", 7, new Set(), "Asia/Almaty");
    expect((await app.db("documents").where({ id: doc.id }).first())!.respond_by).to.equal(due.toISOString());
    app.clock.set(new Date(due.getTime() + 60_000));
    await app.deps.jobs.runNow("documents.deemedAcceptance");
    expect((await app.db("documents").where({ id: doc.id }).first())!.status).to.equal("accepted_by_silence");
  });
});
