// `qujat` command line: admin:create, audit:verify, migrate, jobs:run.
import { parseArgs } from "node:util";
import { systemClock } from "./clock.js";
import { ConfigError, loadConfig } from "./config/index.js";
import { auditVerifier } from "./domain/audit/queries.js";
import { systemAdminCreator } from "./domain/identity/auth.js";
import { systemActor } from "./domain/identity/roles.js";
import { AppError } from "./errors.js";
import { createDb, migrateLatest } from "./storage/db.js";

const USAGE = `usage: qujat <command> [options]
  admin:create --login L --email E [--name "Full Name"] [--iin IIN]   create a system administrator (password on stdin)
  audit:verify                                                        recompute the audit hash chain
  migrate                                                             apply pending migrations`;

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("Password: ");
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "");
}

export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "help") {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  const db = createDb(config);
  try {
    await migrateLatest(db);
    switch (command) {
      case "migrate":
        console.log("migrations are current");
        return 0;
      case "admin:create": {
        const { values } = parseArgs({ args: rest, options: { login: { type: "string" }, email: { type: "string" }, name: { type: "string" }, iin: { type: "string" } } });
        if (!values.login || !values.email) {
          console.error("admin:create needs --login and --email; the password is read from stdin");
          return 2;
        }
        const password = await readStdin();
        const created = await db.transaction((tx) =>
          systemAdminCreator({ tx, actor: systemActor, clock: systemClock, config, meta: { ip: null, requestId: "cli" } },
            { login: values.login!, email: values.email!, fullName: values.name ?? values.login!, iin: values.iin, password }));
        console.log(`system administrator ${created.user.login} created (id ${created.user.id})`);
        return 0;
      }
      case "audit:verify": {
        const r = await auditVerifier(db);
        if (r.ok) console.log(`audit log intact: ${r.count} entries, head ${r.checkpoint.hash}`);
        else console.error(`audit log BROKEN at seq ${r.firstBrokenSeq} (${r.reason}); ${r.count} entries verified before it`);
        return r.ok ? 0 : 1;
      }
      default:
        console.error(`unknown command: ${command}\n${USAGE}`);
        return 2;
    }
  } finally {
    await db.destroy();
  }
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError) console.error(err.message);
    else if (err instanceof AppError) console.error(`${err.code}: ${err.message}${err.extras.rules ? ` (${(err.extras.rules as string[]).join(", ")})` : ""}`);
    else console.error(err);
    process.exit(1);
  },
);
