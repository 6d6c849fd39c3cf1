// Storage underneath the domain: the blob store's batched durable commits, the SQLite reader
// pool that lets reads proceed while the writing connection is inside a transaction, independent
// statements of one transaction issued together, and the
// batch sizing that keeps long jobs' write transactions within their time budget.
import { expect } from "chai";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough, Readable } from "node:stream";
import { loadConfig, type Config } from "../../server/config/index.js";
import { createFsBlobStore } from "../../server/storage/blobs.js";
import { createDb, createReader, isUniqueViolation, type Db } from "../../server/storage/db.js";
import { migrateLatest } from "../../server/storage/migrations.js";
import { insertStatements, runStatements, sqlRows, sqlRun, statements } from "../../server/storage/statements.js";
import { guard, sqliteScript, sqliteWriter } from "../../server/storage/sqlite/script.js";
import { BatchSizer } from "../../server/storage/writeBudget.js";
import { freshDatabase, onPostgres } from "../support/app.js";
import { sha256 as sha } from "../support/documents.js";

describe("blob store", () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(path.join(os.tmpdir(), "qujat-blobs-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));
  const where = (h: string) => path.join(root, h.slice(0, 2), h.slice(2, 4), h);
  const staging = () => readdirSync(path.join(root, ".staging"));

  it("commits many staged blobs at once (one shared flush): every one is stored whole under its hash, nothing is left in staging", async () => {
    const store = createFsBlobStore(root);
    const bodies = Array.from({ length: 40 }, (_, i) => Buffer.alloc(50_000 + i, i));
    bodies.push(Buffer.from(bodies[3])); // identical content, committed concurrently with its twin
    const staged = await Promise.all(
      bodies.map((b) => store.stage(Readable.from([b.subarray(0, 1000), b.subarray(1000)]))),
    );
    expect(staging()).to.have.length(bodies.length);
    await Promise.all(staged.map((s) => s.commit()));
    for (const b of bodies) expect(readFileSync(where(sha(b))).equals(b)).to.equal(true);
    expect(staging()).to.deep.equal([]);
    expect(staged.map((s) => s.sha256)).to.deep.equal(bodies.map(sha));
  });

  it("a file left at an address by a crash before its flush is replaced by the next commit of that content, not trusted", async () => {
    const store = createFsBlobStore(root);
    const body = Buffer.alloc(70_000, 7);
    const first = await store.put(body);
    writeFileSync(where(first.sha256), Buffer.alloc(100)); // what a crash between rename and flush can leave
    const again = await store.stage(Readable.from([body]));
    await again.commit();
    expect(readFileSync(where(first.sha256)).equals(body)).to.equal(true);
    expect(staging()).to.deep.equal([]);
    await store.close();
  });

  it("a discarded blob leaves nothing; commit after discard, and a second commit, do nothing", async () => {
    const store = createFsBlobStore(root);
    const a = await store.stage(Readable.from([Buffer.from("dropped")]));
    await a.discard();
    await a.commit();
    expect(existsSync(where(a.sha256))).to.equal(false);
    const b = await store.stage(Readable.from([Buffer.from("kept")]));
    await b.commit();
    await b.commit();
    await b.discard();
    expect(readFileSync(where(b.sha256), "utf8")).to.equal("kept");
    expect(staging()).to.deep.equal([]);
  });

  it("a source that fails mid-stream leaves no temp file, and the store still commits others", async () => {
    const store = createFsBlobStore(root);
    const failing = new Readable({
      read() {
        this.push(Buffer.alloc(1000));
        this.destroy(new Error("client went away"));
      },
    });
    let err: unknown;
    await store.stage(failing).catch((e) => {
      err = e;
    });
    expect(String(err)).to.match(/client went away/);
    expect(staging()).to.deep.equal([]);
    const ok = await store.put(Buffer.from("after the failure"));
    expect(readFileSync(where(ok.sha256), "utf8")).to.equal("after the failure");
  });

  it("an upload in flight when the worker thread stops fails; the store starts another worker and keeps working; big files cross in many chunks", async () => {
    const store = createFsBlobStore(root);
    const source = new PassThrough();
    const pending = store.stage(source).then(
      () => null,
      (e: unknown) => e,
    );
    source.write(Buffer.alloc(300 * 1024, 1));
    await new Promise((r) => setTimeout(r, 50));
    await store.close(); // the worker is gone with what it held
    source.end(Buffer.alloc(10, 2));
    expect(await pending).to.be.instanceOf(Error);
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i += 4096) big[i] = i % 251;
    const staged = await store.stage(Readable.from([big.subarray(0, 1_000_000), big.subarray(1_000_000)]));
    expect(staged.sha256).to.equal(sha(big));
    await staged.commit();
    expect(readFileSync(where(staged.sha256)).equals(big)).to.equal(true);
    await store.close();
  });
});

/** A fresh migrated database (a SQLite file, or a PostgreSQL database when configured) for `run`, removed afterwards. */
async function withDatabase(prefix: string, run: (db: Db, env: { dataDir: string; config: Config }) => Promise<void>) {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const database = await freshDatabase(dataDir);
  const config = loadConfig({
    ...process.env,
    NODE_ENV: "test",
    QUJAT_DATA_DIR: dataDir,
    QUJAT_DATABASE_URL: database.url,
  });
  const db = createDb(config);
  try {
    await migrateLatest(db);
    await run(db, { dataDir, config });
  } finally {
    await db.destroy();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const org = (n: number, external = false) => ({
  id: `00000000-0000-4000-8000-00000000000${n}`,
  name: `Org ${n}`,
  country: "KZ",
  bin: `10000000000${n}`,
  external,
  status: "active",
  created_at: "x",
  updated_at: "x",
});

describe("database reader", () => {
  it("reads while the writing connection holds a transaction open, and sees only what was committed", () =>
    withDatabase("qujat-reader-", async (db, { config }) => {
      const reader = createReader(config, db);
      try {
        if (!onPostgres()) expect(reader).to.not.equal(db); // SQLite: its own read-only connections
        const row = {
          id: "00000000-0000-4000-8000-000000000001",
          name: "Committed",
          country: "KZ",
          bin: "100000000001",
          status: "active",
          created_at: "x",
          updated_at: "x",
        };
        await db("organizations").insert(row);
        let release!: () => void;
        const held = new Promise<void>((r) => {
          release = r;
        });
        let inside!: () => void;
        const entered = new Promise<void>((r) => {
          inside = r;
        });
        const writer = db.transaction(async (tx) => {
          await tx("organizations").where({ id: row.id }).update({ name: "Uncommitted" });
          inside();
          await held;
        });
        await entered;
        // With one SQLite connection this read would wait for the transaction, which waits for it.
        const seen = await Promise.race([
          reader("organizations").where({ id: row.id }).first("name"),
          new Promise((_, reject) => setTimeout(() => reject(new Error("the read waited for the writer")), 3000)),
        ]);
        expect(seen).to.deep.equal({ name: "Committed" });
        release();
        await writer;
        expect(await reader("organizations").where({ id: row.id }).first("name")).to.deep.equal({
          name: "Uncommitted",
        });
        if (!onPostgres()) {
          const refused = await reader("organizations")
            .insert({ ...row, id: "00000000-0000-4000-8000-000000000002", bin: "100000000002" })
            .then(
              () => "written",
              (e: Error) => e.message,
            );
          expect(refused).to.match(/readonly|read-only|query_only/i);
        }
      } finally {
        if (reader !== db) await reader.destroy();
      }
    }));
});

describe("independent statements of one transaction", () => {
  it("all commit together; when one fails, the error comes after every other statement has settled, and the rollback keeps none", () =>
    withDatabase("qujat-statements-", async (db) => {
      await db.transaction((tx) =>
        statements(
          tx,
          [1, 2, 3].map((n) => () => tx("organizations").insert(org(n))),
        ),
      );
      expect((await db("organizations").count({ n: "*" }))[0].n).to.equal(onPostgres() ? "3" : 3);
      const settled: number[] = [];
      const failure = await db
        .transaction((tx) =>
          statements(tx, [
            () =>
              tx("organizations")
                .insert(org(4))
                .then(() => {
                  settled.push(4);
                }),
            () => tx("organizations").insert(org(1)), // the same id again: refused
            () =>
              new Promise((r) => setTimeout(r, 50))
                .then(() => tx("organizations").insert(org(5)))
                .then(() => {
                  settled.push(5);
                }),
          ]),
        )
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(isUniqueViolation(failure)).to.equal(true);
      // SQLite: all were running, and all settled first. PostgreSQL: one after another, none after the failure.
      expect(settled.sort()).to.deep.equal(onPostgres() ? [4] : [4, 5]);
      expect((await db("organizations").whereIn("id", [org(4).id, org(5).id])).length).to.equal(0);
    }));
});

describe("our own SQL in a transaction (sqlRows, sqlRun, insertStatements)", () => {
  it("inserts many rows at once, reads and counts changes; a refused statement is a unique violation, rolls back, and the same SQL works again; the database closes", () =>
    withDatabase("qujat-sql-", async (db, { dataDir }) => {
      const names = async () =>
        (await db("organizations").orderBy("id").select("name", "external")).map(
          (r) => `${r.name}:${Boolean(r.external)}`,
        );
      for (let round = 0; round < 2; round++) {
        // the second round runs the statements SQLite kept
        const [a, b, c] = [1, 2, 3].map((n) => org(n + round * 3, n === 2));
        const changed = await db.transaction(async (tx) => {
          expect(await runStatements(tx, insertStatements("organizations", [a, b, c], 2))).to.deep.equal([2, 1]);
          const rows = await sqlRows<{ name: string }>(
            tx,
            `select "name" from "organizations" where "id" in (?, ?) order by "id"`,
            [a.id, c.id],
          );
          expect(rows.map((r) => r.name)).to.deep.equal([a.name, c.name]);
          return sqlRun(tx, `update "organizations" set "name" = "name" || '!' where "external" = ?`, [true]);
        });
        expect(changed).to.equal(round + 1); // every external one so far
      }
      expect(await names()).to.deep.equal([
        "Org 1:false",
        "Org 2!!:true",
        "Org 3:false",
        "Org 4:false",
        "Org 5!:true",
        "Org 6:false",
      ]);
      const failure = await db
        .transaction(async (tx) => {
          await runStatements(tx, insertStatements("organizations", [org(7)], 10));
          await runStatements(tx, insertStatements("organizations", [org(1)], 10)); // that id again
        })
        .then(
          () => null,
          (e: unknown) => e,
        );
      expect(isUniqueViolation(failure), String(failure)).to.equal(true);
      expect((await db("organizations").where({ id: org(7).id })).length).to.equal(0);
      await db.transaction((tx) => runStatements(tx, insertStatements("organizations", [org(7)], 10)));
      expect((await db("organizations").where({ id: org(7).id })).length).to.equal(1);
      expect(() => insertStatements("organizations", [org(8), { ...org(9), extra: 1 }], 10)).to.throw(
        /different columns/,
      );
      await db.destroy();
      // SQLite refuses to close a connection whose statements are not finalized (and knex does not
      // say so): the file would stay open.
      const open = readdirSync("/proc/self/fd").filter((fd) => {
        try {
          return readlinkSync(`/proc/self/fd/${fd}`).startsWith(dataDir);
        } catch {
          return false;
        }
      });
      expect(open, "file descriptors still open on the database").to.deep.equal([]);
    }));
});

describe("a SQLite script on the writing connection (sqliteScript, sqliteWriter)", () => {
  const tricky = [
    "it's",
    "''",
    "a ? b",
    '\\ "quoted" \\n',
    "line\nbreak\ttab",
    "Қазақ тілі — українська ✓ 𝄞 🙂",
    "'); drop table organizations; --",
    "x".repeat(300),
    "",
  ];

  it("stores every value as binding it would; a guard or a refused statement rolls the whole script back; a value without a literal gives no script", () =>
    withDatabase("qujat-script-", async (db) => {
      const row = (i: number, name: string, external: boolean) => ({
        ...org(1, external),
        id: `00000000-0000-4000-8000-${String(100 + i).padStart(12, "0")}`,
        bin: `2${String(100 + i).padStart(11, "0")}`,
        name,
      });
      const bound = tricky.map((name, i) => row(i, name, i % 2 === 0));
      const scripted = tricky.map((name, i) => row(i + tricky.length, name, i % 2 === 0));
      await db.transaction((tx) => runStatements(tx, insertStatements("organizations", bound, 4)));
      const script = sqliteScript(insertStatements("organizations", scripted, 4));
      const wrote = await sqliteWriter(db, (w) => w.transaction(script!).then(() => true));
      if (onPostgres()) {
        expect(wrote).to.equal(null); // the script is SQLite's: PostgreSQL takes the transaction
        return;
      }
      const read = (rows: Array<{ id: string }>) =>
        sqlRows<Record<string, unknown>>(
          db,
          `select "name", typeof("name") as "t", "external", typeof("external") as "te" from "organizations" where "id" in (${rows.map(() => "?").join(",")}) order by "name", "external"`,
          rows.map((r) => r.id),
        );
      expect(await read(scripted)).to.deep.equal(await read(bound));
      expect((await read(scripted)).map((r) => r.name)).to.have.members(tricky);
      const count = async () => Number((await db("organizations").count({ c: "*" }).first())!.c);
      const before = await count();
      // A statement that must change a row and changes none: the guard after it fails, nothing stays.
      const refused = async (list: Parameters<typeof sqliteScript>[0]) =>
        sqliteWriter(db, (w) => w.transaction(sqliteScript(list)!)).then(
          () => null,
          (e: Error) => e,
        );
      const noChange = await refused([
        ...insertStatements("organizations", [row(50, "kept?", false)], 1),
        {
          sql: `update "organizations" set "name" = ? where "id" = ?`,
          bindings: ["never", "no such id"],
          orElse: async () => new Error("unused"),
        },
      ]);
      expect(noChange?.message).to.match(/CHECK constraint failed: guard_failed/);
      const guarded = await refused([
        ...insertStatements("organizations", [row(51, "kept?", false)], 1),
        guard(`(select count(*) from "organizations") > ?`, [0]),
      ]);
      expect(guarded?.message).to.match(/guard_failed/);
      const unique = await refused([
        ...insertStatements("organizations", [row(52, "kept?", false)], 1),
        ...insertStatements("organizations", [bound[0]], 1),
      ]);
      expect(isUniqueViolation(unique), String(unique)).to.equal(true);
      expect(await count()).to.equal(before);
      // The connection is free and in no transaction afterwards: knex writes on it as before.
      await db.transaction((tx) => runStatements(tx, insertStatements("organizations", [row(53, "after", false)], 1)));
      expect(await count()).to.equal(before + 1);
      expect(sqliteScript(insertStatements("organizations", [row(54, "nul \0 inside", false)], 1))).to.equal(null);
      expect(sqliteScript([{ sql: `select ?`, bindings: [0.1] }])).to.equal(null);
      expect(sqliteScript([{ sql: `select ?`, bindings: [2 ** 53] }])).to.equal(null);
      expect(sqliteScript([{ sql: `select ?, ?, ?`, bindings: [-7, true, null] }])).to.equal("select -7, 1, NULL");
      expect(() => sqliteScript([{ sql: `select ?`, bindings: [] }])).to.throw(/0 bindings for 1 placeholders/);
    }));
});

describe("write budget batch sizing", () => {
  /** Batch sizes a job would pick, one after another, when a batch of n rows takes cost(n, i) ms. */
  const sizes = (cost: (n: number, i: number) => number, budget: number, max: number, batches = 60) => {
    const sizer = new BatchSizer(budget, max);
    const out = [sizer.limit];
    for (let i = 1; i < batches; i++) out.push(sizer.record(out[i - 1], cost(out[i - 1], i)));
    return out;
  };

  it("grows past one row when a transaction's fixed cost takes most of the budget, and settles within it", () => {
    // 6 ms of round trips plus 0.5 ms a row, budget 10 ms: 8 rows fit.
    const s = sizes((n) => 6 + 0.5 * n, 10, 500);
    expect(
      s.slice(-10).every((n) => n >= 7 && n <= 9),
      s.join(","),
    ).to.equal(true);
    expect(
      s.every((n) => 6 + 0.5 * n <= 10.5),
      s.join(","),
    ).to.equal(true);
  });

  it("at most halves a batch after a stall that has nothing to do with its size", () => {
    // Every fourth batch waits 25 ms for something else; 30 rows fit the budget of 10 ms.
    const s = sizes((n, i) => 1 + 0.3 * n + (i % 4 === 0 ? 25 : 0), 10, 500);
    expect(
      s.slice(-20).every((n) => n >= 14 && n <= 33),
      s.join(","),
    ).to.equal(true);
    expect(s.slice(-20).reduce((a, b) => a + b) / 20, s.join(",")).to.be.above(20);
  });

  it("follows rows that really cost more at once to twice the budget, then to the budget; never grows past ×1.5 or the maximum", () => {
    const cost = (n: number, i: number) => (i < 30 ? 0.1 : 2) * n;
    const s = sizes(cost, 10, 100);
    expect(s[29]).to.equal(100);
    expect(
      s.slice(31).every((n, k) => cost(n, 31 + k) <= 20),
      s.join(","),
    ).to.equal(true);
    expect(
      s.slice(36).every((n, k) => cost(n, 36 + k) <= 12),
      s.join(","),
    ).to.equal(true);
    s.slice(1).forEach((n, i) => expect(n).to.be.at.most(Math.ceil(s[i] * 1.5) + 1));
  });
});
