// Revocation checking (SPEC R3.2) against OpenSSL's own OCSP responder (`openssl ocsp -index … -port
// N`) and CRLs made by `openssl ca -gencrl`: good, revoked and unknown certificates; the responder
// down (CRL fallback, else fail closed); responses cached; a replayed response, a responder the CA
// did not delegate and a broken or emptied CRL all refused.
import { expect } from "chai";
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { parseCertificate, certificateBlocks, type ParsedCertificate } from "../../server/pki/certificates.js";
import { parseOcspResponse, RevocationChecker, type RevocationOptions } from "../../server/pki/revocation.js";
import {
  createTestCa,
  freePort,
  signerPool,
  waitForResponder,
  type SignerOptions,
  type TestCa,
} from "../support/pki.js";

const parse = async (pem: string): Promise<ParsedCertificate> =>
  parseCertificate(certificateBlocks(Buffer.from(pem))[0]);

describe("revocation: OCSP and CRL", function () {
  this.timeout(60_000);
  let ca: TestCa;
  let issuer: ParsedCertificate;
  let dataDir: string;
  const keys = signerPool();
  const servers: Server[] = [];
  const key = (o: SignerOptions = {}) => keys.make({ ca, ...o });
  const checker = (o: Partial<RevocationOptions> = {}) =>
    new RevocationChecker({
      dataDir: mkdtempSync(path.join(dataDir, "appliance-")),
      timeoutMs: 2000,
      noNextUpdateSeconds: 60,
      clockSkewSeconds: 60,
      cacheEntries: 100,
      ...o,
    });
  /** An HTTP server of the test's own (a replaying or silent "responder"); returns its URL. */
  const serve = async (handler: Parameters<typeof createServer>[1]) => {
    const s = createServer(handler);
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(s.address() as AddressInfo).port}/`;
  };

  before(async () => {
    ca = createTestCa("Revocation Test CA");
    issuer = await parse(ca.certPem);
    dataDir = mkdtempSync(path.join(os.tmpdir(), "qujat-revocation-"));
  });
  after(() => {
    keys.removeAll();
    servers.forEach((s) => s.close());
    ca.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("good: OpenSSL's responder answers, the response carries our nonce and verifies with openssl ocsp", async () => {
    const k = key();
    const r = await checker().check(await parse(k.certPem), issuer);
    expect(r.status, r.detail).to.equal("good");
    expect(r.evidence).to.include({ source: "ocsp", url: ca.ocspUrl, cached: false });
    expect(r.evidence!.nextUpdate).to.be.a("string"); // -nmin 5
    const parsed = await parseOcspResponse(Buffer.from(r.evidence!.der!, "base64"));
    expect(parsed.nonce).to.have.length(16);
    expect(parsed.responses[0].serialNumber).to.equal((await parse(k.certPem)).info.serialNumber);
    // The stored evidence is a real OCSP response: OpenSSL reads and verifies it against the CA.
    const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-ocsp-"));
    writeFileSync(path.join(dir, "resp.der"), Buffer.from(r.evidence!.der!, "base64"));
    const out = execFileSync(
      "openssl",
      [
        "ocsp",
        "-respin",
        "resp.der",
        "-CAfile",
        path.join(ca.dir, "ca.pem"),
        "-issuer",
        path.join(ca.dir, "ca.pem"),
        "-cert",
        k.certFile,
        "-no_nonce",
      ],
      { cwd: dir, stdio: ["ignore", "pipe", "pipe"] },
    ).toString();
    expect(out).to.match(/: good/);
    rmSync(dir, { recursive: true, force: true });
  });

  it("revoked: the responder's answer names the time and reason; the CRL says the same when the responder is down", async () => {
    const k = key();
    ca.revoke(k, "keyCompromise");
    const r = await checker().check(await parse(k.certPem), issuer);
    expect(r.status).to.equal("revoked");
    expect(r.reason).to.equal("keyCompromise");
    expect(r.revokedAt).to.be.a("string");
    ca.stopResponder();
    try {
      const viaCrl = await checker().check(await parse(k.certPem), issuer);
      expect(viaCrl.status).to.equal("revoked");
      expect(viaCrl.evidence).to.include({ source: "crl", url: ca.crlUrl });
      expect(viaCrl.evidence!.sha256).to.match(/^[0-9a-f]{64}$/);
      expect(viaCrl.problems.join()).to.match(/OCSP .*unreachable/);
    } finally {
      ca.startResponder();
    }
  });

  it("unknown: a certificate the CA's database never recorded is refused, not rescued by the CRL", async () => {
    // Signed with the CA's key but outside `openssl ca`, so not in the responder's index.
    const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-rogue-"));
    const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    run(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "k.pem", "-out", "r.csr", "-subj", "/CN=Rogue"]);
    writeFileSync(
      path.join(dir, "ext.cnf"),
      `[v3]\nauthorityInfoAccess = OCSP;URI:${ca.ocspUrl}\ncrlDistributionPoints = URI:${ca.crlUrl}\n`,
    );
    run([
      "x509",
      "-req",
      "-in",
      "r.csr",
      "-CA",
      path.join(ca.dir, "ca.pem"),
      "-CAkey",
      path.join(ca.dir, "ca.key"),
      "-set_serial",
      "4242",
      "-days",
      "3",
      "-extfile",
      "ext.cnf",
      "-extensions",
      "v3",
      "-out",
      "c.pem",
    ]);
    const r = await checker().check(await parse(readFileSync(path.join(dir, "c.pem"), "utf8")), issuer);
    expect(r.status).to.equal("unknown");
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers are cached until nextUpdate: a second check needs no responder", async () => {
    const k = key();
    const c = checker();
    const leaf = await parse(k.certPem);
    expect((await c.check(leaf, issuer)).evidence!.cached).to.equal(false);
    ca.stopResponder();
    ca.publishCrl(null); // and no CRL either
    try {
      const again = await c.check(leaf, issuer);
      expect(again.status).to.equal("good");
      expect(again.evidence!.cached).to.equal(true);
      // A fresh checker has nothing cached: nobody answers, so the status is unavailable, never good.
      const cold = await checker().check(leaf, issuer);
      expect(cold.status).to.equal("unavailable");
      expect(cold.detail).to.match(/no revocation source answered/);
    } finally {
      ca.publishCrl();
      ca.startResponder();
    }
  });

  it("a responder that never answers times out and counts as down (never as good)", async () => {
    const silent = await serve(() => {
      /* never answers */
    });
    const k = key();
    const leaf = await parse(k.certPem);
    leaf.info.ocspUrls = [silent];
    leaf.info.crlUrls = [];
    const r = await checker({ timeoutMs: 300 }).check(leaf, issuer);
    expect(r.status).to.equal("unavailable");
    expect(r.problems[0]).to.match(/no answer within 300 ms/);
  });

  it("a replayed response (another request's nonce) is refused", async () => {
    const k = key();
    const leaf = await parse(k.certPem);
    const first = await checker().check(leaf, issuer);
    const replay = await serve((_req, res) =>
      res
        .writeHead(200, { "content-type": "application/ocsp-response" })
        .end(Buffer.from(first.evidence!.der!, "base64")),
    );
    leaf.info.ocspUrls = [replay];
    leaf.info.crlUrls = [];
    const r = await checker().check(leaf, issuer);
    expect(r.status).to.equal("unavailable");
    expect(r.problems[0]).to.match(/another nonce/);
  });

  it("a delegated responder (id-kp-OCSPSigning, issued by the CA) is accepted; one without that EKU is not", async () => {
    const leaf = await parse(key().certPem);
    const responder = async (eku: string | null) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-responder-"));
      const run = (args: string[], cwd = dir) =>
        execFileSync("openssl", args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
      run([
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "k.pem",
        "-out",
        "r.csr",
        "-subj",
        "/CN=Delegated OCSP",
      ]);
      writeFileSync(
        path.join(dir, "ext.cnf"),
        `[v3]\nkeyUsage = critical, digitalSignature\n${eku ? `extendedKeyUsage = ${eku}\n` : ""}`,
      );
      run(
        [
          "ca",
          "-batch",
          "-config",
          "ca.cnf",
          "-notext",
          "-in",
          path.join(dir, "r.csr"),
          "-out",
          path.join(dir, "c.pem"),
          "-days",
          "3",
          "-extfile",
          path.join(dir, "ext.cnf"),
          "-extensions",
          "v3",
        ],
        ca.dir,
      );
      const port = freePort();
      const child = spawn(
        "openssl",
        [
          "ocsp",
          "-index",
          path.join(ca.dir, "index.txt"),
          "-port",
          String(port),
          "-rsigner",
          "c.pem",
          "-rkey",
          "k.pem",
          "-CA",
          path.join(ca.dir, "ca.pem"),
          "-nmin",
          "5",
        ],
        { cwd: dir, stdio: "ignore" },
      );
      waitForResponder(port, path.join(ca.dir, "ca.pem"));
      return {
        url: `http://127.0.0.1:${port}/`,
        stop: () => {
          child.kill("SIGKILL");
          rmSync(dir, { recursive: true, force: true });
        },
      };
    };
    leaf.info.crlUrls = [];
    const delegated = await responder("OCSPSigning");
    const plain = await responder(null);
    try {
      leaf.info.ocspUrls = [delegated.url];
      const ok = await checker().check(leaf, issuer);
      expect(ok.status, ok.problems.join()).to.equal("good");
      leaf.info.ocspUrls = [plain.url];
      const refused = await checker().check(leaf, issuer);
      expect(refused.status).to.equal("unavailable");
      expect(refused.problems[0]).to.match(/not authorized to sign OCSP responses/);
    } finally {
      delegated.stop();
      plain.stop();
    }
  });

  describe("CRL cache", () => {
    let leaf: ParsedCertificate;
    let revokedLeaf: ParsedCertificate;
    before(async () => {
      const r = key();
      ca.revoke(r);
      revokedLeaf = await parse(r.certPem);
      revokedLeaf.info.ocspUrls = [];
      leaf = await parse(key().certPem);
      leaf.info.ocspUrls = []; // CRL only
    });

    it("a broken, empty or emptied download never replaces a good cached CRL; the refresh job reports it", async () => {
      const c = checker();
      expect((await c.check(revokedLeaf, issuer)).status).to.equal("revoked");
      const good = c.status().crls[0];
      expect(good.entries).to.be.greaterThan(0);

      ca.publishCrl(Buffer.from("this is not a CRL"));
      let [refresh] = await c.refreshAll();
      expect(refresh).to.include({ replaced: false });
      expect(refresh.problem).to.match(/refused the download: Not a valid CRL/);

      ca.publishCrl(Buffer.alloc(0));
      [refresh] = await c.refreshAll();
      expect(refresh.problem).to.match(/empty/);

      // A well-signed CRL that suddenly lists nobody (made by a fresh CA database with the same key).
      const empty = mkdtempSync(path.join(os.tmpdir(), "qujat-emptycrl-"));
      for (const f of ["ca.cnf", "ca.pem", "ca.key", "serial"])
        writeFileSync(path.join(empty, f), readFileSync(path.join(ca.dir, f)));
      writeFileSync(path.join(empty, "index.txt"), "");
      execFileSync("openssl", ["ca", "-config", "ca.cnf", "-gencrl", "-out", "e.pem"], { cwd: empty, stdio: "ignore" });
      ca.publishCrl(execFileSync("openssl", ["crl", "-in", "e.pem", "-outform", "DER"], { cwd: empty }));
      rmSync(empty, { recursive: true, force: true });
      [refresh] = await c.refreshAll();
      expect(refresh.problem).to.match(/lists no revoked certificate/);

      // Another CA's CRL at the URL.
      const other = createTestCa("Impostor CA");
      ca.publishCrl(readFileSync(path.join(other.dir, "crl.der")));
      [refresh] = await c.refreshAll();
      expect(refresh.problem).to.match(/another CA/);
      other.close();

      expect(c.status().crls[0]).to.deep.equal(good);
      expect((await c.check(revokedLeaf, issuer)).status).to.equal("revoked");
      ca.publishCrl();
      [refresh] = await c.refreshAll();
      expect(refresh).to.deep.equal({ url: ca.crlUrl, replaced: true, problem: null });
    });

    it("a good CRL is kept on disk: a restarted appliance uses it when the CA's server is down", async () => {
      const c = checker();
      expect((await c.check(leaf, issuer)).status).to.equal("good");
      ca.publishCrl(null);
      try {
        const restarted = checker({ dataDir: (c as any).o.dataDir });
        const r = await restarted.check(leaf, issuer);
        expect(r.status).to.equal("good");
        expect(r.evidence).to.include({ source: "crl", cached: true });
        expect((await restarted.check(revokedLeaf, issuer)).status).to.equal("revoked");
      } finally {
        ca.publishCrl();
      }
    });
  });

  it("a certificate that names no OCSP responder and no CRL cannot be checked", async () => {
    const r = await checker().check(await parse(key({ revocationUrls: false }).certPem), issuer);
    expect(r.status).to.equal("unavailable");
    expect(r.detail).to.match(/names no OCSP responder and no CRL/);
  });
});
