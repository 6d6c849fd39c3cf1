// The person's work queues (SPEC R2.5, R2.6): to sign — approved documents of a branch he signs for;
// to answer — received documents his side has not signed or refused, for those who may answer; and
// deemed acceptance running out — the acts among them whose silence deadline is near. Each queue
// is read from the list and counted for the menu; the counts must agree with the lists.
import { expect } from "chai";
import { DAY } from "../../server/clock.js";
import { DEEMED_WARNING_DAYS } from "../../server/domain/documents/queries.js";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { invoiceFields, jsonDocument, pdf } from "../support/documents.js";
import { buildBranch, buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import { removeSigner, testSigner, type TestSigner } from "../support/pki.js";

type Queues = { approval: number; signing: number; answer: number; deemed: number };

describe("work queues: to sign, to answer, deemed acceptance running out", () => {
  let app: TestApp;
  let seller: { id: string; bin: string; headOfficeId: string };
  let buyer: { id: string; bin: string; headOfficeId: string };
  let east: { id: string };
  let clerk: BuiltUser, accountant: BuiltUser, head: BuiltUser, signer: BuiltUser, southHead: BuiltUser;
  let buyerClerk: BuiltUser, buyerHead: BuiltUser, buyerAccountant: BuiltUser, buyerViewer: BuiltUser;
  let headKey: TestSigner, buyerKey: TestSigner;
  const content = new Map<string, Buffer>();

  const everyone = () => [
    clerk,
    accountant,
    head,
    signer,
    southHead,
    buyerClerk,
    buyerHead,
    buyerAccountant,
    buyerViewer,
  ];
  async function register(kind: "invoice" | "act_of_work", number: string) {
    const bytes = pdf(`queue ${number}`);
    const fields =
      kind === "invoice"
        ? invoiceFields({ number })
        : { ...invoiceFields({ number }), periodFrom: "2026-02-01", periodTo: "2026-02-28" };
    const r = await clerk.client.post(
      "/api/v1/documents",
      jsonDocument({ kind, branchId: east.id, recipient: { organizationId: buyer.id }, fields }, bytes),
    );
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    content.set(r.body.id, bytes);
    return r.body as { id: string; content: { sha256: string } };
  }
  const post = async (who: BuiltUser, path: string, body: unknown = {}) => {
    const r = await who.client.post(path, body);
    expect(r.status, `${path}: ${JSON.stringify(r.body)}`).to.be.within(200, 201);
    return r.body;
  };
  const sign = (who: BuiltUser, key: TestSigner, id: string) =>
    post(who, `/api/v1/documents/${id}/signatures`, { cms: key.sign(content.get(id)!).toString("base64") });
  async function approved(kind: "invoice" | "act_of_work", number: string) {
    const d = await register(kind, number);
    await post(clerk, `/api/v1/documents/${d.id}/approval`, { steps: [{ approvers: [accountant.id] }] });
    await post(accountant, `/api/v1/documents/${d.id}/approval/decisions`, { decision: "approve" });
    return d;
  }
  async function delivered(kind: "invoice" | "act_of_work", number: string) {
    const d = await approved(kind, number);
    await sign(head, headKey, d.id);
    await post(clerk, `/api/v1/documents/${d.id}/send`);
    await post(buyerClerk, `/api/v1/documents/${d.id}/receipt`, { contentSha256: d.content.sha256 });
    return d;
  }
  const counts = async (who: BuiltUser) => {
    const r = await who.client.get("/api/v1/queues");
    expect(r.status).to.equal(200);
    return r.body as Queues;
  };
  const list = async (who: BuiltUser, box: string) => {
    const r = await who.client.get(`/api/v1/documents?box=${box}`);
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return (r.body.items as Array<{ id: string }>).map((d) => d.id).sort();
  };
  /** Each queue's list and count, for one person: the menu's number must be the list's length. */
  async function queuesOf(who: BuiltUser) {
    const c = await counts(who);
    const lists = {
      signing: await list(who, "signing"),
      answer: await list(who, "answer"),
      deemed: await list(who, "deemed"),
    };
    for (const q of ["signing", "answer", "deemed"] as const) expect(c[q], q).to.equal(lists[q].length);
    return lists;
  }

  before(async () => {
    app = await startTestApp();
    seller = await buildOrganization(app, { name: "Queue Seller LLP" });
    buyer = await buildOrganization(app, { name: "Queue Buyer LLP" });
    east = await buildBranch(app, seller.id, seller.headOfficeId, "East");
    const south = await buildBranch(app, seller.id, seller.headOfficeId, "South");
    const at = (role: string, branchId: string, org = seller.id) =>
      buildUser(app, [{ role, organizationId: org, branchId }]);
    clerk = await at("clerk", east.id);
    accountant = await at("accountant", east.id);
    head = await at("head", seller.headOfficeId);
    signer = await at("signer", east.id);
    southHead = await at("head", south.id); // signs for another branch
    buyerClerk = await at("clerk", buyer.headOfficeId, buyer.id);
    buyerHead = await at("head", buyer.headOfficeId, buyer.id);
    buyerAccountant = await at("accountant", buyer.headOfficeId, buyer.id);
    buyerViewer = await at("viewer", buyer.headOfficeId, buyer.id);
    headKey = testSigner({ cn: "Queue Head", iin: head.iin, bin: seller.bin });
    buyerKey = testSigner({ cn: "Queue Buyer Head", iin: buyerHead.iin, bin: buyer.bin });
  });
  after(async () => {
    [headKey, buyerKey].forEach(removeSigner);
    await app.close();
  });

  it("to sign: an approved document waits for those who sign for its branch, until the first of them signs", async () => {
    const draft = await register("invoice", "Q-DRAFT");
    const d = await approved("invoice", "Q-1");
    expect((await queuesOf(head)).signing).to.deep.equal([d.id]); // head office covers East
    expect((await queuesOf(signer)).signing).to.deep.equal([d.id]);
    for (const who of [clerk, accountant, southHead, buyerHead])
      expect((await queuesOf(who)).signing).to.deep.equal([]);
    expect((await queuesOf(head)).signing, "a draft is not yet to be signed").to.not.include(draft.id);
    await sign(head, headKey, d.id);
    expect((await queuesOf(head)).signing).to.deep.equal([]);
    expect((await queuesOf(signer)).signing).to.deep.equal([]);
  });

  it("to answer: a received document waits for those who may sign or refuse it on the receiving side, until they do", async () => {
    const invoice = await delivered("invoice", "Q-2");
    const act = await delivered("act_of_work", "Q-ACT-1");
    const both = [invoice.id, act.id].sort();
    expect((await queuesOf(buyerHead)).answer).to.deep.equal(both);
    expect((await queuesOf(buyerAccountant)).answer).to.deep.equal(both);
    for (const who of [buyerClerk, buyerViewer, head, clerk]) expect((await queuesOf(who)).answer).to.deep.equal([]);
    // Asking the sender for a clarification leaves the answer owed: it stays in the queue.
    await post(buyerHead, `/api/v1/documents/${act.id}/clarification-request`, { reason: "Which period?" });
    expect((await queuesOf(buyerAccountant)).answer).to.deep.equal(both);
    await post(buyerHead, `/api/v1/documents/${invoice.id}/rejection`, { reason: "Wrong amount" });
    await sign(buyerHead, buyerKey, act.id);
    expect((await queuesOf(buyerHead)).answer).to.deep.equal([]);
    expect((await queuesOf(buyerAccountant)).answer).to.deep.equal([]);
  });

  it(`deemed acceptance running out: an act enters the queue ${DEEMED_WARNING_DAYS} days before its silence deadline and leaves it once deemed accepted`, async () => {
    const act = await delivered("act_of_work", "Q-ACT-2");
    const invoice = await delivered("invoice", "Q-3");
    const respondBy = new Date((await app.db("documents").where({ id: act.id }).first("respond_by"))!.respond_by!);
    const travel = async (to: Date) => {
      app.clock.set(to);
      for (const u of everyone()) await u.client.login(u.login, PASSWORD);
    };
    expect((await queuesOf(buyerHead)).deemed).to.deep.equal([]);
    await travel(new Date(respondBy.getTime() - DEEMED_WARNING_DAYS * DAY - 60_000));
    expect((await queuesOf(buyerHead)).deemed, "a minute before the horizon").to.deep.equal([]);
    await travel(new Date(respondBy.getTime() - DEEMED_WARNING_DAYS * DAY + 60_000));
    const buyerSide = await queuesOf(buyerHead);
    expect(buyerSide.deemed).to.deep.equal([act.id]);
    expect(buyerSide.answer).to.include.members([act.id, invoice.id]);
    expect((await queuesOf(buyerViewer)).deemed, "a viewer cannot answer").to.deep.equal([]);
    expect((await queuesOf(head)).deemed, "the sender waits, it does not answer").to.deep.equal([]);
    await travel(new Date(respondBy.getTime() + 60_000));
    expect((await app.deps.jobs.runNow("documents.deemedAcceptance")).outcome).to.equal("success");
    const after = await queuesOf(buyerHead);
    expect(after.deemed).to.deep.equal([]);
    expect(after.answer).to.deep.equal([invoice.id]);
  });
});
