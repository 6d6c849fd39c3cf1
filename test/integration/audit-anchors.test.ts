// The audit log without an HSM (SPEC R5.7): entries and head carry MACs under a key kept outside
// the database, and anchors of the head go outside too (the anchor file, the compliance officers'
// mail). Nineteen ways of rewriting the log in the database — each applied inside a transaction
// that is rolled back afterwards — must all be caught by `audit:verify --anchors`; the ones that
// need the key file as well are caught by the anchors alone.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { Knex } from "knex";
import { chainHash, GENESIS_HASH, type AuditRow } from "../../server/domain/audit/chain.js";
import { auditKeyOf, headMac, rowMac } from "../../server/domain/audit/key.js";
import { auditVerifier } from "../../server/domain/audit/queries.js";
import { anchorsChecker, parseAnchors } from "../../server/domain/audit/anchors.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { buildOrganization, buildUser } from "../support/factories.js";

const root = path.resolve(import.meta.dirname, "../..");

describe("audit anchoring without an HSM", () => {
  let app: TestApp;
  let officer: { id: string };

  before(async () => {
    app = await startTestApp();
    officer = await buildUser(app, [{ role: "compliance_officer" }]);
    for (let i = 0; i < 4; i++) await buildOrganization(app, { name: `Audit ${i}` });
    expect(await app.deps.jobs.runNow("audit.anchor")).to.include({ outcome: "success" });
    for (let i = 0; i < 4; i++) await buildOrganization(app, { name: `Audit later ${i}` });
    expect(await app.deps.jobs.runNow("audit.anchor")).to.include({ outcome: "success" });
  });
  after(() => app.close());

  const anchors = () => parseAnchors(readFileSync(app.config.audit.anchorFile, "utf8"));

  it("an anchor is a line in the anchor file, a stored row and a notice to each compliance officer", async () => {
    const lines = anchors();
    expect(lines).to.have.length(2);
    const head = await app.db("audit_head").first("seq", "hash");
    expect(lines[1].anchor.seq).to.be.at.most(Number(head.seq));
    expect(lines[1].anchor.seq).to.be.greaterThan(lines[0].anchor.seq);
    expect(Number((await app.db("audit_anchors").count({ c: "*" }).first())!.c)).to.equal(2);
    const notices = await app.db("outbox").where({ topic: "audit.anchor", user_id: officer.id });
    expect(notices).to.have.length(2);
    expect(JSON.parse(notices[1].payload)).to.include({ seq: lines[1].anchor.seq, hash: lines[1].anchor.hash });
    const verified = await auditVerifier(app.db);
    expect(verified.ok, JSON.stringify(verified)).to.equal(true);
    expect(verified.keyedFrom).to.equal(1);
  });

  /** Applies `change` in a transaction, verifies there (chain, MACs, anchors), then rolls back. */
  async function caught(change: (tx: Knex.Transaction, ctx: Ctx) => Promise<void>) {
    const tx = await app.db.transaction();
    try {
      const rows = await tx("audit_log").orderBy("seq");
      const head = await tx("audit_head").first();
      await change(tx, { rows, head, key: auditKeyOf(app.db)!.key });
      const chain = await auditVerifier(tx);
      const checks = await anchorsChecker(tx, anchors(), null);
      return { chain: chain.ok ? null : chain.reason, anchors: checks.filter((c) => !c.ok).map((c) => c.problem) };
    } finally {
      await tx.rollback();
    }
  }
  interface Ctx {
    rows: Array<Record<string, any>>;
    head: Record<string, any>;
    key: Buffer;
  }

  /** Recomputes hashes (and, with `key`, MACs) from `fromSeq` on, and moves the head to the result. */
  async function rechain(
    tx: Knex.Transaction,
    fromSeq: number,
    key: Buffer | null,
    macs: "keep" | "recompute" = "recompute",
  ) {
    const rows = await tx("audit_log").orderBy("seq");
    let prev = GENESIS_HASH;
    for (const r of rows) {
      if (r.seq >= fromSeq) {
        const hash = chainHash(prev, { ...r, seq: Number(r.seq) });
        const set: Record<string, unknown> = { prev_hash: prev, hash };
        if (macs === "recompute") set.mac = key ? rowMac(key, hash) : null;
        await tx("audit_log").where({ seq: r.seq }).update(set);
        prev = hash;
      } else prev = r.hash;
    }
    const last = rows[rows.length - 1];
    await tx("audit_head")
      .where({ id: 1 })
      .update({ seq: Number(last.seq), hash: prev, mac: key ? headMac(key, Number(last.seq), prev) : null });
  }
  const forged = (seq: number, prev: string) => {
    const base = {
      seq,
      at: "2026-03-02T09:00:00.000Z",
      actor_type: "system",
      actor_id: null,
      action: "user.create",
      target_type: "user",
      target_id: null,
      organization_id: null,
      outcome: "success",
      ip: null,
      request_id: null,
      details: "{}",
    };
    return { ...base, prev_hash: prev, hash: chainHash(prev, base) };
  };
  const middle = (c: Ctx) => c.rows[Math.floor(c.rows.length / 3)];
  const last = (c: Ctx) => c.rows[c.rows.length - 1];

  // Without the key: the database alone is rewritten.
  const withoutKey: Array<[string, (tx: Knex.Transaction, c: Ctx) => Promise<void>]> = [
    [
      "a row's details edited",
      async (tx, c) =>
        void (await tx("audit_log")
          .where({ seq: middle(c).seq })
          .update({ details: '{"x":1}' })),
    ],
    [
      "a row edited and its hash recomputed",
      async (tx, c) => {
        const r = middle(c);
        await tx("audit_log")
          .where({ seq: r.seq })
          .update({
            actor_id: null,
            hash: chainHash(r.prev_hash, { ...(r as AuditRow), actor_id: null, seq: Number(r.seq) }),
          });
      },
    ],
    [
      "a row edited and every later hash recomputed, head moved",
      async (tx, c) => {
        await tx("audit_log")
          .where({ seq: middle(c).seq })
          .update({ action: "user.read" });
        await rechain(tx, Number(middle(c).seq), null, "keep");
      },
    ],
    [
      "a row deleted",
      async (tx, c) =>
        void (await tx("audit_log")
          .where({ seq: middle(c).seq })
          .delete()),
    ],
    [
      "a row deleted, the rest renumbered and rechained",
      async (tx, c) => {
        const m = Number(middle(c).seq);
        await tx("audit_log").where({ seq: m }).delete();
        for (const r of c.rows.filter((r) => Number(r.seq) > m))
          await tx("audit_log")
            .where({ seq: r.seq })
            .update({ seq: Number(r.seq) - 1 });
        await rechain(tx, m, null, "keep");
      },
    ],
    [
      "the last 10 rows cut",
      async (tx, c) =>
        void (await tx("audit_log")
          .where("seq", ">", Number(last(c).seq) - 10)
          .delete()),
    ],
    [
      "the last 10 rows cut and the head moved back",
      async (tx, c) => {
        const keep = c.rows[c.rows.length - 11];
        await tx("audit_log").where("seq", ">", Number(keep.seq)).delete();
        await tx("audit_head")
          .where({ id: 1 })
          .update({ seq: Number(keep.seq), hash: keep.hash });
      },
    ],
    [
      "a forged row appended",
      async (tx, c) => void (await tx("audit_log").insert(forged(Number(last(c).seq) + 1, last(c).hash))),
    ],
    [
      "a forged row appended with a correct hash and the head moved",
      async (tx, c) => {
        const f = forged(Number(last(c).seq) + 1, last(c).hash);
        await tx("audit_log").insert(f);
        await tx("audit_head").where({ id: 1 }).update({ seq: f.seq, hash: f.hash });
      },
    ],
    [
      "a forged row appended with another row's MAC and the head's copied",
      async (tx, c) => {
        const f = forged(Number(last(c).seq) + 1, last(c).hash);
        await tx("audit_log").insert({ ...f, mac: last(c).mac });
        await tx("audit_head").where({ id: 1 }).update({ seq: f.seq, hash: f.hash, mac: c.head.mac });
      },
    ],
    [
      "two rows' contents swapped",
      async (tx, c) => {
        const [a, b] = [c.rows[3], c.rows[4]];
        await tx("audit_log").where({ seq: a.seq }).update({ action: b.action, details: b.details });
        await tx("audit_log").where({ seq: b.seq }).update({ action: a.action, details: a.details });
      },
    ],
    [
      "a prev_hash relinked",
      async (tx, c) =>
        void (await tx("audit_log")
          .where({ seq: middle(c).seq })
          .update({ prev_hash: GENESIS_HASH })),
    ],
    [
      "the head's hash edited",
      async (tx) =>
        void (await tx("audit_head")
          .where({ id: 1 })
          .update({ hash: "f".repeat(64) })),
    ],
    [
      "every MAC removed",
      async (tx) => {
        await tx("audit_log").update({ mac: null });
        await tx("audit_head").update({ mac: null });
      },
    ],
    [
      "everything deleted and the head reset to the start",
      async (tx) => {
        await tx("audit_log").delete();
        await tx("audit_head").where({ id: 1 }).update({ seq: 0, hash: GENESIS_HASH, mac: null });
      },
    ],
    [
      "a row inserted in the middle, the rest renumbered and rechained",
      async (tx, c) => {
        const m = Number(middle(c).seq);
        for (const r of [...c.rows].reverse().filter((r) => Number(r.seq) >= m))
          await tx("audit_log")
            .where({ seq: r.seq })
            .update({ seq: Number(r.seq) + 1 });
        await tx("audit_log").insert(forged(m, GENESIS_HASH));
        await rechain(tx, m, null, "keep");
      },
    ],
    [
      "a timestamp edited and every later hash recomputed",
      async (tx, c) => {
        await tx("audit_log")
          .where({ seq: middle(c).seq })
          .update({ at: "2020-01-01T00:00:00.000Z" });
        await rechain(tx, Number(middle(c).seq), null, "keep");
      },
    ],
  ];
  // With the key file too (SQLite keeps it beside the database): only the anchors outside catch these.
  const withKey: Array<[string, (tx: Knex.Transaction, c: Ctx) => Promise<void>]> = [
    [
      "with the key: a row edited and everything after it recomputed, MACs and head included",
      async (tx, c) => {
        await tx("audit_log")
          .where({ seq: middle(c).seq })
          .update({ action: "user.read" });
        await rechain(tx, Number(middle(c).seq), c.key);
      },
    ],
    [
      "with the key: the last 10 rows cut and the head moved and re-MACed",
      async (tx, c) => {
        const keep = c.rows[c.rows.length - 11];
        await tx("audit_log").where("seq", ">", Number(keep.seq)).delete();
        await tx("audit_head")
          .where({ id: 1 })
          .update({ seq: Number(keep.seq), hash: keep.hash, mac: headMac(c.key, Number(keep.seq), keep.hash) });
      },
    ],
  ];

  it("19 rewrites of the log in the database: every one is caught", async () => {
    expect(withoutKey.length + withKey.length).to.equal(19);
    const missed: string[] = [];
    for (const [name, change] of withoutKey) {
      const r = await caught(change);
      if (!r.chain && r.anchors.length === 0) missed.push(name);
    }
    for (const [name, change] of withKey) {
      const r = await caught(change);
      if (r.anchors.length === 0) missed.push(name);
    }
    expect(missed, "not caught").to.deep.equal([]);
    // Rolled back: the log itself is intact.
    expect((await auditVerifier(app.db)).ok).to.equal(true);
  });

  it("npx qujat audit:verify --anchors FILE: 0 on the intact log, 1 with a message once a cut breaks an anchor", async () => {
    const env = {
      ...process.env,
      NODE_ENV: "test",
      QUJAT_DATA_DIR: app.dataDir,
      QUJAT_DATABASE_URL: app.config.database.url ?? "",
      QUJAT_TRUST_DIR: app.config.pki.trustDir,
    };
    const cli = (args: string[]) => {
      try {
        return {
          code: 0,
          out: execFileSync("node", ["--import", "tsx", "scripts/qujat.mjs", ...args], {
            cwd: root,
            env,
            stdio: "pipe",
          }).toString(),
        };
      } catch (e) {
        const err = e as { status: number; stdout: Buffer; stderr: Buffer };
        return { code: err.status, out: err.stdout.toString() + err.stderr.toString() };
      }
    };
    const ok = cli(["audit:verify", "--anchors", app.config.audit.anchorFile]);
    expect(ok.code, ok.out).to.equal(0);
    expect(ok.out).to.match(/2 anchors hold/);
    // With the key in hand, the tail cut and the head re-MACed: the chain alone passes, the anchor does not.
    const { key } = auditKeyOf(app.db)!;
    const rows = await app.db("audit_log").orderBy("seq", "desc").limit(20);
    const keep = rows[rows.length - 1];
    await app.db("audit_log").where("seq", ">", Number(keep.seq)).delete();
    await app
      .db("audit_head")
      .where({ id: 1 })
      .update({ seq: Number(keep.seq), hash: keep.hash, mac: headMac(key, Number(keep.seq), keep.hash) });
    const bad = cli(["audit:verify", "--anchors", app.config.audit.anchorFile]);
    expect(bad.code, bad.out).to.equal(1);
    expect(bad.out).to.match(/anchor of entry \d+ .* BROKEN: the chain ends at/);
  });
});
