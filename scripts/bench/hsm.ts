// HSM and signature benches (issue 4), on a fresh SoftHSM2 token made for the run:
//  - CMS signing through our Hsm (node-webcrypto-p11, CAdES-BES template) vs the raw PKCS#11
//    C_Sign rate of the same key at the same concurrency (pkcs11js directly): target ≥ 0.90
//  - verification of a CAdES signature with cached revocation data (OCSP answer cached): target ≥ 3,000/s
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
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
const SECONDS = Number(process.env.BENCH_HSM_SECONDS ?? 5);
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
    // Interleaved, so drift on a shared machine hits both alike.
    const raws: number[] = [];
    const ours: number[] = [];
    for (let i = 0; i < 3; i++) {
      raws.push(await rate(LANES, SECONDS / 3, rawSign));
      ours.push(await rate(LANES, SECONDS / 3, ourSign));
    }
    const raw = raws.reduce((a, b) => a + b) / raws.length;
    const our = ours.reduce((a, b) => a + b) / ours.length;
    report(`HSM CMS signing, RSA-2048, ${LANES} lanes`, `${Math.round(our)}/s vs raw PKCS#11 C_Sign ${Math.round(raw)}/s`, `(ratio ${(our / raw).toFixed(2)}, target ≥ 0.90)`);
    for (const s of sessions) p11.C_CloseSession(s);

    // Verification of a CAdES-BES by the HSM key, chain to the CA, OCSP answer cached after the first.
    responder = spawn("openssl", ["ocsp", "-index", "index.txt", "-port", String(ocspPort), "-rsigner", "ca.pem", "-rkey", "ca.key", "-CA", "ca.pem", "-nmin", "60"], { cwd: dir, stdio: "ignore" });
    execFileSync("bash", ["-c", `for i in $(seq 100); do openssl ocsp -issuer ca.pem -serial 1 -url http://127.0.0.1:${ocspPort}/ -no_nonce -noverify -timeout 2 >/dev/null 2>&1 && exit 0; sleep 0.05; done; exit 1`], { cwd: dir });
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
  } finally {
    responder?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  }
}
