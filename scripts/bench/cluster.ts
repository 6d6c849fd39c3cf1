// Several nodes on PostgreSQL (BENCH_ONLY=cluster, through scripts/with-postgres.sh; make bench
// runs it after the rest). Ratios in one run, as every bench here:
//  (a) the share of wall time registrations held the audit chain's head at one node's peak — what
//      bounds what more nodes can add (target ≤ 25 %);
//  (b) registrations per second with two nodes against one, blobs on a shared directory, both
//      behind nginx (target ≥ 1.6× where the cores allow: it prints the cores it had);
//  (c) S3-backed registration (Swift) against raw PUTs of the same size to the same store at the
//      same concurrency (target ≥ 0.8);
//  and p99 of GET /me during each load against idle (target ≤ 2×).
import autocannon from "autocannon";
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { Cluster, ensureClusterPackages, ensureServerBuilt } from "../cluster/launch.js";
import { ensureBucket, s3Client } from "../../server/storage/s3Blobs.js";
import { api, registrationTemplate } from "./documents.js";
import { percentile, root } from "./support.js";
import { freshDatabase } from "../../test/support/app.js";
import { validBin } from "../../test/support/ids.js";

type Report = (name: string, value: string, verdict: string) => void;

const SECONDS = Number(process.env.BENCH_CLUSTER_SECONDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CLUSTER_CONNECTIONS ?? 64);
const SIZE = 100 * 1024;

/** Senders registering at once: a large site's load comes from many organizations, not one. */
const SENDERS = Number(process.env.BENCH_CLUSTER_SENDERS ?? 8);

/** Setup link → administrator → SENDERS organizations with a clerk each, and a buyer. */
async function clerkOn(cluster: Cluster) {
  const line = cluster.nodes.flatMap((n) => n.output).find((l) => /setup#token=/.test(l))!;
  const token = /setup#token=([A-Za-z0-9_-]+)/.exec(line)![1];
  const base = cluster.url;
  await api(base, null, "POST", "/api/v1/setup", {
    token,
    login: "bench",
    email: "bench@example.kz",
    fullName: "Bench Admin",
    password: "Bench!Passw0rd",
  });
  const adminToken = (
    await api(base, null, "POST", "/api/v1/auth/login", { login: "bench", password: "Bench!Passw0rd" })
  ).token as string;
  const org = (name: string) =>
    api(base, adminToken, "POST", "/api/v1/organizations", { name, country: "KZ", bin: validBin() });
  const buyer = await org("Bench Buyer");
  const tokens: string[] = [];
  for (let i = 0; i < SENDERS; i++) {
    const seller = await org(`Bench Seller ${i + 1}`);
    await api(base, adminToken, "POST", "/api/v1/users", {
      login: `clerk${i}`,
      email: `clerk${i}@example.kz`,
      fullName: `Bench Clerk ${i + 1}`,
      password: "Bench!Passw0rd",
      roles: [{ role: "clerk", organizationId: seller.id, branchId: seller.headOfficeId }],
    });
    tokens.push(
      (await api(base, null, "POST", "/api/v1/auth/login", { login: `clerk${i}`, password: "Bench!Passw0rd" }))
        .token as string,
    );
  }
  return { token: tokens[0], tokens, buyerId: buyer.id as string };
}

/** GET /me every 50 ms while `during` runs: its latencies. */
async function probeMe(url: string, token: string, during: Promise<unknown>) {
  const ms: number[] = [];
  let done = false;
  void during.finally(() => (done = true));
  while (!done) {
    const t = performance.now();
    await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.arrayBuffer());
    ms.push(performance.now() - t);
    await new Promise((r) => setTimeout(r, 50));
  }
  return ms;
}

async function idleMe(url: string, token: string) {
  const ms: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    await fetch(`${url}/api/v1/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.arrayBuffer());
    ms.push(performance.now() - t);
  }
  return percentile(ms, 0.99);
}

let offset = 0;
/** Registrations through nginx at CONNECTIONS at once for SECONDS: per second, and GET /me's p99 meanwhile. */
async function registrations(cluster: Cluster, clerk: { token: string; tokens: string[]; buyerId: string }) {
  const body = registrationTemplate(SIZE, {
    kind: "arbitrary",
    title: "Bench document",
    recipient: { organizationId: clerk.buyerId },
  });
  const opts = (duration: number) => ({
    url: `${cluster.url}/api/v1/documents`,
    connections: CONNECTIONS,
    duration,
    method: "POST" as const,
    headers: { "content-type": body.contentType },
    requests: [
      {
        method: "POST" as const,
        setupRequest: (req: any) => {
          const i = offset++;
          const authorization = `Bearer ${clerk.tokens[i % clerk.tokens.length]}`;
          return { ...req, headers: { ...req.headers, authorization }, body: body.unique(i) };
        },
      },
    ],
  });
  await autocannon(opts(3)); // warm-up
  const held0 = await headHeld(cluster);
  const t0 = performance.now();
  const run = new Promise<autocannon.Result>((resolve, reject) =>
    autocannon(opts(SECONDS), (err, result) => (err ? reject(err) : resolve(result))),
  );
  const me = await probeMe(cluster.url, clerk.token, run);
  const r = await run;
  const wall = (performance.now() - t0) / 1000;
  const held = (await headHeld(cluster)) - held0;
  if (r.non2xx) throw new Error(`registrations: ${r.non2xx} non-2xx responses`);
  return { perSecond: r.requests.average, meP99: percentile(me, 0.99), headShare: held / wall };
}

/** Seconds registrations held the audit head, summed over the nodes (their /metrics). */
async function headHeld(cluster: Cluster) {
  let sum = 0;
  for (const n of cluster.nodes) {
    const text = await (await fetch(`${n.url}/metrics`)).text();
    const m = /^qujat_registration_audit_head_held_seconds_total (\S+)$/m.exec(text);
    sum += m ? Number(m[1]) : 0;
  }
  return sum;
}

async function withCluster<T>(
  o: { nodes: number; blobs: "fs" | "s3"; s3?: Record<string, unknown> },
  f: (c: Cluster, clerk: { token: string; tokens: string[]; buyerId: string }) => Promise<T>,
) {
  const db = await freshDatabase("");
  const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-bench-cluster-"));
  const cluster = new Cluster({
    dir,
    nodes: o.nodes,
    databaseUrl: db.url,
    blobs: o.blobs === "s3" ? { store: "s3", s3: o.s3! } : { store: "fs" },
    config: {
      log: { level: "warn" },
      billing: { defaultPlanCode: "" },
      jobs: { enabled: false },
      database: { poolMax: 10 },
    },
  });
  try {
    await cluster.start();
    return await f(cluster, await clerkOn(cluster));
  } finally {
    await cluster.close();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function clusterBenches(report: Report) {
  if (!process.env.QUJAT_DATABASE_URL)
    throw new Error("the cluster bench runs on PostgreSQL: scripts/with-postgres.sh");
  ensureClusterPackages();
  ensureServerBuilt();
  const cores = os.cpus().length;

  // BENCH_CLUSTER_PART=fs|s3 runs one half (comparing changes to one store in less time).
  const part = process.env.BENCH_CLUSTER_PART;
  if (part !== "s3") await sharedDirectory(report, cores);
  if (part !== "fs") await objectStorage(report);
}

async function sharedDirectory(report: Report, cores: number) {
  // (a) and (b): one node, then two, on a shared blob directory.
  const one = await withCluster({ nodes: 1, blobs: "fs" }, async (c, clerk) => ({
    idle: await idleMe(c.url, clerk.token),
    ...(await registrations(c, clerk)),
  }));
  report(
    "cluster: audit head held at one node's peak",
    `${(one.headShare * 100).toFixed(1)} % of wall time (${one.perSecond.toFixed(0)} registrations/s, ${CONNECTIONS} at once from ${SENDERS} organizations)`,
    `(target ≤ 25 %: ratio ${(one.headShare / 0.25).toFixed(2)})`,
  );
  const two = await withCluster({ nodes: 2, blobs: "fs" }, async (c, clerk) => ({
    idle: await idleMe(c.url, clerk.token),
    ...(await registrations(c, clerk)),
  }));
  report(
    `cluster: 2 nodes vs 1 (shared directory, ${cores} cores)`,
    `${two.perSecond.toFixed(0)} vs ${one.perSecond.toFixed(0)} registrations/s; head held ${(two.headShare * 100).toFixed(1)} %`,
    `(target ≥ 1.6 where the cores allow: ratio ${(two.perSecond / one.perSecond).toFixed(2)}${cores < 4 ? `; ${cores} cores run both nodes, nginx, PostgreSQL and the load` : ""})`,
  );
  for (const [name, r] of [
    ["1 node", one],
    ["2 nodes", two],
  ] as const)
    report(
      `cluster: GET /me p99 under registration load (${name})`,
      `${r.meP99.toFixed(1)} ms vs ${r.idle.toFixed(1)} ms idle`,
      `(target ≤ 2×: ratio ${(r.meP99 / r.idle).toFixed(2)})`,
    );
}

async function objectStorage(report: Report) {
  // (c): S3 (Swift) registration against raw PUTs at the same concurrency.
  const swiftDir = mkdtempSync(path.join(os.tmpdir(), "qujat-bench-swift-"));
  const port = 18_900 + (process.pid % 50);
  const endpoint = execFileSync("bash", [path.join(root, "scripts/s3-server.sh"), "start", swiftDir, String(port)], {
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop()!;
  const s3 = {
    endpoint,
    region: "us-east-1",
    bucket: "qujat-bench",
    prefix: "",
    accessKeyId: "qujat:qujat",
    secretAccessKey: "qujat-secret",
    forcePathStyle: true,
    maxSockets: 64,
  };
  try {
    const client = s3Client(s3);
    await ensureBucket(client, "qujat-bench-raw");
    const payload = randomBytes(SIZE);
    let puts = 0;
    let shed = 0;
    let n = 0;
    const until = performance.now() + SECONDS * 1000;
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < until) {
          const body = Buffer.from(payload);
          body.writeUInt32BE(n++, 0);
          // Swift sheds load with 503 "reduce your request rate" when its disk falls behind: a
          // refused PUT is counted, not stored, and the run goes on.
          const stored = await client
            .send(new PutObjectCommand({ Bucket: "qujat-bench-raw", Key: `raw/${n}`, Body: body }))
            .then(
              () => true,
              (err: { $metadata?: { httpStatusCode?: number } }) => {
                if (err.$metadata?.httpStatusCode !== 503) throw err;
                return false;
              },
            );
          if (stored) puts++;
          else shed++;
        }
      }),
    );
    const raw = puts / ((performance.now() - t0) / 1000);
    client.destroy();
    const onS3 = await withCluster({ nodes: 1, blobs: "s3", s3 }, async (c, clerk) => ({
      idle: await idleMe(c.url, clerk.token),
      ...(await registrations(c, clerk)),
    }));
    report(
      "cluster: S3 registration vs raw PUTs (Swift)",
      `${onS3.perSecond.toFixed(0)} vs ${raw.toFixed(0)} PUT/s of ${SIZE / 1024} KB, ${CONNECTIONS} at once${shed ? ` (${shed} raw PUTs shed by the store with 503)` : ""}`,
      `(target ≥ 0.8: ratio ${(onS3.perSecond / raw).toFixed(2)})`,
    );
    report(
      "cluster: GET /me p99 under S3 registration load",
      `${onS3.meP99.toFixed(1)} ms vs ${onS3.idle.toFixed(1)} ms idle`,
      `(target ≤ 2×: ratio ${(onS3.meP99 / onS3.idle).toFixed(2)})`,
    );
  } finally {
    execFileSync("bash", [path.join(root, "scripts/s3-server.sh"), "stop", swiftDir]);
    rmSync(swiftDir, { recursive: true, force: true });
  }
}
