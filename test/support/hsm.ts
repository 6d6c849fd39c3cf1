// A fresh SoftHSM2 token per test process (its own token directory, removed at exit), with the
// appliance's system key generated inside the token — never outside it — and certified by the
// test CA, the way an administrator sets up a real HSM with `qujat hsm:keygen` / `hsm:import-cert`.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { scratchDir } from "./scratch.js";
import { certificateBlocks, parseCertificate } from "../../server/pki/certificates.js";
import { Hsm } from "../../server/pki/hsm.js";
import { testCa, type TestCa } from "./pki.js";

/** Debian's SoftHSM2 PKCS#11 module (package softhsm2). */
export const SOFTHSM_MODULE =
  ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"].find((p) => existsSync(p)) ??
  "/usr/lib/softhsm/libsofthsm2.so";

export interface TestHsm {
  module: string;
  tokenLabel: string;
  pin: string;
  systemKeyLabel: string;
  /** config overrides for startTestApp */
  config: Record<string, unknown>;
  /** the test CA's certificate file, to verify the system key's signatures with openssl */
  caFile: string;
}

let shared: Promise<TestHsm> | null = null;

/** Certifies the token's key `label` by the test CA and stores the certificate on the token. */
export async function certifyKey(
  hsm: Hsm,
  label: string,
  subject: string,
  ca: TestCa = testCa(),
  kind: "rsa" | "ec" = "rsa",
  usage = "keyUsage = critical, digitalSignature, nonRepudiation",
): Promise<Buffer> {
  const csr = await hsm.generateKey(label, kind, subject);
  const dir = scratchDir("qujat-hsmcert-");
  writeFileSync(path.join(dir, "req.csr"), csr);
  writeFileSync(
    path.join(dir, "ext.cnf"),
    `[v3]\n${usage}\nbasicConstraints = critical, CA:FALSE\n` +
      `authorityInfoAccess = OCSP;URI:${ca.ocspUrl}\ncrlDistributionPoints = URI:${ca.crlUrl}\n`,
  );
  execFileSync(
    "openssl",
    [
      "ca",
      "-batch",
      "-config",
      "ca.cnf",
      "-preserveDN",
      "-notext",
      "-in",
      path.join(dir, "req.csr"),
      "-out",
      path.join(dir, "cert.pem"),
      "-startdate",
      "200101000000Z",
      "-enddate",
      "450101000000Z",
      "-extfile",
      path.join(dir, "ext.cnf"),
      "-extensions",
      "v3",
    ],
    { cwd: ca.dir, stdio: ["ignore", "pipe", "pipe"] },
  );
  ca.refreshResponder();
  const parsed = await parseCertificate(certificateBlocks(readFileSync(path.join(dir, "cert.pem")))[0]);
  await hsm.importCertificate(label, parsed.der);
  await hsm.reloadKeys();
  rmSync(dir, { recursive: true, force: true });
  return parsed.der;
}

/** The process's SoftHSM token: made on first use with a fresh token directory. */
export function testHsm(): Promise<TestHsm> {
  shared ??= (async () => {
    const dir = scratchDir("qujat-softhsm-");
    mkdirSync(path.join(dir, "tokens"));
    writeFileSync(
      path.join(dir, "softhsm2.conf"),
      `directories.tokendir = ${path.join(dir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n`,
    );
    // Read by SoftHSM at C_Initialize; set before the module is first loaded in this process.
    process.env.SOFTHSM2_CONF = path.join(dir, "softhsm2.conf");
    const t: TestHsm = {
      module: SOFTHSM_MODULE,
      tokenLabel: "qujat-test",
      pin: "123456",
      systemKeyLabel: "qujat-system",
      caFile: path.join(testCa().dir, "ca.pem"),
      config: {},
    };
    execFileSync(
      "softhsm2-util",
      ["--init-token", "--free", "--label", t.tokenLabel, "--pin", t.pin, "--so-pin", "654321"],
      { env: process.env, stdio: "ignore" },
    );
    t.config = {
      hsm: { module: t.module, tokenLabel: t.tokenLabel, pin: t.pin, lanes: 4, systemKeyLabel: t.systemKeyLabel },
    };
    const hsm = await Hsm.open({ module: t.module, tokenLabel: t.tokenLabel, pin: t.pin, lanes: 1 });
    try {
      await certifyKey(hsm, t.systemKeyLabel, "CN=Qujat Test Appliance, O=Qujat Test PKI, C=KZ");
      // The internal TSA's key: a time-stamping certificate (critical EKU timeStamping, as RFC 3161 requires).
      await certifyKey(
        hsm,
        "qujat-tsa",
        "CN=Qujat Test TSA, O=Qujat Test PKI, C=KZ",
        undefined,
        "rsa",
        "keyUsage = critical, digitalSignature, nonRepudiation\nextendedKeyUsage = critical, timeStamping",
      );
    } finally {
      await hsm.close();
    }
    return t;
  })();
  return shared;
}
