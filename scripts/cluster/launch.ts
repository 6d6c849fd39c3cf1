// The reference deployment on one machine (docs/operations.md, "Several nodes"): N appliance
// processes on one PostgreSQL database, blobs in S3 object storage (Debian's Swift) or a shared
// directory, and Debian's nginx in front. Used by `make cluster`, the cluster test suite and the
// scaling bench. Each node is a real process of the compiled appliance (server/start.cjs), with
// its own data directory (uploads being received, its CRL cache) and, optionally, a clock set off
// by libfaketime to show that schedules agree across skewed clocks.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import path from "node:path";
import { merge, projectRoot } from "../../server/config/index.js";
import { freePort } from "../../test/support/net.js";

export interface NodeHandle {
  name: string;
  port: number;
  url: string;
  process: ChildProcess;
  /** everything it printed: its log (pino JSON lines) and its console output */
  output: string[];
  exited: Promise<number | null>;
}

export interface ClusterOptions {
  /** where configs, node data, the shared audit key and nginx's files go */
  dir: string;
  nodes: number;
  databaseUrl: string;
  /** "s3" with `s3` settings, or "fs" on a directory every node shares */
  blobs: { store: "s3"; s3: Record<string, unknown> } | { store: "fs" };
  /** merged into every node's configuration */
  config?: Record<string, unknown>;
  /** per node: its clock's offset in seconds (libfaketime), e.g. [0, 0.2, 0.1] */
  clockOffsets?: number[];
  /** "apply": every node migrates at start (under the cluster lock); "wait": `qujat migrate` first */
  migrations?: "apply" | "wait";
  /** nginx in front, on this port (0: any free one) */
  nginxPort?: number;
  /** extra environment for every node */
  env?: Record<string, string>;
  /** the nodes' pools go through Debian's PgBouncer in transaction mode (what needs a session goes to PostgreSQL directly) */
  pgbouncer?: boolean;
}

type Obj = Record<string, unknown>;

const LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

/** Debian packages the deployment uses, installed when missing (the tests run as root). */
export function ensureClusterPackages() {
  const need: string[] = [];
  if (!existsSync("/usr/sbin/nginx")) need.push("nginx-light");
  if (!existsSync(LIBFAKETIME)) need.push("faketime");
  if (!existsSync("/usr/sbin/pgbouncer")) need.push("pgbouncer");
  if (!need.length) return;
  const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
  execFileSync(sudo[0] ?? "apt-get", [...sudo.slice(1), ...(sudo.length ? ["apt-get"] : []), "update", "-qq"], {
    stdio: "inherit",
  });
  execFileSync(sudo[0] ?? "apt-get", [...(sudo.length ? ["apt-get"] : []), "install", "-y", "-qq", ...need], {
    stdio: "inherit",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
  });
}

/** The appliance compiled to plain JavaScript, built when its sources are newer (make server). */
export function ensureServerBuilt() {
  execFileSync("make", ["-s", "server"], { cwd: projectRoot, stdio: "inherit" });
}

export class Cluster {
  readonly nodes: NodeHandle[] = [];
  url = "";
  /** what the nodes' pools connect to: PostgreSQL, or PgBouncer in front of it */
  poolUrl = "";
  private nginx: ChildProcess | null = null;
  private pgbouncer: ChildProcess | null = null;

  constructor(readonly o: ClusterOptions) {}

  configOf(i: number, port: number) {
    const shared = path.join(this.o.dir, "shared");
    const base = {
      server: { host: "127.0.0.1", port, trustProxy: true, publicUrl: this.url || `http://127.0.0.1:${port}` },
      dataDir: path.join(this.o.dir, `node${i + 1}`),
      database: { url: this.poolUrl || this.o.databaseUrl, directUrl: this.o.databaseUrl },
      cluster: { nodeName: `node${i + 1}`, migrations: this.o.migrations ?? "apply", migrationWaitSeconds: 120 },
      blobs: this.o.blobs.store === "s3" ? { store: "s3", s3: this.o.blobs.s3 } : { store: "fs" },
      // One audit key and one anchor file for the whole appliance: every node appends to one chain.
      audit: { keyFile: path.join(shared, "audit.key"), anchorFile: path.join(shared, "audit-anchors.jsonl") },
      log: { level: "info" },
    };
    return merge(base, this.o.config ?? {});
  }

  /** Starts node `i` (0-based) and resolves when /healthz answers (or rejects if it exits first). */
  async startNode(i: number): Promise<NodeHandle> {
    const port = this.nodes[i]?.port ?? (await freePort());
    const shared = path.join(this.o.dir, "shared");
    mkdirSync(shared, { recursive: true });
    const config = this.configOf(i, port) as Obj & { dataDir: string };
    if (this.o.blobs.store === "fs") {
      // The shared directory every node's "blobs" is (NFS or a cluster filesystem on real sites).
      const blobs = path.join(shared, "blobs");
      mkdirSync(blobs, { recursive: true });
      mkdirSync(config.dataDir, { recursive: true });
      const link = path.join(config.dataDir, "blobs");
      if (!existsSync(link)) execFileSync("ln", ["-s", blobs, link]);
    }
    const file = path.join(this.o.dir, `node${i + 1}.json`);
    writeFileSync(file, JSON.stringify(config, null, 2));
    const offset = this.o.clockOffsets?.[i] ?? 0;
    const env: NodeJS.ProcessEnv = { ...process.env };
    // The node's file is its whole configuration: nothing of the caller's own QUJAT_* leaks in.
    for (const k of Object.keys(env)) if (k.startsWith("QUJAT_")) delete env[k];
    Object.assign(env, { NODE_ENV: "cluster", QUJAT_CONFIG: file }, this.o.env);
    if (offset) {
      env.LD_PRELOAD = LIBFAKETIME;
      env.FAKETIME = `${offset >= 0 ? "+" : ""}${offset}`;
      env.FAKETIME_DONT_FAKE_MONOTONIC = "1";
      env.FAKETIME_NO_CACHE = "1";
    }
    const child = spawn(process.execPath, ["--enable-source-maps", path.join(projectRoot, "server/start.cjs")], {
      cwd: projectRoot,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const output: string[] = [];
    const collect = (b: Buffer) => output.push(...b.toString().split("\n").filter(Boolean));
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
    const handle: NodeHandle = {
      name: `node${i + 1}`,
      port,
      url: `http://127.0.0.1:${port}`,
      process: child,
      output,
      exited,
    };
    this.nodes[i] = handle;
    const up = (async () => {
      for (;;) {
        const ok = await fetch(`${handle.url}/healthz`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) return handle;
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    return Promise.race([
      up,
      exited.then((code) => {
        throw new Error(`${handle.name} exited (${code}) before it was up:\n${output.slice(-20).join("\n")}`);
      }),
    ]);
  }

  async stopNode(i: number, signal: NodeJS.Signals = "SIGTERM") {
    const n = this.nodes[i];
    if (!n || n.process.exitCode !== null) return;
    n.process.kill(signal);
    await n.exited;
  }

  /** `qujat migrate` against the cluster's database, as a deploy's first step. */
  migrate() {
    const file = path.join(this.o.dir, "migrate.json");
    writeFileSync(
      file,
      JSON.stringify({
        ...this.configOf(0, 1),
        cluster: { nodeName: "migrate", migrations: "apply", migrationWaitSeconds: 0 },
      }),
    );
    return execFileSync(process.execPath, [path.join(projectRoot, "scripts/qujat.mjs"), "migrate"], {
      cwd: projectRoot,
      env: {
        ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("QUJAT_"))),
        NODE_ENV: "cluster",
        QUJAT_CONFIG: file,
      },
      encoding: "utf8",
    });
  }

  /** All nodes at once (as a deploy of several machines does), then nginx in front. */
  async start() {
    mkdirSync(this.o.dir, { recursive: true });
    const port = this.o.nginxPort || (await freePort());
    this.url = `http://127.0.0.1:${port}`;
    if (this.o.pgbouncer) await this.startPgBouncer();
    await Promise.all(Array.from({ length: this.o.nodes }, (_, i) => this.startNode(i)));
    await this.startNginx(port);
    return this;
  }

  private async startNginx(port: number) {
    const prefix = path.join(this.o.dir, "nginx");
    mkdirSync(path.join(prefix, "logs"), { recursive: true });
    mkdirSync(path.join(prefix, "tmp"), { recursive: true });
    const conf = path.join(prefix, "nginx.conf");
    writeFileSync(
      conf,
      nginxConf(
        prefix,
        port,
        this.nodes.map((n) => n.port),
      ),
    );
    this.nginx = spawn("/usr/sbin/nginx", ["-p", prefix, "-c", conf, "-e", path.join(prefix, "logs/error.log")], {
      stdio: "inherit",
    });
    for (;;) {
      const ok = await fetch(`${this.url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      if (this.nginx.exitCode !== null) throw new Error(`nginx exited (${this.nginx.exitCode})`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async close() {
    this.nginx?.kill("SIGQUIT");
    await Promise.all(this.nodes.map((_, i) => this.stopNode(i)));
    this.pgbouncer?.kill("SIGTERM");
  }

  /**
   * PgBouncer in transaction mode in front of PostgreSQL, as a large site runs it: every node's pool
   * goes through it; the listener, migrations and the CLI go to PostgreSQL itself (database.directUrl).
   */
  private async startPgBouncer() {
    const pg = new URL(this.o.databaseUrl);
    const dir = path.join(this.o.dir, "pgbouncer");
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const user = decodeURIComponent(pg.username);
    writeFileSync(path.join(dir, "userlist.txt"), `"${user}" "${decodeURIComponent(pg.password)}"\n`);
    writeFileSync(
      path.join(dir, "pgbouncer.ini"),
      [
        "[databases]",
        `* = host=${pg.hostname} port=${pg.port || 5432}`,
        "[pgbouncer]",
        "listen_addr = 127.0.0.1",
        `listen_port = ${port}`,
        "unix_socket_dir =",
        "auth_type = plain",
        `auth_file = ${path.join(dir, "userlist.txt")}`,
        "pool_mode = transaction",
        "max_client_conn = 1000",
        "default_pool_size = 20",
        "ignore_startup_parameters = extra_float_digits,options",
        `logfile = ${path.join(dir, "pgbouncer.log")}`,
        "log_connections = 0",
        "log_disconnections = 0",
        "",
      ].join("\n"),
    );
    // PgBouncer will not run as root: as the postgres user, which must read its files.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      for (const d of [this.o.dir, dir]) execFileSync("chmod", ["a+rx", d]);
      execFileSync("chown", ["-R", "postgres", dir]);
    }
    this.pgbouncer = spawn(
      "/usr/sbin/pgbouncer",
      [...(asRoot ? ["-u", "postgres"] : []), path.join(dir, "pgbouncer.ini")],
      { stdio: "ignore" }, // it logs to its logfile as well
    );
    const url = new URL(this.o.databaseUrl);
    url.port = String(port);
    url.hostname = "127.0.0.1";
    for (;;) {
      const up = await new Promise<boolean>((resolve) => {
        const c = createConnection(port, "127.0.0.1", () => (c.end(), resolve(true)));
        c.on("error", () => resolve(false));
      });
      if (up) break;
      if (this.pgbouncer.exitCode !== null) throw new Error(`pgbouncer exited (${this.pgbouncer.exitCode})`);
      await new Promise((r) => setTimeout(r, 100));
    }
    this.poolUrl = url.toString();
  }
}

/**
 * nginx in front of the nodes: round robin, the client's address appended to X-Forwarded-For
 * (the nodes read it from the right: server.trustProxy with proxyHops 1), large uploads streamed
 * through, and a node that refuses connections or fails to answer taken out for a while.
 */
export function nginxConf(prefix: string, port: number, nodePorts: number[]) {
  return `daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  upstream qujat {
${nodePorts.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=5s;`).join("\n")}
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 64m;
    location / {
      proxy_pass http://qujat;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_request_buffering off;
      proxy_buffering off;
      proxy_read_timeout 300s;
      proxy_next_upstream error timeout http_502;
    }
  }
}
`;
}
