// `make cluster`: the reference deployment on this machine, kept running until Ctrl-C. Under
// data/cluster: the nodes' data directories, Swift's storage, nginx's files; a database
// "qujat_cluster" next to the one QUJAT_DATABASE_URL names (scripts/with-postgres.sh sets it).
//   CLUSTER_NODES=3  CLUSTER_PORT=8090  CLUSTER_BLOBS=s3|fs  CLUSTER_PGBOUNCER=1|0
import knexFactory from "knex";
import { execFileSync } from "node:child_process";
import path from "node:path";
import { projectRoot } from "../../server/config/index.js";
import { Cluster, ensureClusterPackages } from "./launch.js";

const base = process.env.QUJAT_DATABASE_URL;
if (!base) {
  console.error("QUJAT_DATABASE_URL is not set: run through scripts/with-postgres.sh (make cluster does)");
  process.exit(2);
}
ensureClusterPackages();
const dir = path.join(projectRoot, "data", "cluster");
const admin = knexFactory({ client: "pg", connection: base, pool: { min: 0, max: 1 } });
const exists = await admin("pg_database").where({ datname: "qujat_cluster" }).first();
if (!exists) await admin.raw("create database qujat_cluster");
await admin.destroy();
const url = new URL(base);
url.pathname = "/qujat_cluster";

const blobs = process.env.CLUSTER_BLOBS === "fs" ? "fs" : "s3";
const s3Port = 8380;
const endpoint =
  blobs === "s3"
    ? execFileSync(
        "bash",
        [path.join(projectRoot, "scripts/s3-server.sh"), "start", path.join(dir, "swift"), String(s3Port)],
        {
          encoding: "utf8",
        },
      )
        .trim()
        .split("\n")
        .pop()!
    : "";
const cluster = new Cluster({
  dir,
  nodes: Number(process.env.CLUSTER_NODES ?? 3),
  databaseUrl: url.toString(),
  nginxPort: Number(process.env.CLUSTER_PORT ?? 8090),
  migrations: "wait",
  pgbouncer: process.env.CLUSTER_PGBOUNCER !== "0",
  blobs:
    blobs === "s3"
      ? {
          store: "s3",
          s3: {
            endpoint,
            region: "us-east-1",
            bucket: "qujat",
            prefix: "",
            accessKeyId: "qujat:qujat",
            secretAccessKey: "qujat-secret",
            forcePathStyle: true,
            maxSockets: 64,
          },
        }
      : { store: "fs" },
});
// A deploy's order: migrations first, as their own step; the nodes wait for them.
console.log(cluster.migrate().trim());
await cluster.start();
console.log(`\n${cluster.nodes.length} nodes behind nginx: ${cluster.url}`);
for (const n of cluster.nodes) console.log(`  ${n.name}: ${n.url}`);
const link = cluster.nodes.flatMap((n) => n.output).find((l) => /setup#token=/.test(l));
if (link)
  console.log(
    `\nNo administrator yet. The one-time setup link:\n  ${link.trim().replace(/^https?:\/\/[^/]+/, cluster.url)}`,
  );
console.log(
  `\nblobs: ${blobs === "s3" ? `S3 (Swift) at ${endpoint}, bucket qujat` : "a shared directory"}; Ctrl-C stops everything\n`,
);
const stop = async () => {
  await cluster.close();
  if (blobs === "s3")
    execFileSync("bash", [path.join(projectRoot, "scripts/s3-server.sh"), "stop", path.join(dir, "swift")]);
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
