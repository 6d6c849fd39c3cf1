// Billing benchmarks (SPEC R4):
//  - the daily billing job over 10,000 branches and 100,000 invoices, run inside the appliance
//    (POST /api/v1/system/jobs/billing.daily/run): its duration (target ≤ 5 s), its longest write
//    transaction (target ≤ 50 ms), and the API's p99 latency while it runs against its p99 idle,
//    measured in the same run (target ≤ 2×)
//  - the outbox worker's delivery to a local SMTP server (target ≥ 200 messages/s), with raw
//    nodemailer sends over the same pool as the baseline
import nodemailer from "nodemailer";
import { randomUUID } from "node:crypto";
import http from "node:http";
import path from "node:path";
import { systemClock } from "../../server/clock.js";
import { loadConfig } from "../../server/config/index.js";
import { addDays, addMonths, dayOf } from "../../server/domain/shared/days.js";
import { createLogger } from "../../server/log.js";
import { OutboxDispatcher } from "../../server/mail/dispatcher.js";
import { createMailer } from "../../server/mail/mailer.js";
import { notificationWriter } from "../../server/mail/outbox.js";
import { createDb, type Db } from "../../server/storage/db.js";
import { migrateLatest } from "../../server/storage/migrations.js";
import { validBin } from "../../test/support/ids.js";
import { percentile, settleDisk, signIn, spawnServer, startAppliance } from "./support.js";

type Report = (name: string, value: string, verdict: string) => void;

const ORGS = 1_000;
const BRANCHES_PER_ORG = 10;
const INVOICES_PER_SUBSCRIPTION = 10;

/** 10,000 branches each on a subscription with 10 invoices; today some are due a notice, a block, a renewal invoice or a new term. */
export async function seed(db: Db, today: string) {
  const now = new Date().toISOString();
  const planId = randomUUID();
  await db("tariff_plans").insert({
    id: planId,
    code: "bench",
    name: "Bench",
    price_minor: 12000000,
    currency: "KZT",
    term_months: 12,
    quota_documents: 1000,
    quota_storage_bytes: null,
    quota_users: null,
    package: false,
    status: "active",
    created_at: now,
    updated_at: now,
  });
  let invoiceNo = 0;
  let k = 0;
  for (let o = 0; o < ORGS; o++) {
    const orgId = randomUUID();
    const rootId = randomUUID();
    const branches: Array<Record<string, unknown> & { id: string; path: string }> = [
      {
        id: rootId,
        organization_id: orgId,
        parent_id: null,
        name: "Head office",
        path: `/${rootId}/`,
        status: "active",
        created_at: now,
        updated_at: now,
      },
    ];
    for (let b = 1; b < BRANCHES_PER_ORG; b++) {
      const id = randomUUID();
      branches.push({
        id,
        organization_id: orgId,
        parent_id: rootId,
        name: `Branch ${b}`,
        path: `/${rootId}/${id}/`,
        status: "active",
        created_at: now,
        updated_at: now,
      });
    }
    const subs: Record<string, unknown>[] = [];
    const invoices: Record<string, unknown>[] = [];
    for (const b of branches) {
      k++;
      // 10 % renew within the lead time, 2 % roll over today; the rest are mid-term.
      const periodEnd =
        k % 10 === 0 ? addDays(today, 1 + (k % 14)) : k % 50 === 1 ? today : addDays(today, 30 + (k % 300));
      const subId = randomUUID();
      subs.push({
        id: subId,
        organization_id: orgId,
        branch_id: b.id,
        branch_path: b.path,
        payer_organization_id: orgId,
        plan_id: planId,
        payment_terms: "standard",
        status: "active",
        period_start: addMonths(periodEnd, -12),
        period_end: periodEnd,
        auto_renew: true,
        used_documents: 0,
        used_bytes: 0,
        created_at: now,
        updated_at: now,
      });
      for (let i = 0; i < INVOICES_PER_SUBSCRIPTION; i++) {
        const last = i === INVOICES_PER_SUBSCRIPTION - 1;
        // The latest invoice: 10 % due yesterday (overdue notice today), 10 % noticed 3 days ago (blocked today), the rest paid.
        const kind = last ? k % 10 : -1;
        const issued = addDays(today, -8 - (INVOICES_PER_SUBSCRIPTION - i) * 30);
        const row = {
          id: randomUUID(),
          number: `BENCH-${++invoiceNo}`,
          year: Number(today.slice(0, 4)),
          kind: "renewal",
          subscription_id: subId,
          payer_organization_id: orgId,
          organization_id: orgId,
          branch_id: b.id,
          currency: "KZT",
          subtotal_minor: 12000000,
          vat_minor: 1920000,
          total_minor: 13920000,
          paid_minor: 13920000,
          penalty_minor: 0,
          status: "paid",
          issued_on: issued,
          due_on: addDays(issued, 7),
          period_from: null,
          period_to: null,
          notice_on: null,
          paid_on: addDays(issued, 3),
          created_at: now,
          updated_at: now,
        };
        if (kind === 3)
          Object.assign(row, {
            status: "issued",
            paid_minor: 0,
            paid_on: null,
            issued_on: addDays(today, -8),
            due_on: addDays(today, -1),
          });
        if (kind === 6)
          Object.assign(row, {
            status: "overdue",
            paid_minor: 0,
            paid_on: null,
            issued_on: addDays(today, -11),
            due_on: addDays(today, -4),
            notice_on: addDays(today, -3),
          });
        invoices.push(row);
      }
    }
    await db.transaction(async (tx) => {
      await tx("organizations").insert({
        id: orgId,
        name: `Bench org ${o}`,
        country: "KZ",
        bin: validBin(),
        external: false,
        status: "active",
        totp_required: false,
        created_at: now,
        updated_at: now,
      });
      await tx("branches").insert(branches);
      await tx("subscriptions").insert(subs);
      for (let i = 0; i < invoices.length; i += 100) await tx("invoices").insert(invoices.slice(i, i + 100));
    });
  }
  return { branches: ORGS * BRANCHES_PER_ORG, invoices: invoiceNo };
}

export const p99 = (xs: number[]) => percentile(xs, 0.99);

/**
 * A steady load: GET /me at RATE requests per second, each sent on schedule whether or not the
 * earlier ones have answered (an open loop, as many users' browsers are), recording when each
 * started and how long it took. A closed loop of back-to-back clients would measure queueing
 * behind itself instead of what the job adds.
 */
const RATE = Number(process.env.BENCH_BILLING_RATE ?? 200);
export function load(url: string, token: string) {
  const samples: Array<{ start: number; ms: number }> = [];
  const inflight = new Set<Promise<void>>();
  // node:http with kept-alive sockets: a fraction of fetch's client-side work per request, so what
  // is timed is the appliance's answer more than this process's own queue.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const t0 = performance.now();
  let sent = 0;
  const timer = setInterval(() => {
    const due = Math.floor(((performance.now() - t0) / 1000) * RATE);
    for (; sent < due; sent++) {
      const start = performance.now();
      const p = new Promise<void>((resolve, reject) => {
        http
          .get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
            res.resume();
            res.on("end", () => {
              if (res.statusCode !== 200) return reject(new Error(`GET /me: ${res.statusCode}`));
              samples.push({ start, ms: performance.now() - start });
              resolve();
            });
          })
          .on("error", reject);
      }).finally(() => inflight.delete(p));
      inflight.add(p);
    }
  }, 2);
  return {
    samples,
    stop: async () => {
      clearInterval(timer);
      await Promise.all([...inflight]);
      agent.destroy();
    },
  };
}

/**
 * `run` under the steady load on `url`: the p99 of 5 s idle (after a 2 s warm-up), then the load
 * again while `run` runs, counting only requests that started during it.
 */
export async function underLoad<T>(url: string, token: string, run: () => Promise<T>) {
  let l = load(url, token);
  await new Promise((r) => setTimeout(r, 2000));
  await l.stop();
  l = load(url, token);
  await new Promise((r) => setTimeout(r, 5000));
  await l.stop();
  const idle = p99(l.samples.map((s) => s.ms));
  l = load(url, token);
  await new Promise((r) => setTimeout(r, 500));
  const t0 = performance.now();
  const result = await run();
  const t1 = performance.now();
  await l.stop();
  const during = l.samples.filter((s) => s.start >= t0 && s.start <= t1).map((s) => s.ms);
  return { result, secs: (t1 - t0) / 1000, idle, during };
}

export async function billingBenches(report: Report, dataDir: string) {
  const dir = path.join(dataDir, "billing");
  const config = loadConfig({ ...process.env, NODE_ENV: "production", QUJAT_DATA_DIR: dir });
  const db = createDb(config);
  await migrateLatest(db);
  const today = dayOf(new Date());
  const seeded = await seed(db, today);
  await db.destroy();
  settleDisk();

  const app = await startAppliance(dir, { QUJAT_JOBS__ENABLED: "false" });
  try {
    const login = await signIn(app);
    const base = `http://127.0.0.1:${app.port}`;
    const {
      result: run,
      secs,
      idle,
      during,
    } = await underLoad(`${base}/api/v1/me`, login.token, () =>
      fetch(`${base}/api/v1/system/jobs/billing.daily/run`, {
        method: "POST",
        headers: { authorization: `Bearer ${login.token}`, "content-type": "application/json" },
      }).then((r) => r.json()),
    );
    if (run.outcome !== "success") throw new Error("billing.daily: " + JSON.stringify(run));
    const r = run.result;
    report(
      `billing.daily over ${seeded.branches.toLocaleString("en")} branches, ${seeded.invoices.toLocaleString("en")} invoices`,
      `${secs.toFixed(2)} s`,
      `(notices ${r.overdueNotices}, blocks ${r.blocks}, renewal invoices ${r.renewalInvoices}, terms ${r.termsRolled}; target ≤ 5 s: ratio ${(secs / 5).toFixed(2)})`,
    );
    const slow = Object.entries(r.stepMs as Record<string, number>)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 4)
      .map(([k, v]) => `${k} ${(v / 1000).toFixed(2)} s`)
      .join(", ");
    report("  of which the slowest steps", slow, "(informational)");
    report(
      "  longest write transaction",
      `${r.maxWriteMs} ms (${r.slowestStep})`,
      `(target ≤ 50 ms: ratio ${(r.maxWriteMs / 50).toFixed(2)})`,
    );
    const ratio = p99(during) / idle;
    report(
      `  GET /me p99 during the run vs idle (${RATE} req/s)`,
      `${p99(during).toFixed(1)} ms vs ${idle.toFixed(1)} ms (${during.length} requests)`,
      `(ratio ${ratio.toFixed(2)}, target ≤ 2.00)`,
    );
  } finally {
    await app.stop();
  }
  await outboxBench(report, dataDir);
}

async function outboxBench(report: Report, dataDir: string) {
  const smtp = await spawnServer("scripts/bench/smtp.ts");
  const port = Number(new URL(smtp.url).port);
  const config = loadConfig(
    { ...process.env, NODE_ENV: "production", QUJAT_DATA_DIR: path.join(dataDir, "outbox") },
    { mail: { smtp: { host: "127.0.0.1", port } } },
  );
  const db = createDb(config);
  await migrateLatest(db);
  const logger = createLogger("warn");
  const n = 3000;
  try {
    // Baseline: raw nodemailer over the same kind of pool, as fast as it goes.
    const transport = nodemailer.createTransport({
      pool: true,
      maxConnections: config.mail.concurrency,
      host: "127.0.0.1",
      port,
      secure: false,
    });
    let t = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: config.mail.concurrency }, async () => {
        while (next < n) {
          const i = next++;
          await transport.sendMail({
            from: config.mail.from,
            to: `raw${i}@example.kz`,
            subject: "Счёт",
            text: "Выставлен счёт.",
          });
        }
      }),
    );
    const raw = n / ((performance.now() - t) / 1000);
    transport.close();

    for (let i = 0; i < n; i += 500) {
      await db.transaction((tx) =>
        notificationWriter(
          tx,
          systemClock,
          Array.from({ length: Math.min(500, n - i) }, (_, j) => ({
            topic: "billing.invoice_issued",
            to: { email: `payer${i + j}@example.kz` },
            payload: {
              number: `QJ-2026-${String(i + j).padStart(6, "0")}`,
              total: "139200.00",
              outstanding: "139200.00",
              currency: "KZT",
              dueOn: "2026-03-09",
              language: ["ru", "kk", "uk", "en"][(i + j) % 4],
            },
          })),
        ),
      );
    }
    const mailer = createMailer(config.mail, logger);
    const dispatcher = new OutboxDispatcher({ db, clock: systemClock, config, mailer, logger });
    t = performance.now();
    const result = await dispatcher.drain();
    const perSec = result.messages / ((performance.now() - t) / 1000);
    mailer.close();
    if (result.sent !== n) throw new Error("outbox: " + JSON.stringify(result));
    report(
      "outbox delivery to a local SMTP server",
      `${Math.round(perSec)} messages/s vs raw nodemailer ${Math.round(raw)}/s`,
      `(target ≥ 200/s: ratio ${(perSec / 200).toFixed(2)}; ${(perSec / raw).toFixed(2)} of raw)`,
    );
  } finally {
    smtp.stop();
    await db.destroy();
  }
}
