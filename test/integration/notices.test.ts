// Notices that arrive (SPEC R6.2, R4.4): with no SMTP host nothing is "sent" — notices stay queued,
// /readyz says mail is degraded — and what counts from a notice waits for it to reach someone: a
// branch is blocked 3 days after its overdue notice was first shown in the console, not before.
// The notice centre lists a person's own notices with their read state.
import { expect } from "chai";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";

describe("notices without SMTP, and the notice centre", () => {
  let app: TestApp;
  let operator: BuiltUser, accountant: BuiltUser, clerk: BuiltUser, stranger: BuiltUser;
  let org: Awaited<ReturnType<typeof buildOrganization>>;

  before(async () => {
    app = await startTestApp({ mail: { smtp: { host: "" } } });
    org = await buildOrganization(app, { name: "Quiet Payer LLP" });
    const at = (role: string) => [{ role, organizationId: org.id, branchId: org.headOfficeId }];
    operator = await buildUser(app, [{ role: "billing_operator" }]);
    accountant = await buildUser(app, at("accountant"));
    clerk = await buildUser(app, at("clerk"));
    const other = await buildOrganization(app, { name: "Other LLP" });
    stranger = await buildUser(app, [{ role: "accountant", organizationId: other.id, branchId: other.headOfficeId }]);
  });
  after(() => app.close());

  async function day(date: string) {
    app.clock.set(`${date}T09:00:00.000Z`);
    const r = await app.deps.jobs.runNow("billing.daily");
    expect(r.outcome, r.error).to.equal("success");
    const drained = await app.deps.outbox.drain();
    for (const u of [operator, accountant, clerk, stranger]) await u.client.login(u.login, PASSWORD);
    return { ...(r.result as Record<string, number>), drained } as Record<string, number> & { drained: unknown };
  }

  it("/readyz stays ready for traffic but says mail is degraded, and why", async () => {
    const r = await app.client().get("/readyz");
    expect(r.status).to.equal(200);
    expect(r.body.status).to.equal("degraded");
    expect(r.body.checks.mail).to.include({ ok: false, degraded: true });
    expect(r.body.checks.mail.detail).to.match(/no SMTP host/);
  });

  it("an overdue notice nobody received starts no count; shown in the console, it blocks the branch 3 days later — not before", async () => {
    const plan = (
      await operator.client.post("/api/v1/billing/plans", {
        code: "quiet",
        name: "Quiet",
        price: "1000.00",
        currency: "KZT",
      })
    ).body;
    const sub = await operator.client.post("/api/v1/billing/subscriptions", {
      organizationId: org.id,
      planId: plan.id,
    });
    expect(sub.status, JSON.stringify(sub.body)).to.equal(201);
    const invoice = sub.body.invoice;
    const dueOn: string = invoice.dueOn;
    const next = (d: string, n: number) =>
      new Date(Date.parse(d + "T00:00:00Z") + n * 86400e3).toISOString().slice(0, 10);

    const first = await day(next(dueOn, 1));
    expect(first.overdueNotices).to.equal(1);
    expect(first.drained).to.deep.equal({ sent: 0, retried: 0, failed: 0, messages: 0 });
    const [queued] = await app.db("outbox").where({ topic: "billing.overdue_notice", ref: `invoice:${invoice.id}` });
    expect(queued).to.include({ status: "pending", sent_at: null, delivered_at: null });
    // Ten days pass: nobody has the notice, nothing is blocked.
    for (let i = 2; i <= 10; i++) expect((await day(next(dueOn, i))).blocks).to.equal(0);
    expect((await app.db("invoices").where({ id: invoice.id }).first())!.notice_on).to.equal(null);

    // The accountant opens the notice centre on day 11 (Almaty): the console shows the notice.
    const listed = await accountant.client.get("/api/v1/notices");
    const notice = listed.body.items.find((n: { topic: string }) => n.topic === "billing.overdue_notice");
    expect(notice).to.include({ readAt: null, shownAt: null, deliveredAt: null });
    expect(notice.payload).to.include({ number: invoice.number });
    // The mail's own words, in the person's language (ru by default here).
    expect(notice.subject).to.equal(`Просрочен счёт № ${invoice.number}: блокировка ${notice.payload.blockOn}`);
    expect(listed.body.unread).to.be.greaterThan(0);
    // A clerk's roles do not hear of billing; another organization's accountant cannot touch it.
    expect((await clerk.client.get("/api/v1/notices")).body.items.map((n: { id: number }) => n.id)).to.not.include(
      notice.id,
    );
    expect((await stranger.client.post(`/api/v1/notices/${notice.id}/read`)).status).to.equal(404);
    expect((await stranger.client.post("/api/v1/notices/shown", { ids: [notice.id] })).body.recorded).to.equal(0);
    expect((await app.db("outbox").where({ id: notice.id }).first())!.delivered_at).to.equal(null);

    const shown = await accountant.client.post("/api/v1/notices/shown", { ids: [notice.id] });
    expect(shown.body.recorded).to.equal(1);
    const delivered = (await app.db("outbox").where({ id: notice.id }).first())!;
    expect(delivered.delivered_at).to.equal(app.clock.now().toISOString());
    expect(delivered.status).to.equal("pending"); // shown, still not e-mailed

    const shownOn = next(dueOn, 10);
    expect((await day(next(dueOn, 11))).blocks).to.equal(0);
    expect((await app.db("invoices").where({ id: invoice.id }).first())!.notice_on).to.equal(shownOn);
    expect((await day(next(dueOn, 12))).blocks).to.equal(0);
    expect((await day(next(dueOn, 13))).blocks).to.equal(1);
    const status = await clerk.client.get(`/api/v1/billing/branches/${org.headOfficeId}`);
    expect(status.body.outgoing).to.include({ allowed: false });

    // Read state.
    const read = await accountant.client.post(`/api/v1/notices/${notice.id}/read`);
    expect(read.status, JSON.stringify(read.body)).to.equal(204);
    const after = (await accountant.client.get("/api/v1/notices")).body.items.find(
      (n: { id: number }) => n.id === notice.id,
    );
    expect(after.readAt).to.be.a("string");
    expect(after.shownAt).to.be.a("string");
  });

  it("an inactivity warning nobody received removes nobody, however long the account stays idle", async () => {
    await app.admin.login("root", PASSWORD);
    const idle = await buildUser(app, [{ role: "clerk", organizationId: org.id, branchId: org.headOfficeId }]);
    const lastSeen = app.clock.now();
    const later = (days: number) => new Date(lastSeen.getTime() + days * 86400e3).toISOString();
    app.clock.set(later(13 * 31 - 20)); // inside the warning period before the 13 months are up
    let run = await app.deps.jobs.runNow("retention.daily");
    expect(run.outcome, run.error).to.equal("success");
    const warning = await app.db("outbox").where({ topic: "account.inactive_warning", user_id: idle.id }).first();
    expect(warning).to.include({ status: "pending", ref: `user:${idle.id}`, delivered_at: null });
    app.clock.set(later(13 * 31 + 60));
    run = await app.deps.jobs.runNow("retention.daily");
    expect(run.outcome, run.error).to.equal("success");
    expect((await app.db("users").where({ id: idle.id }).first())!.status).to.equal("active");
  });
});
