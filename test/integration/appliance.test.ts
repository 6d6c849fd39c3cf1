// The appliance as `make run` starts it: the compiled build (scripts/build-server.mjs) in a process
// of its own, on a fresh data directory (and a fresh PostgreSQL database when the suite runs there).
// First start migrates and prints the one-time setup link; SIGTERM lets a request in flight finish.
import { expect } from "chai";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { freePort } from "../support/net.js";
import { freshDatabase, PASSWORD } from "../support/app.js";

const root = path.resolve(import.meta.dirname, "../..");

describe("the compiled appliance", function () {
  this.timeout(60_000);
  let child: ChildProcess;
  let out = "";
  let base: string;
  let dataDir: string;
  let database: Awaited<ReturnType<typeof freshDatabase>>;

  before(async () => {
    execFileSync(process.execPath, ["scripts/build-server.mjs"], { cwd: root, stdio: "inherit" });
    dataDir = mkdtempSync(path.join(os.tmpdir(), "qujat-appliance-"));
    database = await freshDatabase(dataDir);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      QUJAT_DATA_DIR: dataDir,
      QUJAT_PORT: String(port),
      QUJAT_LOG_LEVEL: "warn",
      QUJAT_DATABASE_URL: database.url,
    };
    delete env.NODE_OPTIONS; // no TypeScript loader: the build must stand on its own
    delete env.UV_THREADPOOL_SIZE; // the appliance's own default is under test
    child = spawn(process.execPath, ["server/start.cjs"], { cwd: root, env, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout!.on("data", (d) => {
      out += d;
    });
    child.stderr!.on("data", (d) => {
      out += d;
    });
    for (let i = 0; ; i++) {
      if (child.exitCode !== null) throw new Error("the appliance exited: " + out);
      if (i > 600) throw new Error("the appliance did not become ready: " + out);
      if (
        await fetch(`${base}/readyz`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  after(async () => {
    if (child.exitCode === null) child.kill("SIGKILL");
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("migrates a fresh database, prints a one-time setup link, and the link creates the first administrator once", async () => {
    const ready = await (await fetch(`${base}/readyz`)).json();
    // No SMTP host is configured here: ready for traffic, mail reported degraded (SPEC R6.2).
    expect(ready.status).to.equal("degraded");
    expect(ready.checks).to.deep.include({ database: { ok: true }, migrations: { ok: true } });
    expect(ready.checks.mail).to.include({ ok: false, degraded: true });
    // The link appears after the ready line; wait for it a moment.
    for (let i = 0; i < 100 && !/#token=/.test(out); i++) await new Promise((r) => setTimeout(r, 20));
    const token = /\/setup#token=(\S+)/.exec(out)?.[1];
    expect(token, out).to.be.a("string");
    const setup = (t: string, login: string) =>
      fetch(`${base}/api/v1/setup`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          token: t,
          login,
          email: `${login}@example.kz`,
          fullName: "First Admin",
          password: PASSWORD,
        }),
      });
    expect((await setup("x".repeat(43), "intruder")).status).to.be.within(400, 499);
    expect((await setup(token!, "first")).status).to.equal(201);
    expect((await setup(token!, "second")).status).to.be.within(400, 499);
    const login = await (
      await fetch(`${base}/api/v1/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ login: "first", password: PASSWORD }),
      })
    ).json();
    const me = await fetch(`${base}/api/v1/me`, { headers: { authorization: `Bearer ${login.token}` } });
    expect(me.status).to.equal(200);
    expect((await me.json()).roles.map((r: { role: string }) => r.role)).to.deep.equal(["system_admin"]);
    const spec = await (await fetch(`${base}/api/v1/openapi.json`)).json();
    expect(spec.paths).to.have.property("/api/v1/documents");
  });

  it("runs libuv's thread pool with 16 threads, not the default 4 (SQLite, fdatasync and signing share it)", async () => {
    // libuv starts every pool thread at once, when the pool is first used (the database is, by now).
    // The process's other threads: the main one, V8's platform workers, the inspector's, the blob
    // store's worker; about 8 on this machine. With the default pool the total stays under 16.
    const threads = readdirSync(`/proc/${child.pid}/task`).length;
    expect(threads, "threads of the appliance process").to.be.at.least(17);
  });

  it("on SIGTERM finishes the request in flight, then exits 0", async () => {
    // A slow request: its body arrives in two parts, and the signal comes between them.
    const { request } = await import("node:http");
    const url = new URL(base);
    const body = Buffer.from(JSON.stringify({ login: "first", password: PASSWORD }));
    let sent!: () => void;
    const halfSent = new Promise<void>((r) => {
      sent = r;
    });
    const req = request({
      host: url.hostname,
      port: url.port,
      path: "/api/v1/auth/login",
      method: "POST",
      headers: { "content-type": "application/json", "content-length": body.length },
    });
    const inFlight = new Promise<number>((resolve, reject) => {
      req.on("response", (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode!));
      });
      req.on("error", reject);
    });
    req.write(body.subarray(0, 10), () => sent());
    await halfSent;
    await new Promise((r) => setTimeout(r, 100));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    child.kill("SIGTERM");
    await new Promise((r) => setTimeout(r, 300));
    req.end(body.subarray(10));
    expect(await inFlight).to.equal(200);
    expect(await exited).to.equal(0);
    expect(
      await fetch(`${base}/healthz`).then(
        () => "answered",
        () => "refused",
      ),
    ).to.equal("refused");
  });
});

describe("the compiled appliance as its own TSA", function () {
  this.timeout(120_000);

  /** Starts the build with the test HSM and tsa.serve; resolves with what it logged once its self-check has answered. */
  async function startedWith(env: Record<string, string>): Promise<string> {
    const { testHsm } = await import("../support/hsm.js");
    const { testCa } = await import("../support/pki.js");
    const hsm = await testHsm();
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "qujat-appliance-tsa-"));
    const database = await freshDatabase(dataDir);
    const port = await freePort();
    const childEnv: NodeJS.ProcessEnv = {
      ...process.env,
      QUJAT_DATA_DIR: dataDir,
      QUJAT_PORT: String(port),
      QUJAT_LOG_LEVEL: "info",
      QUJAT_DATABASE_URL: database.url,
      QUJAT_HSM__MODULE: hsm.module,
      QUJAT_HSM__TOKEN_LABEL: hsm.tokenLabel,
      QUJAT_HSM__PIN: hsm.pin,
      QUJAT_HSM__SYSTEM_KEY_LABEL: hsm.systemKeyLabel,
      QUJAT_TSA__SERVE: "true",
      QUJAT_PKI__TRUST_DIR: testCa().trustDir,
      ...env,
    };
    delete childEnv.NODE_OPTIONS;
    const child = spawn(process.execPath, ["server/start.cjs"], {
      cwd: root,
      env: childEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
    });
    child.stderr!.on("data", (d) => {
      out += d;
    });
    try {
      for (let i = 0; !/internal TSA: a self-check/.test(out); i++) {
        if (child.exitCode !== null) throw new Error("the appliance exited: " + out);
        if (i > 1800) throw new Error("no self-check in the log: " + out);
        await new Promise((r) => setTimeout(r, 50));
      }
      return out;
    } finally {
      // SIGTERM: the appliance closes the PKCS#11 module, so the next one opens the token cleanly.
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }

  before(() => execFileSync(process.execPath, ["scripts/build-server.mjs"], { cwd: root, stdio: "inherit" }));

  it("issues and verifies one timestamp of its own at start, and says so in its log", async () => {
    const out = await startedWith({});
    expect(out).to.match(/internal TSA: a self-check timestamp was issued and verified/);
    expect(out).to.not.match(/self-check timestamp failed/);
  });
});
