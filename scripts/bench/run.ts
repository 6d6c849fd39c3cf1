// `make bench`: speed and memory targets printed as ratios against baselines measured in the same run.
//  - authenticated GET /api/v1/me vs a bare Koa hello-world (autocannon, 10 connections): target ≥ 0.5
//  - idle RSS after start (target ≤ 150 MB) and cold start to ready (target ≤ 2 s)
//  - documents: registration vs bare stream+hash, RSS under ten 20 MB uploads, inbox pages at 1M (scripts/bench/documents.ts)
//  - HSM CMS signing vs raw PKCS#11, CAdES verification with cached revocation (scripts/bench/hsm.ts)
//  - KZ GOST certificate and CMS verification vs the reference GOST library on the same input (scripts/bench/gost.ts)
//  - retention: disposition of 100,000 documents under API load, preview over 1,000,000 (scripts/bench/retention.ts)
//  - console: first-load JavaScript, first usable screen and inbox page switch in headless Chromium (scripts/bench/console.ts)
//  - audit appends per second, sustained by 64 writers (target ≥ 5,000/s) and audit:verify over 1,000,000 entries (target ≤ 10 s)
import autocannon from "autocannon";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ManualClock, systemClock } from "../../server/clock.js";
import { loadConfig } from "../../server/config/index.js";
import { auditAppender } from "../../server/domain/audit/commands.js";
import { AuditJournal } from "../../server/domain/audit/journal.js";
import { chainHash, stableJson } from "../../server/domain/audit/chain.js";
import { auditVerifier } from "../../server/domain/audit/queries.js";
import { createDb } from "../../server/storage/db.js";
import { migrateLatest } from "../../server/storage/migrations.js";
import { inboxBench, registrationBenches } from "./documents.js";
import { hsmBenches } from "./hsm.js";
import { median, signIn, spawnServer, startAppliance } from "./support.js";
import { billingBenches } from "./billing.js";
import { dispositionBench } from "./retention.js";
import { consoleBundleBench, consoleScreensBench } from "./console.js";

// BENCH_ONLY=http|audit|billing|retention|inbox|hsm|gost|console|sustained|cluster runs one group (sustained and cluster run only when named) (inbox includes the disposition preview and the console's inbox over its million documents; console: the bundle's size and every screen's time to interactive); BENCH_SECONDS, BENCH_AUDIT_ROWS, BENCH_INBOX_DOCUMENTS scale them.
const DURATION = Number(process.env.BENCH_SECONDS ?? 10);
const AUDIT_ROWS = Number(process.env.BENCH_AUDIT_ROWS ?? 1_000_000);
const INBOX_DOCUMENTS = Number(process.env.BENCH_INBOX_DOCUMENTS ?? 1_000_000);
const results: Array<[string, string, string]> = [];
const report = (name: string, value: string, verdict: string) => {
  results.push([name, value, verdict]);
  console.log(`${name}: ${value} ${verdict}`);
};

async function cannon(url: string, headers: Record<string, string> = {}) {
  await autocannon({ url, connections: 10, duration: 2, headers }); // warm-up, not counted
  const r = await autocannon({ url, connections: 10, duration: DURATION, headers });
  if (r.non2xx) throw new Error(`${url}: ${r.non2xx} non-2xx responses`);
  return r.requests.average;
}

async function main() {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "qujat-bench-"));
  try {
    const only = process.env.BENCH_ONLY; // http | inbox | audit: one group of measures
    if (!only || only === "http") await serviceBenches(dataDir);
    // CPU-bound signature benches before the million-row ones (their heap and disk writeback linger).
    if (!only || only === "hsm") await hsmBenches(report);
    // Loaded only for its group: it brings the reference GOST library and pkijs into this process.
    if (!only || only === "gost") await (await import("./gost.js")).gostBenches(report);
    // Billing before the audit and inbox benches: their million-row writes leave the disk busy with writeback.
    if (!only || only === "billing") await billingBenches(report, dataDir);
    if (!only || only === "retention") await dispositionBench(report, dataDir);
    if (!only || only === "audit") await auditBenches(dataDir);
    if (!only || only === "inbox" || only === "console") consoleBundleBench(report);
    if (!only || only === "console") await consoleScreensBench(report, dataDir);
    if (!only || only === "inbox") await inboxBench(report, dataDir, INBOX_DOCUMENTS);
    // Ten minutes: run on its own (make bench-sustained), never as part of the whole.
    if (only === "sustained") await (await import("./sustained.js")).sustainedBench(report, dataDir);
    // Several nodes on PostgreSQL (make bench runs it through scripts/with-postgres.sh after the rest).
    if (only === "cluster") await (await import("./cluster.js")).clusterBenches(report);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
  console.log("\nsummary");
  for (const [a, b, c] of results) console.log(`  ${a.padEnd(42)} ${b.padEnd(44)} ${c}`);
}

/** The running appliance: start, idle memory, GET /me, and the document upload benches. */
async function serviceBenches(dataDir: string) {
  {
    const app = await startAppliance(dataDir);
    report(
      "cold start to ready",
      `${Math.round(app.startMs)} ms`,
      `(target ≤ 2000 ms: ratio ${(app.startMs / 2000).toFixed(2)})`,
    );
    report(
      "idle RSS after start",
      `${(app.rss / 1048576).toFixed(1)} MB`,
      `(target ≤ 150 MB: ratio ${(app.rss / (150 * 1048576)).toFixed(2)})`,
    );
    const login = await signIn(app);
    const base = `http://127.0.0.1:${app.port}`;
    // Alternate the two loads three times and compare medians: this machine's throughput drifts
    // by ±10 % from one run to the next, which a single pair of runs would read as a verdict.
    const helloServer = await spawnServer("scripts/bench/hello.ts");
    const hellos: number[] = [];
    const mes: number[] = [];
    try {
      for (let round = 0; round < 3; round++) {
        hellos.push(await cannon(helloServer.url));
        mes.push(await cannon(`${base}/api/v1/me`, { authorization: `Bearer ${login.token}` }));
      }
    } finally {
      helloServer.stop();
    }
    const [hello, me] = [median(hellos), median(mes)];
    report(
      "GET /api/v1/me (median of 3)",
      `${Math.round(me)} req/s vs hello-world ${Math.round(hello)} req/s`,
      `(ratio ${(me / hello).toFixed(2)}, target ≥ 0.50)`,
    );
    await app.stop();
    // The document benches get an appliance of their own, so RSS growth is measured from a fresh start.
    const docs = await startAppliance(path.join(dataDir, "documents"));
    await registrationBenches(
      report,
      { port: docs.port, pid: docs.pid, adminToken: (await signIn(docs)).token },
      DURATION,
    );
    await docs.stop();
  }
}

/** Audit appends (sustained and one per transaction) and audit:verify over AUDIT_ROWS entries. */
async function auditBenches(dataDir: string) {
  {
    // Audit appends, sustained: 64 concurrent writers through the group-commit journal (how refusals
    // and reads are recorded), each waiting for its entry to be committed before writing the next.
    const db = createDb(
      loadConfig({ ...process.env, NODE_ENV: "production", QUJAT_DATA_DIR: path.join(dataDir, "audit") }),
    );
    await migrateLatest(db);
    const journal = new AuditJournal(db, systemClock);
    const sustained = 60_000;
    let written = 0;
    let t = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async (_, w) => {
        while (written < sustained) {
          written++;
          await journal.record({ actor: { type: "user", id: `writer-${w}` }, ip: "10.0.0.1", requestId: null }, [
            { action: "retention.event", target: { type: "document", id: String(written) } },
          ]);
        }
      }),
    );
    const perSec = written / ((performance.now() - t) / 1000);
    report(
      "audit append, sustained (64 writers)",
      `${Math.round(perSec)} entries/s`,
      `(target ≥ 5000/s: ratio ${(perSec / 5000).toFixed(2)})`,
    );

    // For comparison: each entry in a transaction of its own, as a command writes its one entry.
    const n = 5_000;
    const meta = { actor: { type: "system" as const, id: null } };
    t = performance.now();
    for (let i = 0; i < n; i++)
      await db.transaction((tx) =>
        auditAppender(tx, systemClock, meta, [{ action: "retention.event", details: { i } }]),
      );
    const single = n / ((performance.now() - t) / 1000);
    report(
      "  of which: one entry per own transaction",
      `${Math.round(single)} entries/s`,
      `(informational; bounded by the transaction round trips)`,
    );

    // Grow the chain to AUDIT_ROWS with the same hash function, then verify it all.
    const clock = new ManualClock();
    const head = await db("audit_head").where({ id: 1 }).first();
    let prev = head.hash as string;
    let seq = Number(head.seq);
    const at = clock.now().toISOString();
    while (seq < AUDIT_ROWS) {
      await db.transaction(async (tx) => {
        const rows = [];
        for (let k = 0; k < 5000 && seq < AUDIT_ROWS; k++) {
          seq++;
          const base = {
            seq,
            at,
            actor_type: "system",
            actor_id: null,
            action: "bench.bulk",
            target_type: "document",
            target_id: String(seq),
            organization_id: null,
            outcome: "success",
            ip: "127.0.0.1",
            request_id: null,
            details: stableJson({ k }),
          };
          const hash = chainHash(prev, base);
          rows.push({ ...base, prev_hash: prev, hash });
          prev = hash;
        }
        for (let i = 0; i < rows.length; i += 500) await tx("audit_log").insert(rows.slice(i, i + 500));
        await tx("audit_head").where({ id: 1 }).update({ seq, hash: prev, updated_at: at });
      });
    }
    t = performance.now();
    const v = await auditVerifier(db);
    const secs = (performance.now() - t) / 1000;
    if (!v.ok || v.count !== AUDIT_ROWS) throw new Error("verify failed: " + JSON.stringify(v));
    report(
      `audit:verify over ${v.count.toLocaleString("en")} entries`,
      `${secs.toFixed(2)} s`,
      `(target ≤ 10 s: ratio ${(secs / 10).toFixed(2)})`,
    );
    await db.destroy();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
