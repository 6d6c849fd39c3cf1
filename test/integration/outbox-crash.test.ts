// The outbox after a crash (SPEC R6.2): a worker killed with SIGKILL right after the SMTP server
// accepted a message; a second worker picks its notices up within the 30-second lease, skips what
// was recorded as delivered, and sends again only what was in flight at that instant — with the
// same Message-ID. Against the real SMTP server and the suite's database (SQLite or PostgreSQL).
import { expect } from "chai";
import { spawn } from "node:child_process";
import path from "node:path";
import { CLAIM_MS, OutboxDispatcher } from "../../server/mail/dispatcher.js";
import { notificationWriter } from "../../server/mail/outbox.js";
import { createMailer } from "../../server/mail/mailer.js";
import { createLogger } from "../../server/log.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { buildOrganization, buildUser } from "../support/factories.js";

const root = path.resolve(import.meta.dirname, "../..");
const vars = { title: "Works", body: "Upgrade", startsAt: "2026-03-10 01:00", endsAt: "2026-03-10 02:00" };

describe("the outbox after a crash", function () {
  this.timeout(120_000);
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(() => app.close());

  /** `n` notices to single addresses and two to a branch of three people: returns the messages expected. */
  async function enqueue(tag: string, n: number) {
    const org = await buildOrganization(app, { name: `Crash ${tag}` });
    for (let i = 0; i < 3; i++)
      await buildUser(app, [{ role: "clerk", organizationId: org.id, branchId: org.headOfficeId }]);
    const items = [
      ...Array.from({ length: n }, (_, i) => ({
        topic: "maintenance.announcement",
        to: { email: `${tag}-${i}@example.kz` },
        payload: vars,
      })),
      ...[1, 2].map(() => ({
        topic: "maintenance.announcement",
        to: { organizationId: org.id, branchId: org.headOfficeId },
        payload: vars,
      })),
    ];
    await app.db.transaction((tx) => notificationWriter(tx, app.clock, items));
    return n + 2 * 3;
  }

  /** Runs the dying worker as a process of its own (the SMTP server lives in this one: no blocking spawn). */
  const worker = (killAfter: number, concurrency: number) =>
    new Promise<{ signal: NodeJS.Signals | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, ["--import", "tsx", "test/support/outboxWorker.ts"], {
        cwd: root,
        env: {
          ...process.env,
          QUJAT_CRASH_CONFIG: JSON.stringify({
            env: { NODE_ENV: "test", QUJAT_DATA_DIR: app.dataDir, QUJAT_DATABASE_URL: app.config.database.url ?? "" },
            overrides: {
              pki: { trustDir: app.config.pki.trustDir },
              mail: { smtp: { host: "127.0.0.1", port: app.smtp.port }, concurrency },
            },
            killAfter,
          }),
        },
      });
      let output = "";
      child.stdout.on("data", (d) => (output += d));
      child.stderr.on("data", (d) => (output += d));
      const timer = setTimeout(() => child.kill("SIGTERM"), 60_000);
      child.on("exit", (_code, signal) => {
        clearTimeout(timer);
        resolve({ signal, output });
      });
    });

  const dispatcherAt = (msFromNow: number) =>
    new OutboxDispatcher({
      db: app.db,
      clock: { now: () => new Date(Date.now() + msFromNow) },
      config: app.config,
      mailer: createMailer(app.config.mail, createLogger("silent")),
      logger: createLogger("silent"),
    });

  for (const concurrency of [1, 4])
    it(`killed after its 5th message (${concurrency} at once): the rest go within the lease, only what was in flight twice`, async () => {
      await app.deps.outbox?.stop?.();
      const before = app.smtp.messages.length;
      const expected = await enqueue(`c${concurrency}`, 8);
      const run = await worker(5, concurrency);
      expect(run.signal, run.output).to.equal("SIGKILL");
      // What the dead worker had started and not confirmed: the only messages that may repeat.
      const rows: Array<{ id: number; attempting: string }> = await app
        .db("outbox")
        .whereNotNull("attempting")
        .where({ status: "pending" })
        .select("id", "attempting");
      const inFlight = new Set(rows.map((r: { id: number; attempting: string }) => `${r.id}:${r.attempting}`));
      expect(inFlight.size).to.be.within(1, concurrency);

      // Within the lease nobody else takes them; just after it, another worker does.
      const early = await dispatcherAt(CLAIM_MS - 5_000).drain();
      expect(early.messages).to.equal(0);
      const late = await dispatcherAt(CLAIM_MS + 1_000).drain();
      expect(late.messages).to.be.greaterThan(0);

      const got = app.smtp.messages.slice(before);
      const byId = new Map<string, number>();
      for (const m of got) byId.set(m.messageId, (byId.get(m.messageId) ?? 0) + 1);
      expect(byId.size, "every message arrived").to.equal(expected);
      const twice = [...byId].filter(([, k]) => k > 1).map(([id]) => id);
      expect(twice.length).to.be.at.most(inFlight.size);
      for (const id of twice) {
        const m = /^<outbox-(\d+)-/.exec(id)!;
        expect(
          [...inFlight].some((f) => f.startsWith(`${m[1]}:`)),
          `${id} was not in flight`,
        ).to.equal(true);
      }
      expect([...byId.values()].every((k) => k <= 2)).to.equal(true);
      const left = await app.db("outbox").where({ status: "pending" }).count({ c: "*" }).first();
      expect(Number(left!.c)).to.equal(0);
    });

  it("a lease is renewed while its notice is being sent: a slow SMTP server does not let a second worker take it", async () => {
    await enqueue("slow", 1);
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    let offset = 0;
    const clock = { now: () => new Date(Date.now() + offset) };
    const slow = new OutboxDispatcher({
      db: app.db,
      clock,
      config: { ...app.config, mail: { ...app.config.mail, concurrency: 1 } },
      mailer: {
        configured: true,
        close() {},
        async send() {
          calls++;
          await gate;
        },
      },
      logger: createLogger("silent"),
      renewMs: 20,
    });
    const first = slow.drain();
    while (calls === 0) await new Promise((r) => setTimeout(r, 10));
    // Two minutes pass while the first message is stuck in SMTP; its worker renews meanwhile.
    for (let i = 0; i < 8; i++) {
      offset += 15_000;
      await new Promise((r) => setTimeout(r, 60));
    }
    const other = await dispatcherAt(offset + 1_000).drain();
    expect(other.messages, "the second worker took a leased notice").to.equal(0);
    release();
    await first;
  });
});
