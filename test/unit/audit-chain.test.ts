// The audit chain against a real database (SQLite file, or PostgreSQL when QUJAT_DATABASE_URL is set).
import type { AuditRow } from "../../server/domain/audit/chain.js";
import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { ManualClock } from "../../server/clock.js";
import { loadConfig } from "../../server/config/index.js";
import { auditAppender } from "../../server/domain/audit/commands.js";
import { auditVerifier } from "../../server/domain/audit/queries.js";
import { createDb, type Db } from "../../server/storage/db.js";
import { migrateLatest } from "../../server/storage/migrations.js";
import { freshDatabase } from "../support/app.js";

describe("audit hash chain (SPEC R5.7)", () => {
  let db: Db, dir: string, drop: () => Promise<void>, env: NodeJS.ProcessEnv;
  const clock = new ManualClock();
  const meta = { actor: { type: "system" as const, id: null } };

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "qujat-audit-"));
    const fresh = await freshDatabase(dir);
    drop = fresh.drop;
    env = { ...process.env, NODE_ENV: "test", QUJAT_DATA_DIR: dir, QUJAT_DATABASE_URL: fresh.url };
    db = createDb(loadConfig(env));
    await migrateLatest(db);
    for (let i = 0; i < 10; i++)
      await db.transaction((tx) => auditAppender(tx, clock, meta, [{ action: "retention.event", details: { i } }]));
  });
  afterEach(async () => {
    await db.destroy();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("verifies an intact chain", async () => {
    const r = await auditVerifier(db, 3);
    expect(r).to.include({ ok: true, count: 10, firstBrokenSeq: null });
    expect(r.checkpoint.seq).to.equal(10);
  });

  it("verifies entries whose text needs escaping (control characters, quotes, non-Latin, emoji)", async () => {
    const tricky = ["a\u0001b\u001f", "tab\tnew\nline\r\b\f", 'quote" back\\ slash /', "Қазақ 😀 \u2028\u2029 \u007f"];
    for (const t of tricky) {
      await db.transaction((tx) =>
        auditAppender(tx, clock, { actor: { type: "anonymous", id: null }, ip: t, requestId: t }, [
          { action: "retention.event", target: { type: t, id: t }, details: { t } },
        ]),
      );
    }
    expect(await auditVerifier(db, 4)).to.include({ ok: true, count: 14 });
    await db("audit_log").where({ seq: 13 }).update({ ip: "a\u0001c" });
    expect(await auditVerifier(db, 4)).to.include({ ok: false, firstBrokenSeq: 13, reason: "altered" });
  });

  it("detects an edited row", async () => {
    await db("audit_log")
      .where({ seq: 4 })
      .update({ details: JSON.stringify({ i: 99 }) });
    expect(await auditVerifier(db, 3)).to.include({ ok: false, firstBrokenSeq: 4, reason: "altered" });
  });

  it("detects a deleted row", async () => {
    await db("audit_log").where({ seq: 6 }).delete();
    expect(await auditVerifier(db)).to.include({ ok: false, firstBrokenSeq: 6, reason: "missing" });
  });

  it("detects reordered rows", async () => {
    const [a, b] = (await Promise.all([
      db("audit_log").where({ seq: 3 }).first(),
      db("audit_log").where({ seq: 7 }).first(),
    ])) as [AuditRow, AuditRow];
    await db("audit_log")
      .where({ seq: 3 })
      .update({ action: b.action, details: b.details, hash: b.hash, prev_hash: b.prev_hash });
    await db("audit_log")
      .where({ seq: 7 })
      .update({ action: a.action, details: a.details, hash: a.hash, prev_hash: a.prev_hash });
    expect(await auditVerifier(db)).to.include({ ok: false, firstBrokenSeq: 3 });
  });

  it("detects an inserted row (renumbered tail)", async () => {
    const rows = await db("audit_log").where("seq", ">=", 5).orderBy("seq", "desc");
    for (const r of rows)
      await db("audit_log")
        .where({ seq: r.seq })
        .update({ seq: Number(r.seq) + 1 });
    const five = (await db("audit_log").where({ seq: 6 }).first())!;
    await db("audit_log").insert({ ...five, seq: 5, action: "forged.event" });
    expect(await auditVerifier(db)).to.include({ ok: false, firstBrokenSeq: 5 });
  });

  it("detects a truncated tail through the checkpoint", async () => {
    await db("audit_log").where("seq", ">", 8).delete();
    expect(await auditVerifier(db)).to.include({ ok: false, firstBrokenSeq: 9, reason: "truncated" });
  });

  it("npx qujat audit:verify exits 0 when intact and 1 naming the broken seq", async function () {
    this.timeout(60_000);
    const run = promisify(execFile);
    const cli = path.resolve("scripts/qujat.mjs");
    const ok = await run("node", [cli, "audit:verify"], { env });
    expect(ok.stdout).to.match(/intact: 10 entries/);
    await db("audit_log").where({ seq: 2 }).update({ outcome: "denied" });
    try {
      await run("node", [cli, "audit:verify"], { env });
      expect.fail("should exit non-zero");
    } catch (e: any) {
      expect(e.code).to.equal(1);
      expect(e.stderr).to.match(/BROKEN at seq 2 \(altered\)/);
    }
  });

  it("never forks under concurrent appends", async () => {
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        db.transaction((tx) => auditAppender(tx, clock, meta, [{ action: "retention.event", details: { i } }])),
      ),
    );
    const r = await auditVerifier(db);
    expect(r).to.include({ ok: true, count: 50 });
  });
});
