// Group commit of audit entries outside a command's transaction, against a real database.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { ManualClock } from "../../server/clock.js";
import { loadConfig } from "../../server/config/index.js";
import { AuditJournal } from "../../server/domain/audit/journal.js";
import { auditAppender } from "../../server/domain/audit/commands.js";
import { auditVerifier } from "../../server/domain/audit/queries.js";
import { createDb, type Db } from "../../server/storage/db.js";
import { migrateLatest } from "../../server/storage/migrations.js";
import { freshDatabase } from "../support/app.js";

describe("audit journal (group commit)", () => {
  let db: Db, dir: string, drop: () => Promise<void>;
  const clock = new ManualClock();
  const actor = (i: number) => ({ actor: { type: "user" as const, id: `u${i}` }, ip: "10.0.0.1", requestId: `r${i}` });

  beforeEach(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "qujat-journal-"));
    const fresh = await freshDatabase(dir);
    drop = fresh.drop;
    db = createDb(loadConfig({ ...process.env, NODE_ENV: "test", QUJAT_DATA_DIR: dir, QUJAT_DATABASE_URL: fresh.url }));
    await migrateLatest(db);
  });
  afterEach(async () => {
    await db.destroy();
    await drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("batches concurrent callers into few transactions, each caller gets its own committed rows", async () => {
    const journal = new AuditJournal(db, clock);
    let transactions = 0;
    db.on("query", (q: { sql: string }) => {
      if (/^(begin|BEGIN)/.test(q.sql)) transactions++;
    });
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        journal.record(actor(i), [
          { action: "document.download", target: { type: "document", id: `d${i}` } },
          { action: "document.evidence_download" },
        ]),
      ),
    );
    results.forEach((rows, i) => {
      expect(rows.map((r) => r.action)).to.deep.equal(["document.download", "document.evidence_download"]);
      expect(rows[0]).to.include({ actor_id: `u${i}`, request_id: `r${i}`, target_id: `d${i}` });
      expect(rows[1].seq).to.equal(rows[0].seq + 1);
    });
    const stored = await db("audit_log").where({ seq: results[123][0].seq }).first();
    expect(stored).to.include({ actor_id: "u123", target_id: "d123", hash: results[123][0].hash });
    expect(transactions).to.be.within(1, 20);
    expect(await auditVerifier(db)).to.include({ ok: true, count: 600 });
  });

  it("interleaves with command transactions without forking the chain", async () => {
    const journal = new AuditJournal(db, clock);
    await Promise.all(
      Array.from({ length: 60 }, (_, i) =>
        i % 3 === 0
          ? db.transaction((tx) => auditAppender(tx, clock, actor(i), [{ action: "document.register" }]))
          : journal.record(actor(i), [{ action: "access.denied", outcome: "denied" }]),
      ),
    );
    await journal.flush();
    expect(await auditVerifier(db)).to.include({ ok: true, count: 60 });
  });

  it("a caller whose entry cannot be written is refused alone; the others in its batch are kept", async () => {
    const journal = new AuditJournal(db, clock);
    const unserializable = {
      action: "retention.event" as const,
      details: { big: 1n } as unknown as Record<string, unknown>,
    };
    const outcomes = await Promise.allSettled([
      journal.record(actor(1), [{ action: "auth.login" }]),
      journal.record(actor(2), [{ action: "billing.read" }, unserializable]),
      journal.record(actor(3), [{ action: "auth.logout" }]),
    ]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(["fulfilled", "rejected", "fulfilled"]);
    const actions = (await db("audit_log").orderBy("seq").select("action")).map((r) => r.action);
    expect(actions).to.deep.equal(["auth.login", "auth.logout"]);
    expect(await auditVerifier(db)).to.include({ ok: true, count: 2 });
  });
});
