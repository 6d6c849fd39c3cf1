// Test certificates and CMS signatures made by OpenSSL — an independent implementation, so our
// checks are tested against what real CA and signing tools produce, not against themselves.
// One test CA per process (its certificate is the test appliances' trust store); end-entity
// certificates carry NCA-style fields: IIN in serialNumber, BIN in OU, NCA role OIDs in the EKU.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export interface TestSigner {
  /** detached CMS, DER, made by `openssl cms -sign` */
  sign(content: Buffer, o?: { md?: string; noattr?: boolean; attached?: boolean; pem?: boolean; nocerts?: boolean }): Buffer;
  certPem: string;
  /** the CA certificate to verify its signatures against (its own certificate when self-signed) */
  caFile: string;
  dir: string;
}

export interface TestCa {
  dir: string;
  certPem: string;
  /** a directory holding only this CA's certificate: point pki.trustDir here */
  trustDir: string;
}

const openssl = (args: string[], cwd: string) => execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });

export const NCA_ROLE_OIDS: Record<string, string> = {
  individual: "1.2.398.3.3.4.1.1", legal_entity: "1.2.398.3.3.4.1.2", first_head: "1.2.398.3.3.4.1.2.1", signer: "1.2.398.3.3.4.1.2.2",
  financial_signer: "1.2.398.3.3.4.1.2.3", hr: "1.2.398.3.3.4.1.2.4", employee: "1.2.398.3.3.4.1.2.5",
};

const stamp = (iso: string) => iso.replace(/[-:T]/g, "").slice(2, 14) + "Z"; // YYMMDDHHMMSSZ

const CA_CONFIG = `[ca]
default_ca = test_ca
[test_ca]
dir = .
database = index.txt
new_certs_dir = issued
certificate = ca.pem
private_key = ca.key
serial = serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = optional
`;

/** The files `openssl ca` keeps in `dir`: its database, next serial, config and issued copies. */
function caDatabase(dir: string, config: string) {
  writeFileSync(path.join(dir, "index.txt"), "");
  writeFileSync(path.join(dir, "serial"), randomBytes(8).toString("hex").replace(/^./, "1") + "\n");
  writeFileSync(path.join(dir, "ca.cnf"), config);
  mkdirSync(path.join(dir, "issued"));
}

/** A CA (RSA 2048) made with OpenSSL in a directory of its own. */
export function createTestCa(name = "Qujat Test CA"): TestCa {
  const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-ca-"));
  caDatabase(dir, CA_CONFIG + "[v3_ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n");
  // Self-signed through `openssl ca` so its validity can start in the past (test clocks do).
  openssl(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.csr", "-subj", `/CN=${name}/O=Qujat Test PKI/C=KZ`], dir);
  openssl(["ca", "-batch", "-config", "ca.cnf", "-selfsign", "-keyfile", "ca.key", "-preserveDN", "-notext", "-in", "ca.csr", "-out", "ca.pem",
    "-startdate", stamp("2019-01-01T00:00:00"), "-enddate", stamp("2049-01-01T00:00:00"), "-extensions", "v3_ca"], dir);
  const trustDir = path.join(dir, "trust");
  mkdirSync(trustDir);
  const certPem = readFileSync(path.join(dir, "ca.pem"), "utf8");
  writeFileSync(path.join(trustDir, "test-ca.pem"), certPem);
  return { dir, certPem, trustDir };
}

let shared: TestCa | null = null;
/** The CA test appliances trust (made on first use, removed when the process exits). */
export function testCa(): TestCa {
  if (!shared) {
    const ca = (shared = createTestCa());
    process.once("exit", () => rmSync(ca.dir, { recursive: true, force: true }));
  }
  return shared;
}


export interface SignerOptions {
  key?: "rsa" | "ec";
  cn?: string;
  iin?: string;
  /** an organization's certificate: OU=BIN… (default roles then legal_entity + first_head) */
  bin?: string;
  /** NCA roles in the EKU (see NCA_ROLE_OIDS) */
  roles?: string[];
  /** sign (nonRepudiation) or auth (clientAuth, keyEncipherment) */
  purpose?: "sign" | "auth";
  validFrom?: string;
  validTo?: string;
  /** the issuing CA; "self" makes a self-signed certificate no appliance trusts */
  ca?: TestCa | "self";
}

/** A key and certificate (RSA 2048 or EC P-256) issued by the test CA, with NCA-style subject fields. */
export function testSigner(o: SignerOptions = {}): TestSigner {
  const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-pki-"));
  const keyArgs = o.key === "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] : ["-newkey", "rsa:2048"];
  const subj = `/CN=${o.cn ?? "Test Signer"}/serialNumber=IIN${o.iin ?? "000000000000"}${o.bin ? `/OU=BIN${o.bin}` : ""}/O=Test/C=KZ`;
  const purpose = o.purpose ?? "sign";
  const roles = o.roles ?? (o.bin ? ["legal_entity", "first_head"] : ["individual"]);
  const ext = [
    "[v3]",
    purpose === "sign" ? "keyUsage = critical, digitalSignature, nonRepudiation" : "keyUsage = critical, digitalSignature, keyEncipherment",
    `extendedKeyUsage = ${[purpose === "sign" ? "emailProtection" : "clientAuth", ...roles.map((r) => NCA_ROLE_OIDS[r] ?? r)].join(", ")}`,
    `certificatePolicies = ${purpose === "sign" ? "1.2.398.3.3.2.3" : "1.2.398.3.3.2.4"}`,
    "basicConstraints = critical, CA:FALSE",
  ].join("\n");
  writeFileSync(path.join(dir, "ext.cnf"), ext + "\n");
  const ca = o.ca ?? testCa();
  openssl(["req", "-new", ...keyArgs, "-nodes", "-keyout", "key.pem", "-out", "req.csr", "-subj", subj], dir);
  const dates = ["-startdate", stamp(o.validFrom ?? "2020-01-01T00:00:00"), "-enddate", stamp(o.validTo ?? "2045-01-01T00:00:00")];
  if (ca === "self") {
    // Its own one-certificate CA database, so its validity can start in the past too.
    caDatabase(dir, CA_CONFIG.replace("certificate = ca.pem", "certificate = cert.pem").replace("private_key = ca.key", "private_key = key.pem"));
    openssl(["ca", "-batch", "-config", "ca.cnf", "-selfsign", "-keyfile", "key.pem", "-preserveDN", "-notext", "-in", "req.csr", "-out", "cert.pem", ...dates,
      "-extfile", "ext.cnf", "-extensions", "v3"], dir);
  } else {
    openssl(["ca", "-batch", "-config", "ca.cnf", "-preserveDN", "-notext", "-in", path.join(dir, "req.csr"), "-out", path.join(dir, "cert.pem"), ...dates,
      "-extfile", path.join(dir, "ext.cnf"), "-extensions", "v3"], ca.dir);
  }
  const caFile = ca === "self" ? path.join(dir, "cert.pem") : path.join(ca.dir, "ca.pem");
  let n = 0;
  return {
    dir,
    caFile,
    certPem: readFileSync(path.join(dir, "cert.pem"), "utf8"),
    sign(content, s = {}) {
      const name = `c${++n}`;
      writeFileSync(path.join(dir, name), content);
      const args = ["cms", "-sign", "-binary", "-in", name, "-signer", "cert.pem", "-inkey", "key.pem", "-outform", s.pem ? "PEM" : "DER", "-out", name + ".p7s"];
      args.push("-md", s.md ?? "sha256");
      if (s.attached) args.push("-nodetach");
      if (s.noattr) args.push("-noattr");
      if (s.nocerts) args.push("-nocerts");
      openssl(args, dir);
      return readFileSync(path.join(dir, name + ".p7s"));
    },
  };
}

/** `openssl cms -verify` of a detached CMS against content, trusting the signer's CA. */
export function opensslVerifies(signer: TestSigner, cms: Buffer, content: Buffer): boolean {
  const dir = signer.dir;
  writeFileSync(path.join(dir, "v.p7s"), cms);
  writeFileSync(path.join(dir, "v.bin"), content);
  try {
    openssl(["cms", "-verify", "-binary", "-inform", "DER", "-in", "v.p7s", "-content", "v.bin", "-CAfile", signer.caFile, "-purpose", "any", "-out", "/dev/null"], dir);
    return true;
  } catch {
    return false;
  }
}

export const removeSigner = (s: TestSigner) => rmSync(s.dir, { recursive: true, force: true });
