// Test certificates and CMS signatures made by OpenSSL — an independent implementation, so our
// checks are tested against what real CA and signing tools produce, not against themselves.
// One test CA per process (its certificate is the test appliances' trust store); end-entity
// certificates carry NCA-style fields: IIN in serialNumber, BIN in OU, NCA role OIDs in the EKU.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { scratchDir } from "./scratch.js";

export interface TestSigner {
  /** detached CMS, DER, made by `openssl cms -sign` */
  sign(
    content: Buffer,
    o?: { md?: string; noattr?: boolean; attached?: boolean; pem?: boolean; nocerts?: boolean; pss?: boolean },
  ): Buffer;
  /** the same (default options) without blocking: OpenSSL as a child process */
  signAsync(content: Buffer): Promise<Buffer>;
  certPem: string;
  /** the CA certificate to verify its signatures against (its own certificate when self-signed) */
  caFile: string;
  dir: string;
  /** its certificate's file (cert.pem in dir) */
  certFile: string;
}

export interface TestCa {
  name: string;
  dir: string;
  certPem: string;
  /** a directory holding only this CA's certificate: point pki.trustDir here */
  trustDir: string;
  /** the URLs its certificates name: OpenSSL's own OCSP responder, and its CRL (served over HTTP) */
  ocspUrl: string;
  crlUrl: string;
  /** revokes the certificate (`openssl ca -revoke`), publishes a new CRL, restarts the responder so it reads its index again */
  revoke(signer: TestSigner, reason?: string): void;
  /** restarts a running responder: OpenSSL's reads its index only when it starts */
  refreshResponder(): void;
  /** stops / starts OpenSSL's OCSP responder (a responder that is down) */
  stopResponder(): void;
  startResponder(): void;
  /** publishes a CRL made now (`openssl ca -gencrl`), or serves these bytes instead (a broken CRL), or nothing (404) */
  publishCrl(bytes?: Buffer | null): void;
  close(): void;
}

const openssl = (args: string[], cwd: string) =>
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });

export const NCA_ROLE_OIDS: Record<string, string> = {
  individual: "1.2.398.3.3.4.1.1",
  legal_entity: "1.2.398.3.3.4.1.2",
  first_head: "1.2.398.3.3.4.1.2.1",
  signer: "1.2.398.3.3.4.1.2.2",
  financial_signer: "1.2.398.3.3.4.1.2.3",
  hr: "1.2.398.3.3.4.1.2.4",
  employee: "1.2.398.3.3.4.1.2.5",
};

const stamp = (iso: string) => iso.replace(/[-:T]/g, "").slice(2, 14) + "Z"; // YYMMDDHHMMSSZ

// The same `openssl ca` configuration as the development PKI's.
const CA_CONFIG = readFileSync(path.resolve(import.meta.dirname, "../../scripts/dev-pki/openssl-ca.cnf"), "utf8");

/** The files `openssl ca` keeps in `dir`: its database, next serial, config and issued copies. */
function caDatabase(dir: string, config: string) {
  writeFileSync(path.join(dir, "index.txt"), "");
  writeFileSync(path.join(dir, "serial"), randomBytes(8).toString("hex").replace(/^./, "1") + "\n");
  writeFileSync(path.join(dir, "ca.cnf"), config);
  mkdirSync(path.join(dir, "issued"));
}

/**
 * Waits (synchronously: certificates are made synchronously) until an OCSP responder on `port`
 * answers a request. A bare TCP probe would not do: OpenSSL's responder serves one connection at a
 * time and would hang on a connection that sends nothing.
 */
export function waitForResponder(port: number, caFile: string) {
  execFileSync("bash", [
    "-c",
    `for i in $(seq 100); do openssl ocsp -issuer "${caFile}" -serial 1 -url http://127.0.0.1:${port}/ -no_nonce -noverify -timeout 2 >/dev/null 2>&1 && exit 0; sleep 0.05; done; echo "no OCSP responder on ${port}" >&2; exit 1`,
  ]);
}

export const freePort = () =>
  Number(
    execFileSync(process.execPath, [
      "-e",
      "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{process.stdout.write(String(s.address().port));s.close()})",
    ]).toString(),
  );

// One HTTP server per process serves every test CA's CRL (path /<ca>.crl), as a CA's web server would.
const crls = new Map<string, Buffer | null>();
let crlServer: { server: Server; port: number } | null = null;
function crlHost(): number {
  if (!crlServer) {
    const port = freePort();
    const server = createServer((req, res) => {
      const body = crls.get(req.url ?? "");
      if (!body) return res.writeHead(404).end();
      res.writeHead(200, { "content-type": "application/pkix-crl" }).end(body);
    });
    server.listen(port, "127.0.0.1");
    server.unref();
    crlServer = { server, port };
  }
  return crlServer.port;
}

/**
 * A CA (RSA 2048) made with OpenSSL in a directory of its own, with OpenSSL's OCSP responder
 * (`openssl ocsp -index … -port N`, signing with the CA's own key) and a CRL.
 */
export function createTestCa(name = "Qujat Test CA"): TestCa {
  const dir = scratchDir("qujat-ca-");
  caDatabase(
    dir,
    CA_CONFIG.replace("[any]", "default_crl_days = 1\n[any]") +
      "[v3_ca]\nbasicConstraints = critical, CA:TRUE\nkeyUsage = critical, keyCertSign, cRLSign\nsubjectKeyIdentifier = hash\n",
  );
  // Self-signed through `openssl ca` so its validity can start in the past (test clocks do).
  openssl(
    [
      "req",
      "-new",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.csr",
      "-subj",
      `/CN=${name}/O=Qujat Test PKI/C=KZ`,
    ],
    dir,
  );
  openssl(
    [
      "ca",
      "-batch",
      "-config",
      "ca.cnf",
      "-selfsign",
      "-keyfile",
      "ca.key",
      "-preserveDN",
      "-notext",
      "-in",
      "ca.csr",
      "-out",
      "ca.pem",
      "-startdate",
      stamp("2019-01-01T00:00:00"),
      "-enddate",
      stamp("2049-01-01T00:00:00"),
      "-extensions",
      "v3_ca",
    ],
    dir,
  );
  const trustDir = path.join(dir, "trust");
  mkdirSync(trustDir);
  const certPem = readFileSync(path.join(dir, "ca.pem"), "utf8");
  writeFileSync(path.join(trustDir, "test-ca.pem"), certPem);
  const ocspPort = freePort();
  const crlPath = `/${path.basename(dir)}.crl`;
  let responder: ChildProcess | null = null;
  const ca: TestCa = {
    name,
    dir,
    certPem,
    trustDir,
    ocspUrl: `http://127.0.0.1:${ocspPort}/`,
    crlUrl: `http://127.0.0.1:${crlHost()}${crlPath}`,
    startResponder() {
      if (responder) return;
      responder = spawn(
        "openssl",
        [
          "ocsp",
          "-index",
          "index.txt",
          "-port",
          String(ocspPort),
          "-rsigner",
          "ca.pem",
          "-rkey",
          "ca.key",
          "-CA",
          "ca.pem",
          "-nmin",
          "5",
          "-ignore_err",
        ],
        { cwd: dir, stdio: "ignore" },
      );
      responder.unref();
      waitForResponder(ocspPort, path.join(dir, "ca.pem"));
    },
    stopResponder() {
      if (!responder) return;
      responder.kill("SIGKILL");
      responder = null;
      // Gone once connecting is refused (the probe closes at once; nothing is left to hang on it).
      execFileSync("bash", [
        "-c",
        `for i in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/${ocspPort}) 2>/dev/null || exit 0; sleep 0.05; done`,
      ]);
    },
    publishCrl(bytes) {
      if (bytes !== undefined) return void crls.set(crlPath, bytes);
      openssl(["ca", "-config", "ca.cnf", "-gencrl", "-out", "crl.pem"], dir);
      openssl(["crl", "-in", "crl.pem", "-outform", "DER", "-out", "crl.der"], dir);
      crls.set(crlPath, readFileSync(path.join(dir, "crl.der")));
    },
    revoke(signer, reason = "keyCompromise") {
      openssl(["ca", "-config", "ca.cnf", "-revoke", signer.certFile, "-crl_reason", reason], dir);
      ca.publishCrl();
      ca.refreshResponder();
    },
    refreshResponder() {
      if (!responder) return;
      ca.stopResponder();
      ca.startResponder();
    },
    close() {
      ca.stopResponder();
      crls.delete(crlPath);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  ca.publishCrl();
  ca.startResponder();
  process.once("exit", () => responder?.kill("SIGKILL"));
  return ca;
}

let shared: TestCa | null = null;
/** The CA test appliances trust (made on first use, removed when the process exits). */
export function testCa(): TestCa {
  return (shared ??= createTestCa());
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
  /** false: the certificate names no OCSP responder and no CRL */
  revocationUrls?: boolean;
}

/** A key and certificate (RSA 2048 or EC P-256) issued by the test CA, with NCA-style subject fields. */
export function testSigner(o: SignerOptions = {}): TestSigner {
  const dir = scratchDir("qujat-pki-");
  const keyArgs = o.key === "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] : ["-newkey", "rsa:2048"];
  const subj = `/CN=${o.cn ?? "Test Signer"}/serialNumber=IIN${o.iin ?? "000000000000"}${o.bin ? `/OU=BIN${o.bin}` : ""}/O=Test/C=KZ`;
  const purpose = o.purpose ?? "sign";
  const roles = o.roles ?? (o.bin ? ["legal_entity", "first_head"] : ["individual"]);
  const ext = [
    "[v3]",
    purpose === "sign"
      ? "keyUsage = critical, digitalSignature, nonRepudiation"
      : "keyUsage = critical, digitalSignature, keyEncipherment",
    `extendedKeyUsage = ${[purpose === "sign" ? "emailProtection" : "clientAuth", ...roles.map((r) => NCA_ROLE_OIDS[r] ?? r)].join(", ")}`,
    `certificatePolicies = ${purpose === "sign" ? "1.2.398.3.3.2.3" : "1.2.398.3.3.2.4"}`,
    "basicConstraints = critical, CA:FALSE",
  ];
  const ca = o.ca ?? testCa();
  if (ca !== "self") {
    if (o.revocationUrls !== false)
      ext.push(`authorityInfoAccess = OCSP;URI:${ca.ocspUrl}`, `crlDistributionPoints = URI:${ca.crlUrl}`);
  }
  writeFileSync(path.join(dir, "ext.cnf"), ext.join("\n") + "\n");
  openssl(["req", "-new", ...keyArgs, "-nodes", "-keyout", "key.pem", "-out", "req.csr", "-subj", subj], dir);
  const dates = [
    "-startdate",
    stamp(o.validFrom ?? "2020-01-01T00:00:00"),
    "-enddate",
    stamp(o.validTo ?? "2045-01-01T00:00:00"),
  ];
  if (ca === "self") {
    // Its own one-certificate CA database, so its validity can start in the past too.
    caDatabase(
      dir,
      CA_CONFIG.replace("certificate = ca.pem", "certificate = cert.pem").replace(
        "private_key = ca.key",
        "private_key = key.pem",
      ),
    );
    openssl(
      [
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-selfsign",
        "-keyfile",
        "key.pem",
        "-preserveDN",
        "-notext",
        "-in",
        "req.csr",
        "-out",
        "cert.pem",
        ...dates,
        "-extfile",
        "ext.cnf",
        "-extensions",
        "v3",
      ],
      dir,
    );
  } else {
    openssl(
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
        ...dates,
        "-extfile",
        path.join(dir, "ext.cnf"),
        "-extensions",
        "v3",
      ],
      ca.dir,
    );
    ca.refreshResponder(); // OpenSSL's responder reads its index only when it starts
  }
  const caFile = ca === "self" ? path.join(dir, "cert.pem") : path.join(ca.dir, "ca.pem");
  let n = 0;
  const cmsSignArgs = (content: Buffer, s: Parameters<TestSigner["sign"]>[1] = {}) => {
    const name = `c${++n}`;
    writeFileSync(path.join(dir, name), content);
    const args = ["cms", "-sign", "-binary", "-in", name, "-signer", "cert.pem", "-inkey", "key.pem"];
    args.push("-outform", s.pem ? "PEM" : "DER", "-out", name + ".p7s", "-md", s.md ?? "sha256");
    if (s.attached) args.push("-nodetach");
    if (s.noattr) args.push("-noattr");
    if (s.nocerts) args.push("-nocerts");
    if (s.pss) args.push("-keyopt", "rsa_padding_mode:pss");
    return { name, args };
  };
  return {
    dir,
    caFile,
    certFile: path.join(dir, "cert.pem"),
    certPem: readFileSync(path.join(dir, "cert.pem"), "utf8"),
    sign(content, s = {}) {
      const { name, args } = cmsSignArgs(content, s);
      openssl(args, dir);
      return readFileSync(path.join(dir, name + ".p7s"));
    },
    signAsync(content) {
      // A child process, so a load generator's event loop keeps going meanwhile.
      const { name, args } = cmsSignArgs(content, {});
      return new Promise((resolve, reject) => {
        const p = spawn("openssl", args, { cwd: dir, stdio: "ignore" });
        p.on("exit", (code) =>
          code === 0
            ? resolve(readFileSync(path.join(dir, name + ".p7s")))
            : reject(new Error(`openssl exited ${code}`)),
        );
      });
    },
  };
}

/** `openssl cms -verify` of a detached CMS against content, trusting the signer's CA. */
export function opensslVerifies(signer: TestSigner, cms: Buffer, content: Buffer): boolean {
  const dir = signer.dir;
  writeFileSync(path.join(dir, "v.p7s"), cms);
  writeFileSync(path.join(dir, "v.bin"), content);
  try {
    openssl(
      [
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        "v.p7s",
        "-content",
        "v.bin",
        "-CAfile",
        signer.caFile,
        "-purpose",
        "any",
        "-out",
        "/dev/null",
      ],
      dir,
    );
    return true;
  } catch {
    return false;
  }
}

export const removeSigner = (s: TestSigner) => rmSync(s.dir, { recursive: true, force: true });

/** The signers one suite makes, removed together: `const keys = signerPool(); keys.make({…}); after(keys.removeAll)`. */
export function signerPool() {
  const made: TestSigner[] = [];
  return {
    make: (o: SignerOptions = {}) => {
      const s = testSigner(o);
      made.push(s);
      return s;
    },
    removeAll: () => made.splice(0).forEach(removeSigner),
  };
}
