// Shared by the benches: baseline servers in processes of their own, and the median of rounds.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";

export const root = path.resolve(import.meta.dirname, "../..");

/** Starts `script` (which prints "ready" once listening on PORT) in a process of its own, like the appliance. */
export function spawnServer(script: string, env: Record<string, string> = {}) {
  const port = 19000 + Math.floor(Math.random() * 1000);
  const child = spawn(process.execPath, ["--import", "tsx", script], { cwd: root, env: { ...process.env, ...env, PORT: String(port) }, stdio: ["ignore", "pipe", "inherit"] });
  return new Promise<{ url: string; stop(): void }>((resolve, reject) => {
    child.stdout.on("data", (d) => String(d).includes("ready") && resolve({ url: `http://127.0.0.1:${port}/`, stop: () => child.kill("SIGTERM") }));
    child.on("exit", (code) => reject(new Error(`${script} exited with ${code}`)));
  });
}

/** This machine's throughput drifts by ±10 % between runs: compare medians of alternating rounds. */
export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Resident memory of a process, in bytes. */
export const rssOf = (pid: number) => Number(readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+)/)![1]) * 1024;
