// A second appliance process that works the outbox and dies with SIGKILL right after the SMTP
// server accepted its Nth message — the instant between "sent" and "recorded" (run with tsx by
// test/integration/outbox-crash.test.ts). Configured from QUJAT_CRASH_CONFIG (JSON).
import { loadConfig } from "../../server/config/index.js";
import { createDb } from "../../server/storage/db.js";
import { createLogger } from "../../server/log.js";
import { createMailer } from "../../server/mail/mailer.js";
import { OutboxDispatcher } from "../../server/mail/dispatcher.js";
import { systemClock } from "../../server/clock.js";

const { env, overrides, killAfter } = JSON.parse(process.env.QUJAT_CRASH_CONFIG!);
const config = loadConfig({ ...process.env, ...env }, overrides);
const db = createDb(config);
const logger = createLogger("silent");
const real = createMailer(config.mail, logger);
let sent = 0;
const mailer = {
  configured: true,
  close: () => real.close(),
  async send(msg: Parameters<typeof real.send>[0]) {
    await real.send(msg);
    if (++sent === killAfter) process.kill(process.pid, "SIGKILL");
  },
};
await new OutboxDispatcher({ db, clock: systemClock, config, mailer, logger }).drain();
process.stdout.write("drained without dying\n");
process.exit(0);
