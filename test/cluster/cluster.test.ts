// Several nodes (SPEC R8.1's availability, at a large site's size): three real appliance processes
// behind Debian's nginx, on one PostgreSQL database reached through PgBouncer in transaction mode,
// with blobs in S3 object storage (Debian's Swift with s3api) and the nodes' clocks set up to
// 200 ms apart (libfaketime). They start together on an empty database; what one node does, every
// other node honours. PostgreSQL only: on the embedded SQLite the appliance is one node.
import { expect } from "chai";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { Cluster, ensureClusterPackages, ensureServerBuilt } from "../../scripts/cluster/launch.js";
import { s3Client } from "../../server/storage/s3Blobs.js";
import { PASSWORD, freshDatabase, onPostgres, type TestApp } from "../support/app.js";
import { Client } from "../support/client.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import { documentForm, invoiceFields, pdf, sha256 } from "../support/documents.js";
import { createTestCa, testCa, testSigner } from "../support/pki.js";
import { s3Settings } from "../support/s3.js";
import { scratchDir } from "../support/scratch.js";

/** How long the schedules are watched (the suite's other cases run meanwhile). */
const WINDOW_SECONDS = Number(process.env.CLUSTER_JOB_WINDOW_SECONDS ?? 300);
/** Each job on a schedule of a few seconds (six-field cron: seconds first). */
const EVERY: Record<string, number> = {
  "sessions.purge": 2,
  "documents.deemedAcceptance": 3,
  "blobs.sweep": 5,
  "billing.daily": 4,
  "retention.daily": 6,
  "pki.crl_refresh": 3,
  "audit.anchor": 5,
};
const OFFSETS = [0, 0.2, 0.1];

describe("three nodes behind nginx on one PostgreSQL (through PgBouncer) and S3 object storage", function () {
  this.timeout(WINDOW_SECONDS * 1000 + 240_000);
  let cluster: Cluster;
  let database: Awaited<ReturnType<typeof freshDatabase>>;
  let db: Knex;
  let s3: ReturnType<typeof s3Settings>;
  let trustDir: string;
  let startedIn = 0;
  let windowStart = 0;
  let app: TestApp;
  const node = (i: number, token: string | null) => {
    const c = new Client(cluster.nodes[i].url);
    c.token = token;
    return c;
  };

  before(async function () {
    if (!onPostgres()) return this.skip();
    ensureClusterPackages();
    ensureServerBuilt();
    database = await freshDatabase("");
    db = knexFactory({ client: "pg", connection: database.url, pool: { min: 0, max: 4 } });
    s3 = s3Settings();
    const dir = scratchDir("qujat-cluster-");
    // The nodes' own copy of the trust directory, so a CA can be added to it during the suite.
    trustDir = path.join(dir, "trust");
    mkdirSync(trustDir);
    for (const f of readdirSync(testCa().trustDir))
      copyFileSync(path.join(testCa().trustDir, f), path.join(trustDir, f));
    const schedules = (job: string) => `*/${EVERY[job]} * * * * *`;
    cluster = new Cluster({
      dir,
      nodes: 3,
      databaseUrl: database.url,
      blobs: { store: "s3", s3 },
      clockOffsets: OFFSETS,
      migrations: "apply",
      // The nodes' pools through PgBouncer in transaction mode, as the reference deployment runs.
      pgbouncer: true,
      config: {
        pki: { trustDir, revocation: { crlRefreshSchedule: schedules("pki.crl_refresh") } },
        jobs: {
          enabled: true,
          sessionsPurgeSchedule: schedules("sessions.purge"),
          deemedAcceptanceSchedule: schedules("documents.deemedAcceptance"),
          blobSweepSchedule: schedules("blobs.sweep"),
        },
        billing: { dailySchedule: schedules("billing.daily") },
        retention: { dailySchedule: schedules("retention.daily") },
        audit: { anchorSchedule: schedules("audit.anchor") },
        // every hour, as by default: without an HSM it has nothing to sign
        hsm: { auditCheckpointSchedule: "0 * * * *" },
        auth: { argon2: { memoryKiB: 4096, timeCost: 1, parallelism: 1 } },
      },
    });
    const t0 = Date.now();
    await cluster.start(); // all three at once, on a database without a single table
    startedIn = Date.now() - t0;
    windowStart = Math.ceil(Date.now() / 1000) * 1000 + 1000;

    // The first administrator, through the one link the cluster printed.
    const line = cluster.nodes.flatMap((n) => n.output).find((l) => /setup#token=/.test(l))!;
    const token = /setup#token=([A-Za-z0-9_-]+)/.exec(line)![1];
    const admin = new Client(cluster.url);
    const setup = await admin.post("/api/v1/setup", {
      token,
      login: "root",
      email: "root@example.kz",
      fullName: "Root Admin",
      password: PASSWORD,
    });
    expect(setup.status, JSON.stringify(setup.body)).to.equal(201);
    await admin.login("root", PASSWORD);
    app = { url: cluster.url, db, admin, client: () => new Client(cluster.url) } as unknown as TestApp;
  });

  after(async () => {
    await cluster?.close();
    await db?.destroy();
    await database?.drop();
  });

  describe("start", () => {
    it("three nodes started at once on an empty database all came up; one printed the setup link, the others name it", async () => {
      for (const n of cluster.nodes) expect(n.process.exitCode, n.name).to.equal(null);
      const printed = cluster.nodes.filter((n) => n.output.some((l) => /setup#token=/.test(l)));
      expect(printed).to.have.length(1);
      for (const n of cluster.nodes.filter((x) => x !== printed[0]))
        expect(n.output.join("\n")).to.include(`Node ${printed[0].name} printed the one-time setup link`);
      const migrations = readdirSync(path.join(process.cwd(), "migrations")).filter((f) => /^\d{14}_.+\.ts$/.test(f));
      expect(Number((await db("knex_migrations").count({ n: "*" }))[0].n)).to.equal(migrations.length);
      console.log(`      (three nodes up in ${startedIn} ms)`);
    });
  });

  describe("one document through different nodes", () => {
    let clerk: BuiltUser;
    let head: BuiltUser;
    let doc: { id: string; sha256: string; bytes: Buffer };
    let seller: Awaited<ReturnType<typeof buildOrganization>>;
    let buyer: Awaited<ReturnType<typeof buildOrganization>>;

    before(async () => {
      seller = await buildOrganization(app, { name: "Seller LLP" });
      buyer = await buildOrganization(app, { name: "Buyer LLP" });
      clerk = await buildUser(app, [{ role: "clerk", organizationId: seller.id, branchId: seller.headOfficeId }]);
      head = await buildUser(app, [{ role: "head", organizationId: seller.id, branchId: seller.headOfficeId }]);
      const bytes = pdf(`cluster ${Date.now()}`);
      const r = await node(0, clerk.client.token).upload(
        "/api/v1/documents",
        documentForm(
          { kind: "invoice", recipient: { organizationId: buyer.id }, fields: invoiceFields({ number: "C-1" }) },
          { bytes, name: "invoice.pdf", type: "application/pdf" },
        ),
      );
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      doc = { id: r.body.id, sha256: r.body.content.sha256, bytes };
    });

    it("registered via node 1: downloads via node 2, is signed and verified via node 3, and its evidence ZIP comes from node 2", async () => {
      const res = await fetch(`${cluster.nodes[1].url}/api/v1/documents/${doc.id}/content`, {
        headers: { authorization: `Bearer ${clerk.client.token}` },
      });
      expect(res.status).to.equal(200);
      expect(sha256(Buffer.from(await res.arrayBuffer()))).to.equal(doc.sha256);
      // The signature is checked on node 3 against the bytes node 1 stored.
      const key = testSigner({ cn: "Seller Head", iin: head.iin, bin: seller.bin });
      const signed = await node(2, head.client.token).post(`/api/v1/documents/${doc.id}/signatures`, {
        cms: key.sign(doc.bytes).toString("base64"),
      });
      expect(signed.status, JSON.stringify(signed.body)).to.equal(201);
      const report = await node(0, clerk.client.token).get(`/api/v1/documents/${doc.id}/signatures`);
      expect(report.body.items[0].validation.valid ?? report.body.items[0].valid).to.not.equal(false);
      const zip = await fetch(`${cluster.nodes[1].url}/api/v1/documents/${doc.id}/evidence`, {
        headers: { authorization: `Bearer ${clerk.client.token}` },
      });
      expect(zip.status).to.equal(200);
      const file = path.join(scratchDir("qujat-zip-"), "evidence.zip");
      writeFileSync(file, Buffer.from(await zip.arrayBuffer()));
      const listing = execFileSync("unzip", ["-Z1", file], { encoding: "utf8" }).split("\n");
      const content = listing.find((f) => f.endsWith("invoice.pdf"))!;
      expect(content, listing.join(", ")).to.be.a("string");
      expect(sha256(execFileSync("unzip", ["-p", file, content]))).to.equal(doc.sha256);
      expect(listing.some((f) => /\.p7s$/.test(f))).to.equal(true);
    });

    it("a blob missing from the store: every node answers a problem before any header, audits nothing, and stays up", async () => {
      const r = await node(0, clerk.client.token).upload(
        "/api/v1/documents",
        documentForm(
          { kind: "invoice", recipient: { organizationId: buyer.id }, fields: invoiceFields({ number: "C-2" }) },
          { bytes: pdf(`lost ${Date.now()}`), name: "lost.pdf", type: "application/pdf" },
        ),
      );
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      await s3Client(s3).send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: `sha256/${r.body.content.sha256}` }));
      const audited = async () =>
        Number(
          (
            await db("audit_log")
              .where({ target_id: r.body.id })
              .whereIn("action", ["document.download", "document.evidence_download"])
              .count({ n: "*" })
          )[0].n,
        );
      for (let i = 0; i < 3; i++) {
        for (const what of ["content", "evidence"]) {
          const res = await node(i, clerk.client.token).get(`/api/v1/documents/${r.body.id}/${what}`);
          expect(res.status, `${cluster.nodes[i].name} ${what}`).to.equal(500);
          expect(res.headers.get("content-type")).to.match(/problem\+json/);
          expect(res.body.code).to.equal("content_unreadable");
        }
      }
      expect(await audited()).to.equal(0);
      for (const n of cluster.nodes) {
        expect(n.process.exitCode, n.name).to.equal(null);
        expect((await fetch(`${n.url}/healthz`)).status, n.name).to.equal(200);
      }
    });
  });

  describe("what one node revokes, every node refuses within 100 ms", () => {
    /** Polls `probe` on node i until it is refused (401, 403, or 404 for what one may not see); returns the milliseconds it took. */
    async function refusedWithin(i: number, token: string, probe: string, since: number) {
      const c = node(i, token);
      for (;;) {
        const r = await c.get(probe);
        if (r.status === 401 || r.status === 403 || r.status === 404) return performance.now() - since;
        if (performance.now() - since > 3_000) return Infinity;
      }
    }
    /** Every node has the session or token cached (resolved within auth.sessionCacheSeconds). */
    async function warm(token: string, probe: string) {
      for (let i = 0; i < 3; i++) expect((await node(i, token).get(probe)).status, `node${i + 1}`).to.equal(200);
    }

    it("a sign-out on node 1: nodes 2 and 3 refuse the session", async () => {
      const u = await buildUser(app, []);
      await warm(u.client.token!, "/api/v1/me");
      const t = performance.now();
      expect((await node(0, u.client.token).post("/api/v1/auth/logout")).status).to.be.oneOf([200, 204]);
      const ms = await Promise.all([1, 2].map((i) => refusedWithin(i, u.client.token!, "/api/v1/me", t)));
      console.log(`      (refused after ${ms.map((m) => m.toFixed(0)).join(", ")} ms)`);
      for (const m of ms) expect(m).to.be.at.most(100);
    });

    it("a user disabled on node 3: his session ends on nodes 1 and 2", async () => {
      const u = await buildUser(app, []);
      await warm(u.client.token!, "/api/v1/me");
      const t = performance.now();
      const r = await node(2, app.admin.token).post(`/api/v1/users/${u.id}/disable`, { reason: "dismissed" });
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      const ms = await Promise.all([0, 1].map((i) => refusedWithin(i, u.client.token!, "/api/v1/me", t)));
      for (const m of ms) expect(m).to.be.at.most(100);
    });

    it("an API token revoked on node 2: nodes 1 and 3 refuse it", async () => {
      const org = await buildOrganization(app);
      const created = await node(0, app.admin.token).post("/api/v1/api-tokens", {
        name: "ERP",
        organizationId: org.id,
        role: "clerk",
      });
      expect(created.status).to.equal(201);
      const probe = `/api/v1/organizations/${org.id}`;
      await warm(created.body.token, probe);
      const t = performance.now();
      expect((await node(1, app.admin.token).del(`/api/v1/api-tokens/${created.body.id}`)).status).to.equal(204);
      const ms = await Promise.all([0, 2].map((i) => refusedWithin(i, created.body.token, probe, t)));
      for (const m of ms) expect(m).to.be.at.most(100);
    });

    it("a role taken away on node 1: nodes 2 and 3 refuse what it allowed", async () => {
      const org = await buildOrganization(app);
      const u = await buildUser(app, [{ role: "org_admin", organizationId: org.id }]);
      const probe = `/api/v1/organizations/${org.id}/api-tokens`;
      await warm(u.client.token!, probe);
      const grants = (await node(0, app.admin.token).get(`/api/v1/users/${u.id}`)).body.roles as Array<{ id: string }>;
      const t = performance.now();
      const r = await node(0, app.admin.token).del(`/api/v1/users/${u.id}/roles/${grants[0].id}`);
      expect(r.status, JSON.stringify(r.body)).to.be.oneOf([200, 204]);
      const ms = await Promise.all([1, 2].map((i) => refusedWithin(i, u.client.token!, probe, t)));
      for (const m of ms) expect(m).to.be.at.most(100);
    });

    it("a CA added and the trust store reloaded on node 1: nodes 2 and 3 trust it too", async () => {
      const count = async (i: number) => (await node(i, app.admin.token).get("/api/v1/trust")).body.anchors.length;
      const before = await Promise.all([0, 1, 2].map(count)); // each node has read the directory as it was
      const extra = createTestCa("Cluster Added CA");
      for (const f of readdirSync(extra.trustDir))
        copyFileSync(path.join(extra.trustDir, f), path.join(trustDir, `added-${f}`));
      const t = performance.now();
      expect((await node(0, app.admin.token).post("/api/v1/trust/reload")).status).to.equal(200);
      for (const i of [1, 2]) {
        for (;;) {
          if ((await count(i)) === before[i] + 1) break;
          expect(
            performance.now() - t,
            `node${i + 1}: ${cluster.nodes[i].output.filter((l) => /trust store|trust\.reload/.test(l)).join("\n")}`,
          ).to.be.at.most(100);
        }
      }
    });
  });

  describe("afterwards: sign-in counting, run now, and the schedules watched all along", () => {
    it("thirty wrong passwords at once through nginx, spread over the nodes, are thirty failures", async () => {
      const u = await buildUser(app, []);
      const answers = await Promise.all(
        Array.from({ length: 30 }, () =>
          fetch(`${cluster.url}/api/v1/auth/login`, {
            method: "POST",
            headers: { "content-type": "application/json" },
            body: JSON.stringify({ login: u.login, password: "Wrong!1aa" }),
          }).then((r) => r.status),
        ),
      );
      expect(answers.every((s) => s === 401 || s === 429)).to.equal(true);
      const row = await db("login_throttle")
        .where({ key: `account:${u.login.toLowerCase()}` })
        .first();
      expect(Number(row.failures)).to.equal(30);
    });

    it("“run now” sent to all three nodes at once runs the job once, ten times over", async () => {
      for (let round = 0; round < 10; round++) {
        const outcomes = await Promise.all(
          [0, 1, 2].map(
            async (i) => (await node(i, app.admin.token).post("/api/v1/system/jobs/audit.checkpoint/run")).body.outcome,
          ),
        );
        expect(
          outcomes.filter((o) => o === "success"),
          outcomes.join(","),
        ).to.have.length(1);
        await new Promise((r) => setTimeout(r, 1_100));
      }
    });

    it(`each scheduled job ran once per tick over ${WINDOW_SECONDS} s, on clocks up to 200 ms apart`, async () => {
      const windowEnd = windowStart + WINDOW_SECONDS * 1000;
      const wait = windowEnd + 3_000 - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      const runs = cluster.nodes.flatMap((n) =>
        n.output
          .filter((l) => l.startsWith("{") && l.includes('"job ran"'))
          .map((l) => JSON.parse(l) as { job: string; node: string; slot: string | null })
          .filter((r) => r.slot && Date.parse(r.slot) >= windowStart && Date.parse(r.slot) < windowEnd),
      );
      const nodesThatRan = new Set<string>();
      for (const [job, every] of Object.entries(EVERY)) {
        const mine = runs.filter((r) => r.job === job);
        const slots = new Set(mine.map((r) => r.slot));
        // Every instant at most once, anywhere.
        expect(mine.length, `${job}: ${mine.length} runs for ${slots.size} instants`).to.equal(slots.size);
        let expected = 0;
        for (let t = windowStart; t < windowEnd; t += 1000) if (new Date(t).getUTCSeconds() % every === 0) expected++;
        // And every instant ran (a busy node may let one pass only if all three did).
        expect(slots.size, job).to.be.within(expected - 1, expected);
        const claims = await db("job_runs")
          .where({ name: job })
          .where("slot", ">=", new Date(windowStart).toISOString())
          .where("slot", "<", new Date(windowEnd).toISOString());
        expect(claims.length, job).to.equal(slots.size);
        for (const r of mine) nodesThatRan.add(r.node);
      }
      // The clocks were apart: the node whose clock runs 200 ms ahead reaches each instant first
      // and claims most of them (with equal clocks the claims would fall about evenly).
      const claimsBy = await db("job_runs").select("node").count({ n: "*" }).groupBy("node");
      const byNode: Record<string, number> = Object.fromEntries(claimsBy.map((r: any) => [r.node, Number(r.n)]));
      console.log(
        `      (instants claimed per node: ${JSON.stringify(byNode)}; nodes that ran: ${[...nodesThatRan].join(", ")})`,
      );
      const ahead = cluster.nodes[OFFSETS.indexOf(Math.max(...OFFSETS))].name;
      expect(Object.entries(byNode).sort((a, b) => b[1] - a[1])[0][0]).to.equal(ahead);
      for (const n of cluster.nodes) expect(n.process.exitCode, n.name).to.equal(null);
    });
  });
});
