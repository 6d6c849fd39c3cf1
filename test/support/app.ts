// A real appliance per suite: createApp() over HTTP on a loopback port, with a fresh database —
// a SQLite file, or (when QUJAT_DATABASE_URL is set) a new PostgreSQL database dropped afterwards.
import { rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createServer, type Server } from "node:http";
import { scratchDir } from "./scratch.js";
import knexFactory from "knex";
import { createApp } from "../../server/app.js";
import { ManualClock } from "../../server/clock.js";
import { loadConfig, type Config } from "../../server/config/index.js";
import { setupTokenIssuer, systemAdminCreator } from "../../server/domain/identity/setup.js";
import { systemActor } from "../../server/domain/identity/roles.js";
import { createLogger } from "../../server/log.js";
import { createMailer } from "../../server/mail/mailer.js";
import { TestSmtp } from "./smtp.js";
import { noSigner, openSigner } from "../../server/pki/signer.js";
import { openBlobStore } from "../../server/storage/blobs.js";
import { createDb, type Db } from "../../server/storage/db.js";
import { migrateLatest } from "../../server/storage/migrations.js";
import { Client } from "./client.js";
import { testCa } from "./pki.js";

export const PASSWORD = "Str0ng!Passw0rd";
export const onPostgres = () => Boolean(process.env.QUJAT_DATABASE_URL);

export async function freshDatabase(_dataDir: string): Promise<{ url: string; drop(): Promise<void> }> {
  const base = process.env.QUJAT_DATABASE_URL;
  if (!base) return { url: "", drop: async () => {} };
  const name = `qujat_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = knexFactory({ client: "pg", connection: base, pool: { min: 0, max: 1 } });
  await admin.raw(`create database ${name}`);
  await admin.destroy();
  const url = new URL(base);
  url.pathname = "/" + name;
  return {
    url: url.toString(),
    async drop() {
      const a = knexFactory({ client: "pg", connection: base, pool: { min: 0, max: 1 } });
      try {
        // An autovacuum worker in the database can make the forced drop fail for a moment: retry.
        for (let attempt = 1; ; attempt++) {
          try {
            await a.raw(`drop database if exists ${name} with (force)`);
            break;
          } catch (err) {
            if (attempt >= 10 || !/pg_signal_backend|being accessed by other users/.test((err as Error).message))
              throw err;
            await new Promise((r) => setTimeout(r, 200 * attempt));
          }
        }
      } finally {
        await a.destroy();
      }
    },
  };
}

export interface TestApp {
  url: string;
  clock: ManualClock;
  db: Db;
  config: Config;
  /** the real SMTP server this appliance sends to */
  smtp: TestSmtp;
  deps: ReturnType<typeof createApp>["deps"];
  api: ReturnType<typeof createApp>["api"];
  dataDir: string;
  client(): Client;
  /** a signed-in client of a fresh system administrator (not signed in on a first-run appliance) */
  admin: Client;
  /** the one-time setup token of a first-run appliance */
  setupToken: string | null;
  close(): Promise<void>;
}

/** `firstRun`: no administrator is created (the appliance waits for its setup link, `setupToken`). */
export async function startTestApp(
  overrides: Record<string, unknown> = {},
  opts: { firstRun?: boolean } = {},
): Promise<TestApp> {
  const dataDir = scratchDir("qujat-test-");
  const database = await freshDatabase(dataDir);
  const smtp = await new TestSmtp().start();
  const config = loadConfig(
    { ...process.env, NODE_ENV: "test", QUJAT_DATA_DIR: dataDir, QUJAT_DATABASE_URL: database.url },
    {
      pki: { trustDir: testCa().trustDir },
      ...overrides,
      mail: {
        smtp: { host: "127.0.0.1", port: smtp.port },
        retryBaseSeconds: 30,
        ...((overrides.mail as object) ?? {}),
      },
    },
  );
  const db = createDb(config);
  await migrateLatest(db);
  const clock = new ManualClock("2026-03-02T09:00:00.000Z");
  const logger = createLogger((process.env.TEST_LOG as any) ?? "silent");
  const mailer = createMailer(config.mail, logger);
  // With hsm overrides (see support/hsm.ts), the real PKCS#11 signer over the SoftHSM token.
  const signer = config.hsm.module ? await openSigner(config, logger) : noSigner;
  const built = createApp({
    config,
    db,
    clock,
    logger,
    mailer,
    signer,
    blobs: await openBlobStore(config),
  });
  await built.deps.jobs.sync();
  await built.deps.bus.ready();
  const server: Server = createServer(built.app.callback());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const admin = new Client(url);
  let setupToken: string | null = null;
  if (opts.firstRun) {
    setupToken = await setupTokenIssuer({ db, clock, config });
  } else {
    await db.transaction((tx) =>
      systemAdminCreator(
        { tx, actor: systemActor, clock, config, meta: { ip: null, requestId: null } },
        { login: "root", email: "root@example.kz", fullName: "Root Admin", password: PASSWORD },
      ),
    );
    await admin.login("root", PASSWORD);
  }
  return {
    url,
    clock,
    db,
    config,
    smtp,
    deps: built.deps,
    api: built.api,
    dataDir,
    admin,
    setupToken,
    client: () => new Client(url),
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      await built.close();
      mailer.close();
      await smtp.stop();
      await signer.close();
      await db.destroy();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
