// Shared by the benches: baseline servers in processes of their own, and the median of rounds.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

export const root = path.resolve(import.meta.dirname, "../..");

/** Starts `script` (which prints "ready" once listening on PORT) in a process of its own, like the appliance. */
export function spawnServer(script: string, env: Record<string, string> = {}) {
  const port = 19000 + Math.floor(Math.random() * 1000);
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise<{ url: string; stop(): void }>((resolve, reject) => {
    child.stdout.on(
      "data",
      (d) =>
        String(d).includes("ready") && resolve({ url: `http://127.0.0.1:${port}/`, stop: () => child.kill("SIGTERM") }),
    );
    child.on("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

/**
 * Writes out what a bench's set-up left in the page cache (a seeded database, a hundred thousand
 * blob files, 200 MB of uploads) before the measure starts. Otherwise the kernel writes it back
 * during the measure, and every fsync, checkpoint and unlink the appliance does waits behind
 * gigabytes that are the set-up's, not the appliance's.
 */
export function settleDisk() {
  execFileSync("sync");
}

/** This machine's throughput drifts by ±10 % between runs: compare medians of alternating rounds. */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The p-th percentile (0..1) of the samples: the nearest rank at or below. */
export const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

/** Resident memory of a process, in bytes. */
export const rssOf = (pid: number) =>
  Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)![1]) * 1024;

/** Starts the real appliance as `make run` does (server/start.cjs, the compiled build) and measures start time and idle RSS. */
export async function startAppliance(dataDir: string, env: Record<string, string> = {}) {
  const port = 18000 + Math.floor(Math.random() * 1000);
  // The benches measure registration, not quotas: new participants stay off the default plan (Demo),
  // as every appliance's were before it existed, so a 20 MB upload is not a quota refusal.
  mkdirSync(dataDir, { recursive: true });
  const benchConfig = path.join(dataDir, "bench-config.json");
  writeFileSync(benchConfig, JSON.stringify({ billing: { defaultPlanCode: "" } }));
  const t0 = performance.now();
  // BENCH_APPLIANCE_NODE_ARGS: extra node flags for the appliance, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile it under a bench.
  const extra = (process.env.BENCH_APPLIANCE_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const child = spawn(process.execPath, [...extra, "--enable-source-maps", "server/start.cjs"], {
    cwd: root,
    env: {
      ...process.env,
      NODE_ENV: "production",
      QUJAT_DATA_DIR: dataDir,
      QUJAT_PORT: String(port),
      QUJAT_LOG_LEVEL: "warn",
      QUJAT_CONFIG: benchConfig,
      ...env,
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d) => {
    out += d;
  });
  for (;;) {
    if (child.exitCode !== null) throw new Error("appliance exited: " + out);
    const ok = await fetch(`http://127.0.0.1:${port}/readyz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const startMs = performance.now() - t0;
  await new Promise((r) => setTimeout(r, 3000));
  const rss = rssOf(child.pid!);
  const setupToken = /#token=(\S+)/.exec(out)?.[1];
  return {
    port,
    pid: child.pid!,
    startMs,
    rss,
    setupToken,
    stop: () =>
      new Promise((r) => {
        child.on("exit", r);
        child.kill("SIGTERM");
      }),
  };
}

/** Completes first-start setup and signs the administrator in. */
export async function signIn(app: { port: number; setupToken?: string }) {
  const base = `http://127.0.0.1:${app.port}`;
  const setup = await fetch(`${base}/api/v1/setup`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      token: app.setupToken,
      login: "bench",
      email: "bench@example.kz",
      fullName: "Bench",
      password: "Bench!Passw0rd",
    }),
  });
  if (setup.status !== 201) throw new Error("setup failed: " + (await setup.text()));
  return (
    await fetch(`${base}/api/v1/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ login: "bench", password: "Bench!Passw0rd" }),
    })
  ).json();
}
