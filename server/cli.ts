// `qujat` command line: admin:create, audit:verify, audit:anchor, audit:checkpoint, backup, backup:verify, restore, migrate, hsm:status, hsm:keygen, hsm:import-cert.
import path from "node:path";
import { createHash, verify as cryptoVerify, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { auditCheckpointWriter } from "./domain/audit/checkpoints.js";
import { createLogger } from "./log.js";
import { certificateBlocks, parseCertificate } from "./pki/certificates.js";
import { verifyDetachedCms } from "./pki/cms.js";
import { Hsm, HsmSigner } from "./pki/hsm.js";
import { openSigner } from "./pki/signer.js";
import { systemClock } from "./clock.js";
import { ConfigError, loadConfig, type Config } from "./config/index.js";
import { auditVerifier } from "./domain/audit/queries.js";
import { systemAdminCreator } from "./domain/identity/setup.js";
import { systemActor } from "./domain/identity/roles.js";
import { AppError } from "./errors.js";
import { createDb } from "./storage/db.js";
import { migrateLatest } from "./storage/migrations.js";
import { bindAuditKey, loadAuditKey } from "./domain/audit/key.js";
import { BackupError, backupCreator, backupRestorer, backupVerifier } from "./storage/backup.js";
import { anchorsChecker, auditAnchorWriter, parseAnchors } from "./domain/audit/anchors.js";
import { TsaClient } from "./pki/tsa.js";
import { TrustStore } from "./pki/trust.js";

const USAGE = `usage: qujat <command> [options]
  admin:create --login L --email E [--name "Full Name"] [--iin IIN]   create a system administrator (password on stdin)
  audit:verify [--anchors FILE]                                       recompute the audit hash chain and its MACs; check it against anchors held outside
  audit:anchor                                                        anchor the audit chain's head now (audit.anchorFile; timestamped with tsa.url)
  migrate                                                             apply pending migrations
  backup DIR                                                          a consistent backup while the appliance serves: database, blobs, audit key, manifest
  backup:verify DIR                                                   re-read every file of a backup against its manifest
  restore DIR                                                         restore a verified backup into an empty data directory and database
  audit:checkpoint                                                    sign the audit chain's head with the HSM system key now
  hsm:status                                                          the HSM: module, token, keys and a test signature
  hsm:keygen --label L --subject "CN=…, O=…, C=KZ" [--ec]             generate a key inside the HSM; prints its PKCS#10 request
  hsm:import-cert --label L --file cert.pem                           store the CA's certificate for key L on the token`;

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write("Password: ");
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === "--help" || command === "help") {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  if (command.startsWith("hsm:")) return hsmCommand(config, command, rest);
  if (command === "backup" || command === "backup:verify" || command === "restore")
    return backupCommand(config, command, rest);
  const db = createDb(directly(config));
  bindAuditKey(db, loadAuditKey(config.audit.keyFile)); // what the CLI appends is keyed like the appliance's entries
  try {
    const applied = await migrateLatest(db);
    switch (command) {
      case "migrate":
        console.log(
          applied.length ? `applied ${applied.length} migration(s); the schema is current` : "migrations are current",
        );
        return 0;
      case "admin:create": {
        const { values } = parseArgs({
          args: rest,
          options: {
            login: { type: "string" },
            email: { type: "string" },
            name: { type: "string" },
            iin: { type: "string" },
          },
        });
        if (!values.login || !values.email) {
          console.error("admin:create needs --login and --email; the password is read from stdin");
          return 2;
        }
        const password = await readStdin();
        const created = await db.transaction((tx) =>
          systemAdminCreator(
            { tx, actor: systemActor, clock: systemClock, config, meta: { ip: null, requestId: "cli" } },
            {
              login: values.login!,
              email: values.email!,
              fullName: values.name ?? values.login!,
              iin: values.iin,
              password,
            },
          ),
        );
        console.log(`system administrator ${created.user.login} created (id ${created.user.id})`);
        return 0;
      }
      case "audit:checkpoint": {
        if (!config.hsm.module) {
          console.error("no HSM configured (hsm.module / QUJAT_HSM_MODULE): there is no system key to sign with");
          return 1;
        }
        const signer = await openSigner(config, createLogger("silent"));
        try {
          const c = await auditCheckpointWriter(db, systemClock, signer, config.server.publicUrl || config.server.host);
          console.log(`checkpoint ${c.id}: seq ${c.seq}, head ${c.head_hash}, signed by ${c.signer_subject}`);
          return 0;
        } finally {
          await signer.close();
        }
      }
      case "audit:verify": {
        const { values } = parseArgs({ args: rest, options: { anchors: { type: "string" } } });
        const r = await auditVerifier(db);
        if (r.ok)
          console.log(
            `audit log intact: ${r.count} entries, head ${r.checkpoint.hash}` +
              (r.keyedFrom !== null ? `; MACs checked from entry ${r.keyedFrom}` : "; no entry is keyed yet"),
          );
        else
          console.error(
            `audit log BROKEN at seq ${r.firstBrokenSeq} (${r.reason}); ${r.count} entries verified before it`,
          );
        if (!values.anchors) return r.ok ? 0 : 1;
        let anchors: ReturnType<typeof parseAnchors>;
        try {
          anchors = parseAnchors(readFileSync(values.anchors, "utf8"));
        } catch (err) {
          console.error(`${values.anchors}: ${(err as Error).message}`);
          return 2;
        }
        const tsa = new TsaClient({ url: "", timeoutMs: 0, trust: new TrustStore(config.pki.trustDir) });
        const checks = await anchorsChecker(db, anchors, async (token, digest) => {
          await tsa.verifyToken(token, digest);
        });
        const broken = checks.filter((c) => !c.ok);
        for (const c of broken) console.error(`anchor of entry ${c.seq} (${c.at}) BROKEN: ${c.problem}`);
        const stamped = checks.filter((c) => c.timestamped).length;
        if (broken.length === 0) console.log(`${checks.length} anchors hold (${stamped} with a verified timestamp)`);
        return r.ok && broken.length === 0 ? 0 : 1;
      }
      case "audit:anchor": {
        const trust = new TrustStore(config.pki.trustDir);
        const client = config.tsa.url
          ? new TsaClient({ url: config.tsa.url, timeoutMs: config.tsa.timeoutMs, trust })
          : null;
        const a = await auditAnchorWriter(db, systemClock, {
          appliance: config.server.publicUrl || config.server.host,
          anchorFile: config.audit.anchorFile,
          timestamp: client ? async (data) => (await client.timestamp(data)).token : null,
        });
        console.log(
          `anchored entry ${a.anchor.seq} (${a.anchor.hash}) in ${config.audit.anchorFile}${a.line.timestamp ? ", timestamped" : ""}`,
        );
        return 0;
      }
      default:
        console.error(`unknown command: ${command}\n${USAGE}`);
        return 2;
    }
  } finally {
    await db.destroy();
  }
}

/** The command line works on PostgreSQL itself (migrations and snapshots hold a session), never through a pooler. */
const directly = (config: Config): Config => ({
  ...config,
  database: { ...config.database, url: config.database.directUrl },
});

/** backup DIR, backup:verify DIR, restore DIR (docs/operations.md, "Backup and restore"). */
async function backupCommand(config: Config, command: string, rest: string[]): Promise<number> {
  const dir = rest[0] ? path.resolve(rest[0]) : null;
  if (!dir) {
    console.error(`${command} needs a directory: npx qujat ${command} DIR`);
    return 2;
  }
  const log = (line: string) => console.log(line);
  try {
    if (command === "backup:verify") {
      const { manifest, problems } = await backupVerifier(dir);
      for (const p of problems) console.error(`BROKEN ${p}`);
      if (problems.length === 0)
        console.log(
          `backup intact: ${manifest.files.length} files (${manifest.database}, ${manifest.blobs} blobs, made ${manifest.createdAt})`,
        );
      return problems.length ? 1 : 0;
    }
    const db = createDb(directly(config));
    try {
      if (command === "backup") {
        const m = await backupCreator(config, db, dir, log);
        console.log(`backup complete: ${dir} (${m.files.length} files; manifest.json lists each with its SHA-256)`);
        return 0;
      }
      await backupRestorer(config, db, dir, log);
    } finally {
      await db.destroy();
    }
    // A backup from an older appliance is migrated on.
    const restored = createDb(directly(config));
    try {
      await migrateLatest(restored);
    } finally {
      await restored.destroy();
    }
    console.log(`restored from ${dir}; run npx qujat audit:verify to check the log`);
    return 0;
  } catch (err) {
    if (err instanceof BackupError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
}

async function hsmCommand(config: Config, command: string, rest: string[]): Promise<number> {
  if (!config.hsm.module) {
    console.error(
      "no HSM configured: set hsm.module (QUJAT_HSM_MODULE), hsm.tokenLabel (QUJAT_HSM_TOKEN) and the PIN (QUJAT_HSM_PIN or hsm.pinFile)",
    );
    return 1;
  }
  const { module, tokenLabel, pin, systemKeyLabel } = config.hsm;
  let hsm: Hsm;
  try {
    hsm = await Hsm.open({ module, tokenLabel, pin, lanes: 1 });
  } catch (err) {
    console.error(`HSM ${module}, token "${tokenLabel}": ${(err as Error).message}`);
    return 1;
  }
  try {
    switch (command) {
      case "hsm:status": {
        console.log(`module: ${module}`);
        console.log(
          `token:  "${hsm.token.label}" (${hsm.token.manufacturer} ${hsm.token.model}, serial ${hsm.token.serialNumber})`,
        );
        const keys = hsm.listKeys();
        console.log(`keys:   ${keys.length ? "" : "none"}`);
        for (const k of keys)
          console.log(
            `  ${k.label}  ${k.algorithm}  id ${k.id}  certificate ${k.certificate ? `sha256 ${k.certificate.sha256}` : "none"}${k.label === systemKeyLabel ? "  (system key)" : ""}`,
          );
        const status = await new HsmSigner(hsm, systemKeyLabel).status();
        let verified = "";
        if (status.available && hsm.key(systemKeyLabel).certificate) {
          const data = Buffer.from(`hsm:status ${new Date().toISOString()}`);
          const cms = await hsm.signCms(systemKeyLabel, createHash("sha256").update(data).digest(), new Date());
          await verifyDetachedCms(cms, {
            sha256: createHash("sha256").update(data).digest("hex"),
            read: async () => data,
          });
          verified = "; a CMS by it verifies";
        }
        console.log(`test signature: ${status.available ? "ok" : "FAILED"} (${status.detail}${verified})`);
        return status.available ? 0 : 1;
      }
      case "hsm:keygen": {
        const { values } = parseArgs({
          args: rest,
          options: { label: { type: "string" }, subject: { type: "string" }, ec: { type: "boolean" } },
        });
        if (!values.label || !values.subject) {
          console.error("hsm:keygen needs --label and --subject");
          return 2;
        }
        process.stdout.write(await hsm.generateKey(values.label, values.ec ? "ec" : "rsa", values.subject));
        console.error(
          `key "${values.label}" generated inside the token; the request above is for your CA, then: npx qujat hsm:import-cert --label ${values.label} --file cert.pem`,
        );
        return 0;
      }
      case "hsm:import-cert": {
        const { values } = parseArgs({ args: rest, options: { label: { type: "string" }, file: { type: "string" } } });
        if (!values.label || !values.file) {
          console.error("hsm:import-cert needs --label and --file");
          return 2;
        }
        const parsed = await parseCertificate(certificateBlocks(readFileSync(values.file))[0]);
        const key = hsm.key(values.label);
        if (!(await certifiesKey(parsed.der, hsm, key.label))) {
          console.error(`the certificate's public key is not the key "${values.label}" on the token`);
          return 1;
        }
        await hsm.importCertificate(values.label, parsed.der);
        console.log(
          `certificate ${parsed.info.subject} (valid to ${parsed.info.notAfter}) stored with key "${values.label}"`,
        );
        return 0;
      }
      default:
        console.error(`unknown command: ${command}\n${USAGE}`);
        return 2;
    }
  } finally {
    await hsm.close();
  }
}

/** Whether the token's key signs what the certificate's public key verifies. */
async function certifiesKey(certDer: Buffer, hsm: Hsm, label: string): Promise<boolean> {
  const data = Buffer.from("qujat certificate match");
  const signature = await hsm.sign(label, data);
  const k = hsm.key(label);
  const publicKey = new X509Certificate(certDer).publicKey;
  return (k.key.algorithm as { name?: string }).name === "ECDSA"
    ? cryptoVerify("sha256", data, { key: publicKey, dsaEncoding: "ieee-p1363" }, signature)
    : cryptoVerify("sha256", data, publicKey, signature);
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    if (err instanceof ConfigError) console.error(err.message);
    else if (err instanceof AppError)
      console.error(
        `${err.code}: ${err.message}${err.extras.rules ? ` (${(err.extras.rules as string[]).join(", ")})` : ""}`,
      );
    else console.error(err);
    process.exit(1);
  },
);
