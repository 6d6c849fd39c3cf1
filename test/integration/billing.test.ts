// Billing end to end (SPEC R4, R6.2) over HTTP against a real database and a real SMTP server: 14
// months of the test clock in which a branch subscribes, uses its quota, is invoiced, pays late, is
// notified, blocked from sending (still reading its inbox), pays, is unblocked at once, renews, has
// a plan change applied on the 1st after a week's notice, and a closed plan migrates its subscribers.
import { expect } from "chai";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { auditCount, buildBranch, buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import { invoiceFields, jsonDocument, pdf } from "../support/documents.js";
import { removeSigner, testSigner, type TestSigner } from "../support/pki.js";
import { certifyKey, testHsm } from "../support/hsm.js";
import { Hsm } from "../../server/pki/hsm.js";

type Org = { id: string; headOfficeId: string; name: string; bin: string };

describe("billing over 14 months", () => {
  let app: TestApp;
  let operatorOrg: Org, customer: Org, other: Org, partner: Org;
  let branch: { id: string };
  let operator: BuiltUser,
    accountant: BuiltUser,
    orgAdmin: BuiltUser,
    head: BuiltUser,
    clerk: BuiltUser,
    otherAdmin: BuiltUser,
    partnerClerk: BuiltUser;
  let headKey: TestSigner;
  let standard: any, business: any, legacy: any;
  const people = () => [operator, accountant, orgAdmin, head, clerk, otherAdmin, partnerClerk];
  const email = (u: BuiltUser) => `${u.login}@example.kz`;

  async function travel(day: string) {
    app.clock.set(`${day}T09:00:00.000Z`);
    for (const u of people()) await u.client.login(u.login, PASSWORD);
    await app.admin.login("root", PASSWORD);
  }
  /** The daily job, then the outbox worker: what a day of the appliance does. */
  async function day(date: string) {
    await travel(date);
    const run = await app.deps.jobs.runNow("billing.daily");
    expect(run.outcome, run.error).to.equal("success");
    await app.deps.outbox.drain();
    return run.result as Record<string, number>;
  }
  const mails = (topic: string, u?: BuiltUser) =>
    app.smtp.messages.filter((m) => m.topic === topic && (!u || m.to.includes(email(u))));
  const subscriptionOf = async (id: string) => (await operator.client.get(`/api/v1/billing/subscriptions/${id}`)).body;
  async function register(by: BuiltUser, metadata: Record<string, unknown> = {}) {
    const bytes = pdf(`doc ${Math.random()}`);
    const r = await by.client.post(
      "/api/v1/documents",
      jsonDocument(
        {
          kind: "invoice",
          branchId: branch.id,
          recipient: { organizationId: partner.id },
          fields: invoiceFields({ number: `B-${Math.random().toString(36).slice(2, 8)}` }),
          ...metadata,
        },
        bytes,
      ),
    );
    return { r, bytes };
  }

  before(async () => {
    const t = await testHsm();
    app = await startTestApp(t.config);
    operatorOrg = await buildOrganization(app, { name: "Qujat Operator LLP" });
    // The operator seals its invoices with its HSM key (R3.1): they are sent with no one signing by hand.
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
    expect(
      (await app.admin.put(`/api/v1/organizations/${operatorOrg.id}/seal`, { keyLabel: `seal-${operatorOrg.bin}` }))
        .status,
    ).to.equal(200);
    customer = await buildOrganization(app, { name: "Customer JSC" });
    other = await buildOrganization(app, { name: "Other LLP" });
    partner = await buildOrganization(app, { name: "Partner LLP" });
    // SPEC R4.9: the operator's invoices are its documents.
    app.config.billing.operatorOrganizationId = operatorOrg.id;
    branch = await buildBranch(app, customer.id, customer.headOfficeId, "Karaganda");
    operator = await buildUser(app, [{ role: "billing_operator" }]);
    accountant = await buildUser(app, [{ role: "accountant", organizationId: customer.id, branchId: branch.id }]);
    orgAdmin = await buildUser(app, [
      { role: "org_admin", organizationId: customer.id, branchId: customer.headOfficeId },
    ]);
    head = await buildUser(app, [{ role: "head", organizationId: customer.id, branchId: customer.headOfficeId }]);
    clerk = await buildUser(app, [{ role: "clerk", organizationId: customer.id, branchId: branch.id }]);
    otherAdmin = await buildUser(app, [{ role: "org_admin", organizationId: other.id, branchId: other.headOfficeId }]);
    partnerClerk = await buildUser(app, [
      { role: "clerk", organizationId: partner.id, branchId: partner.headOfficeId },
    ]);
    await buildUser(app, [{ role: "clerk", organizationId: operatorOrg.id, branchId: operatorOrg.headOfficeId }]);
    // Each person's language (SPEC R6.2): the accountant reads Kazakh, the head English, the rest Russian.
    expect((await accountant.client.patch("/api/v1/me", { language: "kk" })).status).to.equal(200);
    expect((await head.client.patch("/api/v1/me", { language: "en" })).status).to.equal(200);
    expect((await otherAdmin.client.patch("/api/v1/me", { language: "uk" })).status).to.equal(200);
    headKey = testSigner({ cn: "Customer Head", iin: head.iin, bin: customer.bin });

    const plan = async (body: Record<string, unknown>) => {
      const r = await operator.client.post("/api/v1/billing/plans", body);
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      return r.body;
    };
    standard = await plan({
      code: "standard",
      name: "Standard",
      price: "120000.00",
      currency: "KZT",
      quotas: { documents: 3, storageBytes: null, users: 20 },
    });
    business = await plan({
      code: "business",
      name: "Business",
      price: "240000.00",
      currency: "KZT",
      quotas: { documents: 100 },
    });
    legacy = await plan({
      code: "legacy",
      name: "Legacy",
      price: "60000.00",
      currency: "KZT",
      quotas: { documents: 10 },
    });
  });
  after(async () => {
    removeSigner(headKey);
    await app.close();
  });

  it("done when: subscribe, quota, invoice, late payment, notice, block (inbox readable), payment lifts it at once, plan change on the 1st, closed plan migrates, renewal — every e-mail through SMTP", async function () {
    this.timeout(180_000);
    // ---- 2026-03-02: the branch subscribes; the first invoice is issued, e-mailed and sent as a document.
    await travel("2026-03-02");
    const sub = await operator.client.post("/api/v1/billing/subscriptions", {
      organizationId: customer.id,
      branchId: branch.id,
      planId: standard.id,
    });
    expect(sub.status, JSON.stringify(sub.body)).to.equal(201);
    expect(sub.body).to.include({ status: "active", periodStart: "2026-03-02", periodEnd: "2027-03-02" });
    const first = sub.body.invoice;
    // SPEC R4.1: prices exclude VAT (16 %); 7 calendar days to pay.
    expect(first).to.include({
      subtotal: "120000.00",
      vat: "19200.00",
      total: "139200.00",
      currency: "KZT",
      dueOn: "2026-03-09",
      status: "issued",
    });
    expect(first.number).to.match(/^QJ-2026-\d{6}$/);
    const otherSub = await operator.client.post("/api/v1/billing/subscriptions", {
      organizationId: other.id,
      planId: legacy.id,
      paymentTerms: "prepaid",
    });
    expect(otherSub.status, JSON.stringify(otherSub.body)).to.equal(201);
    // Prepaid: 5 banking days (Mon 2 March → Mon 9 March).
    expect(otherSub.body.invoice.dueOn).to.equal("2026-03-09");
    // Publishing started when each subscription answered; one more run finds nothing left.
    await app.deps.invoicePublisher();
    expect(await app.deps.invoicePublisher()).to.deep.equal({ published: 0, failed: 0 });
    expect(Number((await app.db("invoices").whereNull("document_id").count({ n: "*" }).first())!.n)).to.equal(0);
    await app.deps.outbox.drain();
    const issuedKk = mails("billing.invoice_issued", accountant);
    expect(issuedKk).to.have.length(1);
    expect(issuedKk[0].subject).to.equal(`№ ${first.number} шот ұсынылды`);
    expect(issuedKk[0].language).to.equal("kk");
    expect(mails("billing.invoice_issued", head)[0].subject).to.equal(`Invoice No. ${first.number} issued`);
    expect(mails("billing.invoice_issued", orgAdmin)[0].subject).to.equal(`Выставлен счёт № ${first.number}`);
    expect(mails("billing.invoice_issued", clerk)).to.have.length(0); // billing notices go to administrators, heads and accountants
    expect(mails("billing.invoice_issued", otherAdmin)[0].subject).to.match(/^Виставлено рахунок/);
    // The invoice document arrived in the customer's inbox from the operator, as an ordinary document.
    const invoiceDoc = (await operator.client.get(`/api/v1/billing/invoices/${first.id}`)).body.documentId;
    expect(invoiceDoc).to.be.a("string");
    const inbox = (await accountant.client.get("/api/v1/documents?box=inbox")).body.items;
    expect(inbox.map((d: any) => d.id)).to.include(invoiceDoc);
    expect(mails("document.received", accountant).map((m) => m.subject)).to.deep.equal([
      `Құжат келді: Invoice ${first.number}`,
    ]);

    // ---- The quota: 3 outgoing documents this period; the 4th is 402 with the plan and the use.
    for (let i = 0; i < 3; i++) expect((await register(clerk)).r.status).to.equal(201);
    const over = await register(clerk);
    expect(over.r.status).to.equal(402);
    expect(over.r.headers.get("content-type")).to.match(/application\/problem\+json/);
    expect(over.r.body).to.deep.include({ code: "quota_exceeded", quota: "documents", limit: 3 });
    expect(over.r.body.plan).to.include({ code: "standard" });
    expect(over.r.body.usage).to.include({ documents: 3 });
    expect(
      Number((await app.db("documents").where({ sender_branch_id: branch.id }).count({ n: "*" }).first())!.n),
    ).to.equal(3);
    const usage = await accountant.client.get(
      `/api/v1/billing/usage?organizationId=${customer.id}&branchId=${branch.id}`,
    );
    expect(usage.body).to.include({ outgoingDocuments: 3, documents: 3 });
    expect(usage.body.activeUsers).to.equal(2);

    // ---- 2026-03-10: the day after the due date, the overdue notice.
    let r = await day("2026-03-10");
    expect(r.overdueNotices).to.equal(2);
    expect(mails("billing.overdue_notice", accountant)[0].subject).to.equal(
      `№ ${first.number} шоттың мерзімі өтті: бұғаттау 2026-03-13`,
    );
    expect(mails("billing.overdue_notice", head)[0].text).to.include("Incoming documents stay readable");
    const draft = await register(clerk, { direction: "internal", recipient: { branchId: customer.headOfficeId } });
    // not yet blocked (but over the quota? internal documents are not outgoing transactions)
    expect(draft.r.status, JSON.stringify(draft.r.body)).to.equal(201);
    const draft2 = await register(clerk, { direction: "internal", recipient: { branchId: customer.headOfficeId } });
    const signedBefore = await head.client.post(`/api/v1/documents/${draft.r.body.id}/signatures`, {
      cms: headKey.sign(draft.bytes).toString("base64"),
    });
    expect(signedBefore.status, JSON.stringify(signedBefore.body)).to.equal(201);

    // ---- 2026-03-13: 3 days after the notice, the branch's outgoing work is blocked.
    r = await day("2026-03-13");
    expect(r.blocks).to.equal(2);
    expect(mails("billing.block_applied", accountant)).to.have.length(1);
    const state = await accountant.client.get(`/api/v1/billing/branches/${branch.id}`);
    expect(state.body.outgoing).to.deep.include({ allowed: false, code: "billing_blocked" });
    expect(state.body.openInvoices.map((v: any) => v.number)).to.deep.equal([first.number]);
    // Blocked: signing, sending, and creating internal documents; the inbox stays readable.
    const blockedSign = await head.client.post(`/api/v1/documents/${draft2.r.body.id}/signatures`, {
      cms: headKey.sign(draft2.bytes).toString("base64"),
    });
    expect(blockedSign.status, JSON.stringify(blockedSign.body)).to.equal(402);
    expect(blockedSign.body.code).to.equal("billing_blocked");
    const blockedSend = await clerk.client.post(`/api/v1/documents/${draft.r.body.id}/send`);
    expect(blockedSend.body.code).to.equal("billing_blocked");
    const blockedInternal = await register(clerk, {
      direction: "internal",
      recipient: { branchId: customer.headOfficeId },
    });
    expect(blockedInternal.r.status).to.equal(402);
    expect((await accountant.client.get("/api/v1/documents?box=inbox")).status).to.equal(200);
    expect((await accountant.client.get(`/api/v1/documents/${invoiceDoc}`)).status).to.equal(200);
    // The head office is another branch of the organization, not blocked.
    expect(
      (await orgAdmin.client.get(`/api/v1/billing/branches/${customer.headOfficeId}`)).body.outgoing.allowed,
    ).to.equal(true);

    // ---- 2026-03-14: a partial payment keeps the block; 2026-03-16: the rest lifts it at once.
    await travel("2026-03-14");
    const part = await operator.client.post(`/api/v1/billing/invoices/${first.id}/payments`, {
      amount: "50000.00",
      currency: "KZT",
      paidOn: "2026-03-14",
      reference: "PP-1001",
    });
    expect(part.status, JSON.stringify(part.body)).to.equal(201);
    expect(part.body.invoice).to.include({ status: "overdue", paid: "50000.00", outstanding: "89200.00" });
    expect(part.body.blockLifted).to.equal(false);
    await travel("2026-03-16");
    const rest = await operator.client.post(`/api/v1/billing/invoices/${first.id}/payments`, {
      amount: "89200.00",
      currency: "KZT",
      paidOn: "2026-03-16",
      reference: "PP-1002",
    });
    expect(rest.status, JSON.stringify(rest.body)).to.equal(201);
    expect(rest.body.invoice).to.include({ status: "paid", paidOn: "2026-03-16" });
    expect(rest.body.blockLifted).to.equal(true);
    // SPEC R4.5: 0.1 %/day of what was unpaid: 50,000.00 × 5 days + 89,200.00 × 7 days → 874.40, below the 5 % cap.
    expect(rest.body.penaltyInvoice).to.include({ kind: "penalty", total: "874.40", vat: "0.00" });
    // No waiting for the job: the signature goes through now.
    const signedAfter = await head.client.post(`/api/v1/documents/${draft2.r.body.id}/signatures`, {
      cms: headKey.sign(draft2.bytes).toString("base64"),
    });
    expect(signedAfter.status, JSON.stringify(signedAfter.body)).to.equal(201);
    const sentAfter = await clerk.client.post(`/api/v1/documents/${draft.r.body.id}/send`);
    expect(sentAfter.status, JSON.stringify(sentAfter.body)).to.equal(200);
    await app.deps.outbox.drain();
    expect(mails("billing.block_lifted", accountant)[0].subject).to.equal("Бұғат алынды");
    expect(await auditCount(app, { action: "billing.block_lift" })).to.equal(1);
    // The block's history as the console shows it, newest first: the notice, the block, the lift.
    const history = await operator.client.get(`/api/v1/billing/subscriptions/${sub.body.id}/history`);
    const actions: string[] = history.body.items.map((e: { action: string }) => e.action);
    expect(actions.indexOf("billing.block_lift")).to.be.within(0, actions.indexOf("billing.block") - 1);
    expect(actions.indexOf("billing.block")).to.be.below(actions.indexOf("billing.overdue_notice"));
    expect((await clerk.client.get(`/api/v1/billing/subscriptions/${sub.body.id}/history`)).status).to.be.oneOf([
      403, 404,
    ]);
    // The penalty is paid at once; the other organization pays too (its Legacy invoice).
    expect(
      (
        await operator.client.post(`/api/v1/billing/invoices/${rest.body.penaltyInvoice.id}/payments`, {
          amount: "874.40",
          currency: "KZT",
          paidOn: "2026-03-16",
          reference: "PP-1003",
        })
      ).status,
    ).to.equal(201);
    const otherInvoice = otherSub.body.invoice;
    expect(
      (
        await operator.client.post(`/api/v1/billing/invoices/${otherInvoice.id}/payments`, {
          amount: otherInvoice.total,
          currency: "KZT",
          paidOn: "2026-03-16",
          reference: "OT-1",
        })
      ).status,
    ).to.equal(201);

    // ---- 2026-06-20: the customer chooses Business; it applies on 1 July (at least a week away).
    await travel("2026-06-20");
    const change = await orgAdmin.client.post(`/api/v1/billing/subscriptions/${sub.body.id}/plan-change`, {
      planId: business.id,
    });
    expect(change.status, JSON.stringify(change.body)).to.equal(200);
    expect(change.body.pendingPlan).to.deep.equal({ planId: business.id, effectiveOn: "2026-07-01" });
    await app.deps.outbox.drain();
    expect(mails("billing.plan_change", head)[0].subject).to.equal("Plan change from 2026-07-01");
    await day("2026-06-30");
    expect((await subscriptionOf(sub.body.id)).planId).to.equal(standard.id);
    r = await day("2026-07-01");
    expect(r.planChanges).to.equal(1);
    const changed = await subscriptionOf(sub.body.id);
    expect(changed).to.include({ planId: business.id, planCode: "business" });
    // The rest of the term at the new price: 120,000.00 × 244 / 365 days → 80,219.18 + VAT.
    const proration = (
      await operator.client.get(`/api/v1/billing/invoices?organizationId=${customer.id}`)
    ).body.items.find((v: any) => v.kind === "plan_change");
    expect(proration).to.include({ subtotal: "80219.18", vat: "12835.07", total: "93054.25", dueOn: "2026-07-08" });
    await travel("2026-07-03");
    const paidProration = await operator.client.post(`/api/v1/billing/invoices/${proration.id}/payments`, {
      amount: "93054.25",
      currency: "KZT",
      paidOn: "2026-07-03",
      reference: "PP-2001",
    });
    expect(paidProration.status, JSON.stringify(paidProration.body)).to.equal(201);
    // Business allows 100 documents: the branch registers again.
    expect((await register(clerk)).r.status).to.equal(201);

    // ---- 2026-09-01: Legacy is closed with Business as successor; 3 days later its subscriber moves.
    await travel("2026-09-01");
    const closed = await operator.client.post(`/api/v1/billing/plans/${legacy.id}/closure`, {
      successorId: business.id,
    });
    expect(closed.body).to.include({ status: "closed", migrateOn: "2026-09-04" });
    await app.deps.outbox.drain();
    expect(mails("billing.plan_change", otherAdmin)[0].text).to.include("«Business»");
    const toClosed = await orgAdmin.client.post(`/api/v1/billing/subscriptions/${sub.body.id}/plan-change`, {
      planId: legacy.id,
    });
    expect(toClosed.status).to.equal(409);
    expect(toClosed.body.code).to.equal("plan_closed");
    await day("2026-09-03");
    expect((await subscriptionOf(otherSub.body.id)).planId).to.equal(legacy.id);
    r = await day("2026-09-04");
    expect(r.closedPlanMigrations).to.equal(1);
    expect((await subscriptionOf(otherSub.body.id)).planId).to.equal(business.id);

    // ---- 2027-02-16: 14 days ahead of the term's end, the renewal invoice at the Business price.
    r = await day("2027-02-15");
    expect(r.renewalInvoices).to.equal(0);
    r = await day("2027-02-16");
    expect(r.renewalInvoices).to.equal(2); // both subscriptions began on 2026-03-02
    const renewal = (
      await operator.client.get(`/api/v1/billing/invoices?organizationId=${customer.id}&status=issued`)
    ).body.items.find((v: any) => v.kind === "renewal");
    expect(renewal).to.include({
      total: "278400.00",
      periodFrom: "2027-03-02",
      periodTo: "2028-03-02",
      dueOn: "2027-02-23",
    });
    expect(renewal.number).to.match(/^QJ-2027-00000[12]$/); // numbering starts again each year
    await travel("2027-02-20");
    const paidRenewal = await operator.client.post(`/api/v1/billing/invoices/${renewal.id}/payments`, {
      amount: "278400.00",
      currency: "KZT",
      paidOn: "2027-02-20",
      reference: "PP-3001",
    });
    expect(paidRenewal.status, JSON.stringify(paidRenewal.body)).to.equal(201);
    r = await day("2027-03-02");
    expect(r.termsRolled).to.be.greaterThanOrEqual(2);
    const renewed = await subscriptionOf(sub.body.id);
    expect(renewed).to.include({ status: "active", periodStart: "2027-03-02", periodEnd: "2028-03-02" });
    expect(renewed.usage.documents).to.equal(0);
    // The other organization did not pay its renewal: noticed, then blocked, in the 14th month.
    await day("2027-03-03");
    await day("2027-05-02");
    expect((await otherAdmin.client.get(`/api/v1/billing/branches/${other.headOfficeId}`)).body.outgoing.code).to.equal(
      "billing_blocked",
    );
    const finalState = (await accountant.client.get(`/api/v1/billing/branches/${branch.id}`)).body;
    expect(finalState.outgoing.allowed, JSON.stringify(finalState)).to.equal(true);

    // Every notice was delivered exactly once per addressee, none failed.
    const ids = app.smtp.messages.map((m) => m.messageId);
    expect(new Set(ids).size).to.equal(ids.length);
    expect(Number((await app.db("outbox").whereNot({ status: "sent" }).count({ n: "*" }).first())!.n)).to.equal(0);
  });
});
