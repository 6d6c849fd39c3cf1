// HSM and signature benches (issue 4), on a fresh SoftHSM2 token made for the run:
//  - CMS signing through our Hsm (node-webcrypto-p11, CAdES-BES template) vs the raw PKCS#11
//    C_Sign rate of the same key at the same concurrency (pkcs11js directly): target ≥ 0.90
//  - verification of a CAdES signature with cached revocation data (OCSP answer cached): target ≥ 3,000/s
import { execFileSync, spawn } from "node:child_process";
import { createHash, createPrivateKey, sign as cryptoSign } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../../server/app.js";
import { systemClock } from "../../server/clock.js";
import { loadConfig } from "../../server/config/index.js";
import { systemAdminCreator } from "../../server/domain/identity/auth.js";
import { systemActor } from "../../server/domain/identity/roles.js";
import { createLogger } from "../../server/log.js";
import { CmsTemplate } from "../../server/pki/cmsBuilder.js";
import { noSigner } from "../../server/pki/signer.js";
import { createFsBlobStore } from "../../server/storage/blobs.js";
import { createDb, migrateLatest } from "../../server/storage/db.js";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { cmsValidator } from "../../server/domain/documents/signatureValidation.js";
import { certificateBlocks, parseCertificate } from "../../server/pki/certificates.js";
import { verifyDetachedCms } from "../../server/pki/cms.js";
import { Hsm } from "../../server/pki/hsm.js";
import { RevocationChecker } from "../../server/pki/revocation.js";
import { TrustStore } from "../../server/pki/trust.js";

type Report = (name: string, value: string, verdict: string) => void;
const LANES = 8;
const SECONDS = Number(process.env.BENCH_HSM_SECONDS ?? 10);
const MODULE = ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so"].find((p) => {
  try {
    readFileSync(p);
    return true;
  } catch {
    return false;
  }
});

/** Runs `op` in `lanes` concurrent loops for `seconds`; operations per second. */
async function rate(lanes: number, seconds: number, op: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: lanes }, async () => {
    while (performance.now() < end) {
      await op();
      n++;
    }
  }));
  return n / ((performance.now() - t0) / 1000);
}

export async function hsmBenches(report: Report) {
  if (!MODULE) throw new Error("SoftHSM2 is not installed (apt-get install softhsm2)");
  const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-bench-hsm-"));
  const ocspPort = 20000 + Math.floor(Math.random() * 20000);
  let responder: ReturnType<typeof spawn> | null = null;
  try {
    mkdirSync(path.join(dir, "tokens"));
    writeFileSync(path.join(dir, "softhsm2.conf"), `directories.tokendir = ${path.join(dir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\n`);
    process.env.SOFTHSM2_CONF = path.join(dir, "softhsm2.conf");
    execFileSync("softhsm2-util", ["--init-token", "--free", "--label", "bench", "--pin", "1234", "--so-pin", "5678"], { stdio: "ignore" });
    const run = (args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    // A CA with an OCSP responder, so the verification bench checks revocation for real (then cached).
    writeFileSync(path.join(dir, "ca.cnf"), "[ca]\ndefault_ca=c\n[c]\ndir=.\ndatabase=index.txt\nnew_certs_dir=.\ncertificate=ca.pem\nprivate_key=ca.key\nserial=serial\ndefault_md=sha256\npolicy=p\ndefault_days=30\n[p]\ncommonName=optional\n");
    writeFileSync(path.join(dir, "index.txt"), "");
    writeFileSync(path.join(dir, "serial"), "1000\n");
    run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=Bench CA", "-days", "30"]);
    writeFileSync(path.join(dir, "ext.cnf"), `[v3]\nkeyUsage=critical,digitalSignature,nonRepudiation\nauthorityInfoAccess=OCSP;URI:http://127.0.0.1:${ocspPort}/\n`);

    const hsm = await Hsm.open({ module: MODULE, tokenLabel: "bench", pin: "1234", lanes: LANES });
    writeFileSync(path.join(dir, "k.csr"), await hsm.generateKey("bench-key", "rsa", "CN=Bench Signer, C=KZ"));
    run(["ca", "-batch", "-config", "ca.cnf", "-notext", "-in", "k.csr", "-out", "k.pem", "-extfile", "ext.cnf", "-extensions", "v3"]);
    const cert = await parseCertificate(certificateBlocks(readFileSync(path.join(dir, "k.pem")))[0]);
    hsm.importCertificate("bench-key", cert.der, Buffer.from(cert.cert.subject.toSchema().toBER(false)));
    await hsm.reloadKeys();

    // Raw PKCS#11: the same key, the same number of sessions, C_SignInit + C_Sign (async) per operation.
    const pkcs11js = (await import("pkcs11js")).default;
    const p11 = new pkcs11js.PKCS11();
    p11.load(MODULE);
    try {
      p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (e) {
      if (!/ALREADY_INITIALIZED/.test(String(e))) throw e;
    }
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === "bench")!;
    const sessions = Array.from({ length: LANES }, () => p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION));
    p11.C_FindObjectsInit(sessions[0], [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, { type: pkcs11js.CKA_LABEL, value: "bench-key" }]);
    const [handle] = p11.C_FindObjects(sessions[0], 1);
    p11.C_FindObjectsFinal(sessions[0]);
    const data = createHash("sha256").update("bench").digest();
    const free = [...sessions];
    const rawSign = () => new Promise<Buffer>((resolve, reject) => {
      const s = free.pop()!;
      p11.C_SignInit(s, { mechanism: pkcs11js.CKM_SHA256_RSA_PKCS }, handle);
      p11.C_Sign(s, data, Buffer.alloc(512), (err, sig) => {
        free.push(s);
        if (err) reject(err);
        else resolve(sig);
      });
    });
    const ourSign = () => hsm.signCms("bench-key", data, new Date());
    await rate(LANES, 1, rawSign); // warm-up
    await rate(LANES, 1, ourSign);
    // Interleaved pairs, so drift on a shared machine hits both alike; the median pair's ratio.
    const pairs: Array<{ raw: number; our: number }> = [];
    for (let i = 0; i < 5; i++) {
      const raw = await rate(LANES, SECONDS / 5, rawSign);
      pairs.push({ raw, our: await rate(LANES, SECONDS / 5, ourSign) });
    }
    pairs.sort((a, b) => a.our / a.raw - b.our / b.raw);
    const { raw, our } = pairs[2];
    report(`HSM CMS signing, RSA-2048, ${LANES} lanes`, `${Math.round(our)}/s vs raw PKCS#11 C_Sign ${Math.round(raw)}/s (median of 5 pairs)`, `(ratio ${(our / raw).toFixed(2)}, target ≥ 0.90)`);
    for (const s of sessions) p11.C_CloseSession(s);

    // Verification of a CAdES-BES by the HSM key, chain to the CA, OCSP answer cached after the first.
    // OpenSSL's OCSP responder reads its index when it starts: (re)started after certificates are issued.
    const startResponder = () => {
      responder?.kill("SIGKILL");
      responder = spawn("openssl", ["ocsp", "-index", "index.txt", "-port", String(ocspPort), "-rsigner", "ca.pem", "-rkey", "ca.key", "-CA", "ca.pem", "-nmin", "60"], { cwd: dir, stdio: "ignore" });
      execFileSync("bash", ["-c", `for i in $(seq 100); do openssl ocsp -issuer ca.pem -serial 1 -url http://127.0.0.1:${ocspPort}/ -no_nonce -noverify -timeout 2 >/dev/null 2>&1 && exit 0; sleep 0.05; done; exit 1`], { cwd: dir });
    };
    startResponder();
    mkdirSync(path.join(dir, "trust"));
    writeFileSync(path.join(dir, "trust", "ca.pem"), readFileSync(path.join(dir, "ca.pem")));
    const content = Buffer.from("a document to verify");
    const contentSha = createHash("sha256").update(content).digest();
    const cms = await hsm.signCms("bench-key", contentSha, new Date());
    const pki = { trust: new TrustStore(path.join(dir, "trust")), revocation: new RevocationChecker({ dataDir: dir, timeoutMs: 5000, noNextUpdateSeconds: 300, clockSkewSeconds: 300, cacheEntries: 1000 }), revocationRequired: true };
    const verifyOnce = async () => {
      const check = await verifyDetachedCms(cms, { sha256: contentSha.toString("hex"), read: async () => content });
      const r = await cmsValidator(pki, check, new Date());
      if (!r.valid) throw new Error("bench signature invalid: " + JSON.stringify(r.checks));
    };
    await verifyOnce(); // fetches the OCSP answer; cached from here on
    await rate(2, 1, verifyOnce);
    const verifies = await rate(2, SECONDS, verifyOnce);
    report("CAdES verification with cached revocation", `${Math.round(verifies)}/s`, `(target ≥ 3000/s: ratio ${(verifies / 3000).toFixed(2)})`);
    await hsm.close();
    await signInBench(report, dir, run, startResponder);
  } finally {
    (responder as ReturnType<typeof spawn> | null)?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Certificate sign-in round trip (challenge + signed answer) against a real appliance over HTTP,
 * OCSP answer cached after the first: p95 of sequential sign-ins. The client's own signing is
 * not counted (it happens in the user's browser and token).
 */
async function signInBench(report: Report, dir: string, run: (args: string[]) => Buffer, restartResponder: () => void) {
  const iin = "880101300123";
  writeFileSync(path.join(dir, "auth.ext"), readFileSync(path.join(dir, "ext.cnf"), "utf8").replace("nonRepudiation", "keyEncipherment").replace("[v3]\n", "[v3]\nextendedKeyUsage=clientAuth\n"));
  run(["req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", "auth.key", "-out", "auth.csr", "-subj", `/CN=Bench User/serialNumber=IIN${iin}/C=KZ`]);
  run(["ca", "-batch", "-config", "ca.cnf", "-notext", "-preserveDN", "-in", "auth.csr", "-out", "auth.pem", "-extfile", "auth.ext", "-extensions", "v3"]);
  restartResponder(); // so it knows the new certificate
  const dataDir = path.join(dir, "appliance");
  mkdirSync(dataDir);
  const config = loadConfig({ ...process.env, NODE_ENV: "production", QUJAT_DATA_DIR: dataDir, QUJAT_DATABASE_URL: "", QUJAT_TRUST_DIR: path.join(dir, "trust") });
  const db = createDb(config);
  await migrateLatest(db);
  const built = createApp({ config, db, clock: systemClock, logger: createLogger("silent"), mailer: { async send() {}, close() {} }, signer: noSigner, blobs: createFsBlobStore(path.join(dataDir, "blobs")) });
  await db.transaction((tx) => systemAdminCreator({ tx, actor: systemActor, clock: systemClock, config, meta: { ip: null, requestId: null } },
    { login: "bench", email: "bench@example.kz", fullName: "Bench User", iin, password: "Str0ng!Passw0rd" }));
  const server = createServer(built.app.callback());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const certDer = certificateBlocks(readFileSync(path.join(dir, "auth.pem")))[0];
    const template = await CmsTemplate.forCertificate(certDer);
    const key = createPrivateKey(readFileSync(path.join(dir, "auth.key")));
    const once = async () => {
      const t0 = performance.now();
      const ch = await (await fetch(`${base}/api/v1/auth/challenge`, { method: "POST" })).json() as { challenge: string };
      const t1 = performance.now();
      const bytes = Buffer.from(ch.challenge, "base64");
      const attrs = template.signedAttributes(createHash("sha256").update(bytes).digest(), new Date());
      const cms = template.assemble(attrs, cryptoSign("sha256", attrs, key));
      const t2 = performance.now();
      const r = await fetch(`${base}/api/v1/auth/certificate`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ challenge: ch.challenge, cms: cms.toString("base64") }) });
      if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
      if (process.env.BENCH_DEBUG) console.log(`challenge ${(t1 - t0).toFixed(1)} ms, answer ${(performance.now() - t2).toFixed(1)} ms`);
      return t1 - t0 + (performance.now() - t2);
    };
    for (let i = 0; i < 20; i++) await once(); // warm-up; the first fetches the OCSP answer
    const times: number[] = [];
    for (let i = 0; i < 300; i++) times.push(await once());
    times.sort((a, b) => a - b);
    const p95 = times[Math.floor(times.length * 0.95)];
    report("certificate sign-in round trip (cached OCSP)", `p95 ${p95.toFixed(1)} ms, median ${times[150].toFixed(1)} ms`, `(target p95 ≤ 20 ms: ratio ${(p95 / 20).toFixed(2)})`);
  } finally {
    server.close();
    await built.close();
    await db.destroy();
  }
}
