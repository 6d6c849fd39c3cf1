// Layered configuration: defaults.json → <NODE_ENV>.json → $QUJAT_CONFIG → QUJAT_* env.
// Validated once; every problem is reported together (see config/README.md for each key).
import { readFileSync, existsSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { IANAZone } from "luxon";

/** The checkout: the nearest directory above this module with package.json (from server/config/ or from a server/dist/ chunk). */
function findRoot(): string {
  for (let dir = path.dirname(fileURLToPath(import.meta.url)); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "package.json")) && existsSync(path.join(dir, "migrations"))) return dir;
    if (path.dirname(dir) === dir)
      throw new Error("cannot find the Qujat checkout above " + fileURLToPath(import.meta.url));
  }
}
const root = findRoot();

const int = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const bool = z.preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean());

export const ConfigSchema = z.strictObject({
  server: z.strictObject({
    host: z.string().min(1),
    port: int(0, 65535),
    publicUrl: z.string(),
    trustProxy: bool,
    /** with trustProxy: the header the proxy writes, and how many proxies in front append to it — the client is that many from the right */
    proxyHeader: z.string().min(1),
    proxyHops: int(1, 10),
    bodyLimitBytes: int(1024),
    /** the appliance's IANA time zone: its cron schedules, and every organization without its own (SPEC R2.6) */
    timeZone: z.string().refine((v) => IANAZone.isValidZone(v), "an IANA time zone such as Asia/Almaty"),
  }),
  dataDir: z.string().min(1),
  database: z.strictObject({
    url: z
      .string()
      .refine((u) => u === "" || /^postgres(ql)?:\/\//.test(u), "must be empty (SQLite) or a postgres:// URL"),
    /** PostgreSQL itself, for what needs a session of its own (the cluster listener, the migrations' lock, pg_dump), when database.url goes through a transaction pooler; empty: database.url */
    directUrl: z
      .string()
      .refine((u) => u === "" || /^postgres(ql)?:\/\//.test(u), "must be empty or a postgres:// URL"),
    poolMax: int(1, 1000),
    sqliteReaders: int(0, 64),
  }),
  cluster: z.strictObject({
    /** this node's name in job runs, setup tokens and logs; empty: the host name and port */
    nodeName: z.string().max(100),
    /** at start: "apply" pending migrations (under a cluster-wide lock), or "wait" for `qujat migrate` to apply them */
    migrations: z.enum(["apply", "wait"]),
    /** with "wait": how long a node waits for pending migrations before it refuses to start */
    migrationWaitSeconds: int(0, 86_400),
  }),
  blobs: z.strictObject({
    /** where document content lives: "fs" (dataDir/blobs, one node or a shared directory) or "s3" (S3-compatible object storage) */
    store: z.enum(["fs", "s3"]),
    s3: z.strictObject({
      endpoint: z.string(),
      region: z.string().min(1),
      bucket: z.string(),
      /** key prefix inside the bucket */
      prefix: z.string().regex(/^([A-Za-z0-9._-]+\/)*$/, "empty or path segments each ending in /"),
      accessKeyId: z.string(),
      secretAccessKey: z.string(),
      forcePathStyle: bool,
      /** requests in flight to the store at once */
      maxSockets: int(1, 1024),
    }),
  }),
  log: z.strictObject({ level: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]) }),
  auth: z.strictObject({
    sessionIdleMinutes: int(1),
    sessionAbsoluteHours: int(1),
    purgeAfterDays: int(1, 3650),
    sessionCacheSeconds: z.coerce.number().min(0).max(60),
    passwordMinLength: int(8, 1024),
    passwordHistory: int(0, 100),
    argon2: z.strictObject({ memoryKiB: int(1024), timeCost: int(1), parallelism: int(1, 16) }),
    throttle: z.strictObject({
      freeFailures: int(1),
      ipFreeFailures: int(1),
      baseDelaySeconds: int(1),
      maxDelaySeconds: int(1),
      resetAfterMinutes: int(1),
    }),
    totpIssuer: z.string().min(1),
    totpWindowSteps: int(0, 10),
    recoveryCodes: int(1, 50),
    setupTokenMinutes: int(1),
    /** how long a certificate sign-in challenge may be signed and returned */
    certificateChallengeSeconds: int(10, 3600),
    /** how long a browser stays a known device after its last sign-in (SPEC R1.4) */
    deviceCookieDays: int(1, 3650),
  }),
  documents: z.strictObject({
    maxBytes: int(1),
    jsonMaxBytes: int(1),
    invitationDays: int(1, 365),
    acceptance: z.strictObject({ calendarDays: int(1, 90), workingDays: int(1, 90) }),
  }),
  /** where the console finds NCALayer, the NCA's desktop signing agent (its local WebSocket API) */
  signing: z.strictObject({
    ncalayerUrl: z.string().regex(/^wss?:\/\/[^\s/]+(\/[^\s]*)?$/, "a ws:// or wss:// URL"),
  }),
  pki: z.strictObject({
    /** CA certificates trusted for signatures and certificate sign-in (relative to the checkout) */
    trustDir: z.string().min(1),
    revocation: z.strictObject({
      /** false: a certificate whose status no OCSP responder or CRL could tell is accepted (and reported so) */
      required: bool,
      timeoutMs: int(100, 60_000),
      /** how long an OCSP answer without nextUpdate is reused */
      noNextUpdateSeconds: int(0, 86_400),
      clockSkewSeconds: int(0, 3600),
      cacheEntries: int(1),
      crlRefreshSchedule: z.string().min(9),
    }),
  }),
  tsa: z.strictObject({
    /** the RFC 3161 TSA signatures are timestamped by (CAdES-T); empty: none */
    url: z.string().refine((u) => u === "" || /^https?:\/\//.test(u), "must be empty or an http(s) URL"),
    /** when the TSA cannot be reached: accept the signature without a timestamp (true) or refuse it, 503 (false) */
    allowWithout: bool,
    timeoutMs: int(100, 60_000),
    /** serve the appliance's own TSA at POST /tsa, signed by the HSM key keyLabel */
    serve: bool,
    keyLabel: z.string().min(1),
    policy: z.string().regex(/^\d+(\.\d+)+$/, "an OID"),
  }),
  hsm: z.strictObject({
    /** PKCS#11 module path; empty: no HSM (no system key, no seals, no internal TSA) */
    module: z.string(),
    tokenLabel: z.string(),
    /** the user PIN, or a file holding it (pinFile wins); env QUJAT_HSM_PIN. Never logged. */
    pin: z.string(),
    pinFile: z.string(),
    lanes: int(1, 64),
    systemKeyLabel: z.string().min(1),
    auditCheckpointSchedule: z.string().min(9),
  }),
  audit: z.strictObject({
    /** the audit MAC key, outside the database (empty: <dataDir>/audit.key) */
    keyFile: z.string(),
    /** the append-only anchor file an operator ships elsewhere (empty: <dataDir>/audit-anchors.jsonl) */
    anchorFile: z.string(),
    anchorSchedule: z.string().min(9),
  }),
  jobs: z.strictObject({
    enabled: bool,
    staleLockMinutes: int(1),
    sessionsPurgeSchedule: z.string().min(9),
    blobSweepSchedule: z.string().min(9),
    blobSweepGraceMinutes: int(1),
    deemedAcceptanceSchedule: z.string().min(9),
  }),
  mail: z.strictObject({
    from: z.string().min(3),
    smtp: z.strictObject({
      host: z.string(),
      port: int(1, 65535),
      secure: bool,
      user: z.string(),
      password: z.string(),
    }),
    /** the language of addressees without one (ru | kk | uk | en) */
    defaultLanguage: z.enum(["ru", "kk", "uk", "en"]),
    /** how often the outbox worker looks for due messages */
    pollMs: int(50, 60_000),
    /** messages sent at once */
    concurrency: int(1, 64),
    /** attempts before a message is marked failed */
    maxAttempts: int(1, 100),
    retryBaseSeconds: int(1),
    retryMaxSeconds: int(1),
  }),
  billing: z.strictObject({
    /** the organization that bills (its invoices are registered and sent as documents); empty: invoices only */
    operatorOrganizationId: z
      .string()
      .refine((v) => v === "" || /^[0-9a-f-]{36}$/i.test(v), "empty or an organization id"),
    /** countries where the operator bills without VAT (the rate elsewhere is the dated schedule's, domain/shared/vat.ts) */
    vatExemptCountries: z.array(z.enum(["KZ", "UA"])),
    /** the plan a new participant is subscribed to unless the operator chose another ("" = none, unmetered) */
    defaultPlanCode: z.string().max(50),
    /** the operator issues a monthly act of services rendered for each term invoice (published as documents) */
    serviceActs: bool,
    invoiceNumberPrefix: z.string().regex(/^[A-Z0-9-]{0,10}$/, "up to 10 capital letters, digits or dashes"),
    defaultTermMonths: int(1, 120),
    dueDays: z.strictObject({ standard: int(1, 365), prepaidBankingDays: int(1, 365), creditWorkingDays: int(1, 365) }),
    /** renewal invoices are issued this many days before a term ends */
    renewalLeadDays: int(0, 365),
    /** a participant's termination takes effect at least this many days after it is asked */
    terminationNoticeDays: int(0, 365),
    overdue: z.strictObject({
      blockAfterNoticeDays: int(0, 365),
      penaltyPercentPerDay: z.string().regex(/^\d{1,2}(\.\d{1,4})?$/, "a percentage such as 0.1"),
      fixedFine: z.string().regex(/^\d{1,12}(\.\d{1,2})?$/, "an amount such as 8650.00"),
      /** the penalty never exceeds this percentage of the invoice; empty: no cap */
      penaltyCapPercent: z.string().regex(/^(\d{1,3}(\.\d{1,2})?)?$/, "empty or a percentage such as 5"),
      suspendStep: bool,
      suspendAfterDays: int(1, 3650),
      fullBlockStep: bool,
      fullBlockAfterDays: int(1, 3650),
    }),
    planChange: z.strictObject({ noticeDays: int(0, 365), closedPlanMigrationDays: int(0, 365) }),
    dailySchedule: z.string().min(9),
    /** at most this many rows per write transaction of the daily job */
    batchSize: int(1, 100_000),
    /** the daily job sizes its batches so each write transaction takes about this long */
    writeBudgetMs: int(1, 10_000),
  }),
  retention: z.strictObject({
    /** the default rule: documents no policy covers are kept this long from registration (R5.1: 10 years) */
    defaultMonths: int(1, 1200),
    /** after a participant's contract ends its documents stay readable this long (R5.2) */
    afterContractMonths: int(0, 1200),
    /** accounts without a sign-in this long are removed (R5.3)... */
    inactiveMonths: int(1, 1200),
    /** ...after a warning this many days before */
    inactivityWarningDays: int(1, 365),
    /** the daily job: assigns retain-until dates, counts what is due, resumes approved dispositions, inactive accounts */
    dailySchedule: z.string().min(9),
    /** documents destroyed per write transaction of a disposition */
    batchSize: int(1, 10_000),
    /** a system administrator opening a participant's content states a reason at least this long (R5.8) */
    staffReasonMinLength: int(1, 1000),
  }),
});

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** `over` laid on `base`, objects merged key by key (how the configuration's layers combine). */
export function merge(base: Obj, over: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(over)) out[k] = isObj(v) && isObj(out[k]) ? merge(out[k] as Obj, v) : v;
  return out;
}

function readJson(file: string, problems: string[]): Obj {
  try {
    const v = JSON.parse(readFileSync(file, "utf8"));
    if (!isObj(v)) throw new Error("not a JSON object");
    return v;
  } catch (e) {
    problems.push(`${file}: ${(e as Error).message}`);
    return {};
  }
}

const ALIASES: Record<string, string[]> = {
  QUJAT_PORT: ["server", "port"],
  QUJAT_HOST: ["server", "host"],
  QUJAT_PUBLIC_URL: ["server", "publicUrl"],
  QUJAT_DATA_DIR: ["dataDir"],
  QUJAT_AUDIT_KEY_FILE: ["audit", "keyFile"],
  QUJAT_DATABASE_URL: ["database", "url"],
  QUJAT_DATABASE_DIRECT_URL: ["database", "directUrl"],
  QUJAT_LOG_LEVEL: ["log", "level"],
  QUJAT_NODE_NAME: ["cluster", "nodeName"],
  QUJAT_BLOB_STORE: ["blobs", "store"],
  QUJAT_S3_ENDPOINT: ["blobs", "s3", "endpoint"],
  QUJAT_S3_BUCKET: ["blobs", "s3", "bucket"],
  QUJAT_S3_ACCESS_KEY_ID: ["blobs", "s3", "accessKeyId"],
  QUJAT_S3_SECRET_ACCESS_KEY: ["blobs", "s3", "secretAccessKey"],
  QUJAT_TRUST_DIR: ["pki", "trustDir"],
  QUJAT_TSA_URL: ["tsa", "url"],
  QUJAT_TSA_SERVE: ["tsa", "serve"],
  QUJAT_HSM_MODULE: ["hsm", "module"],
  QUJAT_HSM_TOKEN: ["hsm", "tokenLabel"],
  QUJAT_HSM_PIN: ["hsm", "pin"],
  QUJAT_HSM_PIN_FILE: ["hsm", "pinFile"],
};

const camel = (s: string) => s.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function fromEnv(env: NodeJS.ProcessEnv): Obj {
  const out: Obj = {};
  const set = (keys: string[], value: string) => {
    let o = out;
    for (const k of keys.slice(0, -1)) o = (o[k] = isObj(o[k]) ? o[k] : {}) as Obj;
    o[keys[keys.length - 1]] = value;
  };
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || !name.startsWith("QUJAT_")) continue;
    if (ALIASES[name]) set(ALIASES[name], value);
    else if (name.includes("__")) set(name.slice(6).split("__").map(camel), value);
  }
  return out;
}

/** Loads and validates the configuration; throws ConfigError listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Obj = {}): Config {
  const problems: string[] = [];
  const dir = path.join(root, "config");
  let raw = readJson(path.join(dir, "defaults.json"), problems);
  const envName = env.NODE_ENV ?? "development";
  const envFile = path.join(dir, `${envName}.json`);
  if (existsSync(envFile)) raw = merge(raw, readJson(envFile, problems));
  if (env.QUJAT_CONFIG) raw = merge(raw, readJson(path.resolve(env.QUJAT_CONFIG), problems));
  raw = merge(merge(raw, fromEnv(env)), overrides);
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join(".") || "(root)"}: ${issue.message}`);
  }
  const hsm = parsed.data?.hsm;
  if (hsm?.module) {
    if (!hsm.tokenLabel) problems.push("hsm.tokenLabel: required when hsm.module is set (tokens are found by label)");
    if (hsm.pinFile) {
      try {
        hsm.pin = readFileSync(path.resolve(root, hsm.pinFile), "utf8").trim();
      } catch (e) {
        problems.push(`hsm.pinFile: ${(e as Error).message}`);
      }
    }
    if (!hsm.pin && !problems.some((p) => p.startsWith("hsm.pinFile")))
      problems.push("hsm.pin: required when hsm.module is set (hsm.pinFile or QUJAT_HSM_PIN)");
  }
  const s3 = parsed.data?.blobs.store === "s3" ? parsed.data.blobs.s3 : null;
  if (s3) {
    if (!s3.bucket) problems.push("blobs.s3.bucket: required when blobs.store is s3");
    if (s3.endpoint && !/^https?:\/\//.test(s3.endpoint))
      problems.push("blobs.s3.endpoint: an http(s) URL or empty (AWS)");
  }
  if (parsed.data?.cluster.migrations === "wait" && !parsed.data.database.url)
    problems.push('cluster.migrations: "wait" is for several nodes on PostgreSQL (database.url)');
  if (problems.length) throw new ConfigError(problems);
  const config = parsed.data!;
  config.cluster.nodeName ||= `${hostname()}:${config.server.port}`;
  if (config.database.url) config.database.directUrl ||= config.database.url;
  else config.database.directUrl = "";
  config.dataDir = path.resolve(config.dataDir);
  config.audit.keyFile = path.resolve(config.audit.keyFile || path.join(config.dataDir, "audit.key"));
  config.audit.anchorFile = path.resolve(config.audit.anchorFile || path.join(config.dataDir, "audit-anchors.jsonl"));
  config.pki.trustDir = path.resolve(root, config.pki.trustDir);
  return config;
}

export const projectRoot = root;
