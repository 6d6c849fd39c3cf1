// `make run` on a fresh clone (README): installs exactly the locked dependencies (npm ci), builds,
// migrates the embedded SQLite database and serves — and leaves every tracked file as it was
// (`git status --porcelain` empty). Runs once, in the SQLite pass: it clones the committed tree.
import { expect } from "chai";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../support/net.js";
import { onPostgres } from "../support/app.js";

const root = path.resolve(import.meta.dirname, "../..");

describe("make run on a fresh clone", function () {
  this.timeout(600_000);

  it("serves, and no tracked file changed", async function () {
    if (onPostgres()) this.skip(); // the embedded default is SQLite; one pass is enough
    const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-clone-"));
    try {
      execFileSync("git", ["clone", "--quiet", root, dir]);
      const port = await freePort();
      const env: NodeJS.ProcessEnv = { ...process.env, QUJAT_PORT: String(port), QUJAT_LOG_LEVEL: "warn" };
      for (const k of Object.keys(env))
        if (k.startsWith("QUJAT_") && !["QUJAT_PORT", "QUJAT_LOG_LEVEL"].includes(k)) delete env[k];
      delete env.NODE_ENV;
      const child = spawn("make", ["run"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      child.stderr.on("data", (d) => (out += d));
      try {
        const deadline = Date.now() + 540_000;
        let ready = false;
        while (!ready && Date.now() < deadline && child.exitCode === null) {
          await new Promise((r) => setTimeout(r, 1000));
          ready = await fetch(`http://127.0.0.1:${port}/healthz`).then(
            (r) => r.ok,
            () => false,
          );
        }
        expect(ready, out.slice(-3000)).to.equal(true);
      } finally {
        try {
          process.kill(-child.pid!, "SIGTERM");
        } catch {
          /* already gone */
        }
        await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
      }
      const changed = execFileSync("git", ["status", "--porcelain"], { cwd: dir }).toString();
      expect(changed, "make run changed tracked files").to.equal("");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
