// The real S3 server the object-storage tests use: Debian's OpenStack Swift with s3api
// (scripts/s3-server.sh), started once per test process under the system's temp directory and
// stopped when the process exits. Each caller gets a bucket of its own.
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { projectRoot } from "../../server/config/index.js";

const DIR = path.join(os.tmpdir(), `qujat-swift-${process.pid}`);
const PORT = 18_380 + (process.pid % 500) * 5;
let endpoint: string | null = null;

export function s3Server(): string {
  if (endpoint) return endpoint;
  endpoint = execFileSync("bash", [path.join(projectRoot, "scripts/s3-server.sh"), "start", DIR, String(PORT)], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  })
    .trim()
    .split("\n")
    .pop()!;
  process.once("exit", () => {
    execFileSync("bash", [path.join(projectRoot, "scripts/s3-server.sh"), "stop", DIR]);
    execFileSync("rm", ["-rf", DIR]);
  });
  return endpoint;
}

/** blobs.s3 settings for a new bucket on the test server. */
export function s3Settings(bucket = `qujat-${randomUUID().slice(0, 8)}`) {
  return {
    endpoint: s3Server(),
    region: "us-east-1",
    bucket,
    prefix: "",
    accessKeyId: "qujat:qujat",
    secretAccessKey: "qujat-secret",
    forcePathStyle: true,
    maxSockets: 64,
  };
}
