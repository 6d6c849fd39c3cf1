// Notifications (SPEC R6.1, R6.2) through a real SMTP server: the outbox survives an SMTP outage —
// retried with back-off, delivered later, nothing lost or doubled — and maintenance announcements
// are shown to every signed-in user and e-mailed in each one's language.
import { expect } from "chai";
import { MINUTE } from "../../server/clock.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { auditCount, buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";

describe("notifications", () => {
  let app: TestApp;
  let users: BuiltUser[];
  const languages = ["ru", "kk", "uk", "en"];

  before(async () => {
    app = await startTestApp();
    const org = await buildOrganization(app);
    users = [];
    for (const language of languages) {
      const u = await buildUser(app, [{ role: "clerk", organizationId: org.id, branchId: org.headOfficeId }]);
      expect((await u.client.patch("/api/v1/me", { language })).body.language).to.equal(language);
      users.push(u);
    }
  });
  after(() => app.close());

  const announce = (by = app.admin, title = "Обновление") =>
    by.post("/api/v1/announcements", {
      title,
      body: "Переход на новую версию",
      // Saturday 23:00 – Sunday 03:00 in Almaty (004 §2.4.3 names local hours), given as instants.
      startsAt: "2026-03-07T18:00:00Z",
      endsAt: "2026-03-07T22:00:00Z",
    });

  it("a maintenance announcement: only a system administrator makes one; every signed-in user sees it; everyone is e-mailed in his language", async () => {
    const refused = await announce(users[0].client);
    expect(refused.status).to.equal(403);
    expect(
      await app
        .db("announcements")
        .count({ n: "*" })
        .first()
        .then((r) => Number(r!.n)),
    ).to.equal(0);
    expect(
      await app
        .db("outbox")
        .where({ topic: "maintenance.announcement" })
        .count({ n: "*" })
        .first()
        .then((r) => Number(r!.n)),
    ).to.equal(0);
    const before = await auditCount(app, { action: "announcement.create" });
    const made = await announce();
    expect(made.status, JSON.stringify(made.body)).to.equal(201);
    expect(await auditCount(app, { action: "announcement.create" })).to.equal(before + 1);
    const seen = await users[2].client.get("/api/v1/announcements");
    expect(seen.body.items.map((a: any) => a.title)).to.deep.equal(["Обновление"]);
    expect((await app.client().get("/api/v1/announcements")).status).to.equal(401);
    const start = app.smtp.messages.length;
    await app.deps.outbox.drain();
    const got = app.smtp.messages.slice(start).filter((m) => m.topic === "maintenance.announcement");
    const subjectFor = (u: BuiltUser) => got.find((m) => m.to.includes(`${u.login}@example.kz`))?.subject;
    expect(subjectFor(users[0])).to.equal(
      "Плановые работы: 2026-03-07 23:00 (Asia/Almaty) – 2026-03-08 03:00 (Asia/Almaty)",
    );
    expect(subjectFor(users[1])).to.equal(
      "Жоспарлы жұмыстар: 2026-03-07 23:00 (Asia/Almaty) – 2026-03-08 03:00 (Asia/Almaty)",
    );
    expect(subjectFor(users[2])).to.equal(
      "Планові роботи: 2026-03-07 23:00 (Asia/Almaty) – 2026-03-08 03:00 (Asia/Almaty)",
    );
    expect(subjectFor(users[3])).to.equal(
      "Scheduled maintenance: 2026-03-07 23:00 (Asia/Almaty) – 2026-03-08 03:00 (Asia/Almaty)",
    );
    // Plain text and HTML, the same words.
    const en = got.find((m) => m.to.includes(`${users[3].login}@example.kz`))!;
    expect(en.text).to.include("may be unavailable");
    expect(en.html).to.include("<p>Переход на новую версию</p>");
    // Over windows are no longer shown.
    app.clock.set("2026-03-08T04:00:00Z");
    await users[2].client.login(users[2].login, "Str0ng!Passw0rd");
    expect((await users[2].client.get("/api/v1/announcements")).body.items).to.deep.equal([]);
    app.clock.set("2026-03-02T09:00:00.000Z");
    for (const u of users) await u.client.login(u.login, "Str0ng!Passw0rd");
    await app.admin.login("root", "Str0ng!Passw0rd");
  });

  it("an SMTP outage: the outbox retries with back-off and delivers later — every message once, none lost", async () => {
    await app.smtp.stop();
    for (let i = 1; i <= 3; i++) expect((await announce(app.admin, `Окно ${i}`)).status).to.equal(201);
    const start = app.smtp.messages.length;
    const first = await app.deps.outbox.drain();
    expect(first).to.include({ sent: 0, retried: 3 });
    const waiting = await app.db("outbox").where({ topic: "maintenance.announcement", status: "pending" });
    expect(waiting).to.have.length(3);
    for (const w of waiting) {
      expect(Number(w.attempts)).to.equal(1);
      expect(w.last_error).to.be.a("string");
      // Back-off: the next attempt is retryBaseSeconds later, not at once.
      expect(new Date(w.next_attempt_at).getTime() - app.clock.now().getTime()).to.equal(30_000);
    }
    // Not due yet: nothing is tried.
    expect(await app.deps.outbox.drain()).to.include({ sent: 0, retried: 0 });
    app.clock.advance(31_000);
    expect(await app.deps.outbox.drain()).to.include({ retried: 3 }); // still down: the second attempt waits 60 s
    const second = (await app.db("outbox").where({ topic: "maintenance.announcement", status: "pending" }).first())!;
    expect(new Date(second.next_attempt_at).getTime() - app.clock.now().getTime()).to.equal(60_000);

    await app.smtp.start(); // the same port: the server is back
    app.clock.advance(2 * MINUTE);
    const later = await app.deps.outbox.drain();
    expect(later).to.include({ sent: 3, retried: 0, failed: 0 });
    const got = app.smtp.messages.slice(start);
    // 3 announcements × 4 people + the administrator: each exactly once.
    const perAddress = new Map<string, number>();
    for (const m of got)
      for (const to of m.to) perAddress.set(`${to} ${m.messageId}`, (perAddress.get(`${to} ${m.messageId}`) ?? 0) + 1);
    expect([...perAddress.values()].every((n) => n === 1)).to.equal(true);
    expect(got).to.have.length(3 * 5);
    expect(new Set(got.map((m) => m.messageId)).size).to.equal(15);
    expect(await app.deps.outbox.drain()).to.include({ sent: 0 });
    expect(Number((await app.db("outbox").whereNot({ status: "sent" }).count({ n: "*" }).first())!.n)).to.equal(0);
  });

  it("a message whose delivery keeps failing is marked failed after mail.maxAttempts, listed for the administrator, and can be retried", async () => {
    await app.smtp.stop();
    expect((await announce(app.admin, "Сбой")).status).to.equal(201);
    for (let i = 0; i < app.config.mail.maxAttempts; i++) {
      await app.deps.outbox.drain();
      app.clock.advance(app.config.mail.retryMaxSeconds * 1000 + 1000);
    }
    await app.admin.login("root", "Str0ng!Passw0rd");
    await users[0].client.login(users[0].login, "Str0ng!Passw0rd");
    const failed = await app.admin.get("/api/v1/system/outbox?status=failed");
    expect(failed.body.items, JSON.stringify(failed.body)).to.have.length(1);
    expect(failed.body.items[0]).to.include({
      topic: "maintenance.announcement",
      status: "failed",
      attempts: app.config.mail.maxAttempts,
    });
    expect((await users[0].client.get("/api/v1/system/outbox")).status).to.equal(403);
    await app.smtp.start();
    expect((await app.admin.post(`/api/v1/system/outbox/${failed.body.items[0].id}/retry`)).status).to.equal(202);
    expect(await app.deps.outbox.drain()).to.include({ sent: 1 });
  });
});
