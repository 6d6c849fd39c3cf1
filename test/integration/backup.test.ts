// The restore drill (SPEC R5.1; docs/operations.md "Backup and restore"): `npx qujat backup DIR`
// runs while documents keep being registered; the backup verifies; `npx qujat restore DIR` into an
// empty data directory (and, on PostgreSQL, a new database); then `audit:verify` passes there and
// every document acknowledged before the backup began — and every later one the backup holds —
// has its bytes, byte for byte. A damaged backup is refused, and so is a target that is not empty.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import knexFactory from "knex";
import { freshDatabase, startTestApp, type TestApp } from "../support/app.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import { documentForm, invoiceFields, pdf } from "../support/documents.js";
import { s3Settings } from "../support/s3.js";
import { openBlobStore } from "../../server/storage/blobs.js";
import { buffer } from "node:stream/consumers";

const root = path.resolve(import.meta.dirname, "../..");
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");

describe("backup and restore", function () {
  this.timeout(300_000);
  let app: TestApp;
  let clerk: BuiltUser;
  let buyer: { id: string };
  let n = 0;
  const scratch: string[] = [];
  const drops: Array<() => Promise<void>> = [];

  before(async () => {
    app = await startTestApp();
    const seller = await buildOrganization(app, { name: "Seller LLP" });
    buyer = await buildOrganization(app, { name: "Buyer LLP" });
    clerk = await buildUser(app, [{ role: "clerk", organizationId: seller.id, branchId: seller.headOfficeId }]);
  });
  after(async () => {
    await app.close();
    for (const d of scratch) rmSync(d, { recursive: true, force: true });
    for (const drop of drops) await drop();
  });

  const dirOf = (prefix: string) => {
    const d = mkdtempSync(path.join(os.tmpdir(), prefix));
    scratch.push(d);
    return d;
  };

  /** `npx qujat …` against a data directory and database of our choosing. */
  function qujat(args: string[], target: { dataDir: string; databaseUrl: string; env?: Record<string, string> }) {
    return new Promise<{ code: number | null; out: string }>((resolve) => {
      const child = spawn(process.execPath, ["scripts/qujat.mjs", ...args], {
        cwd: root,
        env: {
          ...process.env,
          NODE_ENV: "test",
          QUJAT_DATA_DIR: target.dataDir,
          QUJAT_DATABASE_URL: target.databaseUrl,
          QUJAT_TRUST_DIR: app.config.pki.trustDir,
          ...target.env,
        },
      });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      child.on("exit", (code) => resolve({ code, out }));
    });
  }
  const here = () => ({ dataDir: app.dataDir, databaseUrl: app.config.database.url ?? "" });

  async function register() {
    const bytes = pdf(`backup ${++n} ${Math.random()}`);
    const r = await clerk.client.upload(
      "/api/v1/documents",
      documentForm(
        { kind: "invoice", recipient: { organizationId: buyer.id }, fields: invoiceFields({ number: `B-${n}` }) },
        { bytes, name: `b${n}.pdf`, type: "application/pdf" },
      ),
    );
    return r.status === 201 ? { id: r.body.id as string, bytes } : null;
  }

  it("backed up while registering, verified, restored elsewhere: audit:verify passes and every acknowledged document's bytes match", async () => {
    const before: Array<{ id: string; bytes: Buffer }> = [];
    for (let i = 0; i < 30; i++) before.push((await register())!);
    const backupDir = path.join(dirOf("qujat-backup-"), "b1");

    // Registrations go on while the backup runs.
    const during: Array<{ id: string; bytes: Buffer }> = [];
    let running = true;
    const load = (async () => {
      while (running) {
        const d = await register();
        if (d) during.push(d);
      }
    })();
    const made = await qujat(["backup", backupDir], here());
    running = false;
    await load;
    expect(made.code, made.out).to.equal(0);
    expect(made.out).to.match(/backup complete/);
    expect(during.length, "registrations ran during the backup").to.be.greaterThan(0);

    const verified = await qujat(["backup:verify", backupDir], here());
    expect(verified.code, verified.out).to.equal(0);
    expect(verified.out).to.match(/backup intact/);

    // Restore into an empty data directory (and database).
    const target = { dataDir: dirOf("qujat-restored-"), databaseUrl: "" };
    if (app.config.database.url) {
      const db = await freshDatabase(target.dataDir);
      drops.push(db.drop);
      target.databaseUrl = db.url;
    }
    const restored = await qujat(["restore", backupDir], target);
    expect(restored.code, restored.out).to.equal(0);
    // The restored log proves its chain and its MACs (the audit key came with the backup).
    const plain = await qujat(["audit:verify"], target);
    expect(plain.code, plain.out).to.equal(0);
    expect(plain.out).to.match(/audit log intact: \d+ entries, head [0-9a-f]{64}; MACs checked from entry \d+/);

    const db = target.databaseUrl
      ? knexFactory({ client: "pg", connection: target.databaseUrl })
      : knexFactory({
          client: "sqlite3",
          connection: { filename: path.join(target.dataDir, "qujat.sqlite") },
          useNullAsDefault: true,
        });
    try {
      const bytesOf = async (id: string) => {
        const f = await db("document_files").where({ document_id: id, role: "content" }).first("sha256");
        if (!f) return null;
        const h = f.sha256 as string;
        return readFileSync(path.join(target.dataDir, "blobs", h.slice(0, 2), h.slice(2, 4), h));
      };
      for (const d of before) {
        const got = await bytesOf(d.id);
        expect(got, `document ${d.id} acknowledged before the backup`).to.not.equal(null);
        expect(sha256(got!)).to.equal(sha256(d.bytes));
      }
      let held = 0;
      for (const d of during) {
        const got = await bytesOf(d.id);
        if (!got) continue;
        held++;
        expect(sha256(got)).to.equal(sha256(d.bytes));
      }
      const total = Number((await db("documents").count({ c: "*" }).first())!.c);
      expect(total).to.equal(before.length + held);
    } finally {
      await db.destroy();
    }

    // A restore goes only into an empty target.
    const again = await qujat(["restore", backupDir], target);
    expect(again.code).to.equal(1);
    expect(again.out).to.match(/not empty|already holds|exists/);

    // A damaged backup is named and refused.
    const blobDir = path.join(backupDir, "blobs");
    const a = readdirSync(blobDir)[0];
    const b = readdirSync(path.join(blobDir, a))[0];
    const victim = path.join(blobDir, a, b, readdirSync(path.join(blobDir, a, b))[0]);
    writeFileSync(victim, Buffer.concat([readFileSync(victim), Buffer.from("x")]));
    const damaged = await qujat(["backup:verify", backupDir], here());
    expect(damaged.code).to.equal(1);
    expect(damaged.out).to.include(`BROKEN ${path.relative(backupDir, victim)}: changed since the backup`);
    const refused = await qujat(["restore", backupDir], { dataDir: dirOf("qujat-restored-"), databaseUrl: "" });
    expect(refused.code).to.equal(1);
    expect(refused.out).to.match(/the backup is damaged/);
  });

  it("blobs in S3 object storage (real Swift): the backup reads them through the store, the restore puts them into a new bucket", async () => {
    const from = s3Settings();
    const s3App = await startTestApp({ blobs: { store: "s3", s3: from } });
    const env = (s: typeof from) => ({
      QUJAT_BLOB_STORE: "s3",
      QUJAT_S3_ENDPOINT: s.endpoint,
      QUJAT_S3_BUCKET: s.bucket,
      QUJAT_S3_ACCESS_KEY_ID: s.accessKeyId,
      QUJAT_S3_SECRET_ACCESS_KEY: s.secretAccessKey,
    });
    try {
      const seller = await buildOrganization(s3App, { name: "S3 Seller LLP" });
      const to = await buildOrganization(s3App, { name: "S3 Buyer LLP" });
      const c = await buildUser(s3App, [{ role: "clerk", organizationId: seller.id, branchId: seller.headOfficeId }]);
      const docs: Buffer[] = [];
      for (let i = 0; i < 5; i++) {
        const bytes = pdf(`s3 backup ${i} ${Math.random()}`);
        const r = await c.client.upload(
          "/api/v1/documents",
          documentForm(
            { kind: "invoice", recipient: { organizationId: to.id }, fields: invoiceFields({ number: `S-${i}` }) },
            { bytes, name: `s${i}.pdf`, type: "application/pdf" },
          ),
        );
        expect(r.status).to.equal(201);
        docs.push(bytes);
      }
      const backupDir = path.join(dirOf("qujat-backup-"), "s3");
      const source = { dataDir: s3App.dataDir, databaseUrl: s3App.config.database.url ?? "", env: env(from) };
      const made = await qujat(["backup", backupDir], source);
      expect(made.code, made.out).to.equal(0);
      expect(made.out).to.match(/blobs: 5 copied/);
      const into = s3Settings();
      const target = { dataDir: dirOf("qujat-restored-"), databaseUrl: "", env: env(into) };
      if (s3App.config.database.url) {
        const db = await freshDatabase(target.dataDir);
        drops.push(db.drop);
        target.databaseUrl = db.url;
      }
      const restored = await qujat(["restore", backupDir], target);
      expect(restored.code, restored.out).to.equal(0);
      expect(restored.out).to.match(/blobs restored: 5/);
      const store = await openBlobStore({ dataDir: target.dataDir, blobs: { store: "s3", s3: into } });
      try {
        for (const bytes of docs) {
          const got = await buffer(await store.open(sha256(bytes), bytes.length));
          expect(got.equals(bytes)).to.equal(true);
        }
      } finally {
        await store.close();
      }
    } finally {
      await s3App.close();
    }
  });
});
