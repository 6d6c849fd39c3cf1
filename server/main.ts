// Boot: config → db → migrations → http → jobs. SIGTERM/SIGINT: stop accepting, finish requests,
// stop cron, close the db.
import "./config/index.js";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import { createApp } from "./app.js";
import { systemClock } from "./clock.js";
import { ConfigError, loadConfig } from "./config/index.js";
import { setupTokenIssuer } from "./domain/identity/setup.js";
import { createLogger } from "./log.js";
import { createMailer } from "./mail/mailer.js";
import { openSigner } from "./pki/signer.js";
import { internalTsaClient } from "./pki/tsa.js";
import { openBlobStore } from "./storage/blobs.js";
import { createDb, createDirectDb } from "./storage/db.js";
import { migrateLatest, migrationsAwaited } from "./storage/migrations.js";

async function main() {
  const t0 = performance.now();
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      process.exit(2);
    }
    throw e;
  }
  const logger = createLogger(config.log.level);
  const db = createDb(config);
  // Migrations hold a session lock: on PostgreSQL itself, never through a transaction pooler.
  const direct = createDirectDb(config, db);
  if (config.cluster.migrations === "apply") {
    const applied = await migrateLatest(direct.db);
    if (applied.length) logger.info({ applied }, "migrations applied");
  } else {
    await migrationsAwaited(direct.db, config.cluster.migrationWaitSeconds, (pending) =>
      logger.warn({ pending }, "waiting for `qujat migrate` to apply pending migrations"),
    ).catch((err: Error) => {
      logger.fatal({ error: err.message }, "not starting: the database schema is behind this build");
      process.exit(3);
    });
  }
  await direct.close();
  const mailer = createMailer(config.mail, logger);
  const signer = await openSigner(config, logger);
  const { app, deps, close } = createApp({
    config,
    db,
    clock: systemClock,
    logger,
    mailer,
    signer,
    blobs: await openBlobStore(config),
  });
  await deps.jobs.sync();
  await deps.bus.ready(); // ready for traffic once it hears the other nodes (or knows it does not: /readyz)
  if (config.jobs.enabled) deps.jobs.start();
  deps.outbox.start();

  const server = createServer(app.callback());
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.server.port, config.server.host, resolve);
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : config.server.port;
  const base = config.server.publicUrl || `http://${config.server.host}:${port}`;
  logger.info(
    { url: base, database: config.database.url ? "postgres" : "sqlite", startupMs: Math.round(performance.now() - t0) },
    "qujat ready",
  );

  // The internal TSA checks itself once: a timestamp issued and verified the way a disposition
  // certificate's will be, so a key without a trusted chain shows in the log at start instead of
  // failing a disposition later — and that first (cold) issuance is not paid during one.
  const tsaCheck = deps.timestampAuthority
    ? internalTsaClient(deps.timestampAuthority, deps.trust, config.tsa.timeoutMs)
        .timestamp(randomBytes(32))
        .then(
          () => logger.info("internal TSA: a self-check timestamp was issued and verified"),
          (err: Error) => logger.error({ error: err.message }, "internal TSA: the self-check timestamp failed"),
        )
    : null;

  const setupToken = await setupTokenIssuer({
    db,
    clock: systemClock,
    config,
    elsewhere: (link) =>
      process.stdout.write(
        `\nNo administrator yet. Node ${link.node} printed the one-time setup link (valid until ${link.expiresAt}); it is in that node's output.\nor run: npx qujat admin:create --login LOGIN --email EMAIL  (password on stdin)\n\n`,
      ),
  });
  if (setupToken) {
    // Printed, not logged: a person reads it once on the console of a fresh appliance.
    process.stdout.write(
      `\nNo administrator yet. Open this one-time link to create the first one (valid ${config.auth.setupTokenMinutes} min):\n  ${base}/setup#token=${setupToken}\nor run: npx qujat admin:create --login LOGIN --email EMAIL  (password on stdin)\n\n`,
    );
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    const closed = new Promise((r) => server.close(r));
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), 10_000);
    await closed;
    clearTimeout(force);
    await deps.jobs.stop();
    await close();
    mailer.close();
    await tsaCheck;
    await deps.signer.close();
    await db.destroy();
    logger.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
