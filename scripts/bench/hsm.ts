// HSM and signature benches (SPEC R3), on the tests' fresh SoftHSM2 token and test CA:
//  - CMS signing through our Hsm (node-webcrypto-p11, CAdES-BES template) vs the raw PKCS#11
//    C_Sign rate of the same key at the same concurrency (pkcs11js directly): target ≥ 0.90
//  - verification of a CAdES signature with cached revocation data (OCSP answer cached): target ≥ 3,000/s
import { createHash, createPrivateKey, sign as cryptoSign } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createApp } from "../../server/app.js";
import { systemClock } from "../../server/clock.js";
import { loadConfig } from "../../server/config/index.js";
import { systemAdminCreator } from "../../server/domain/identity/setup.js";
import { systemActor } from "../../server/domain/identity/roles.js";
import { createLogger } from "../../server/log.js";
import { CmsTemplate } from "../../server/pki/cmsBuilder.js";
import { noSigner } from "../../server/pki/signer.js";
import { createFsBlobStore } from "../../server/storage/blobs.js";
import { createDb } from "../../server/storage/db.js";
import { migrateLatest } from "../../server/storage/migrations.js";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { cmsValidator } from "../../server/domain/signatures/validation.js";
import { certificateBlocks } from "../../server/pki/certificates.js";
import { verifyDetachedCms } from "../../server/pki/cms.js";
import { Hsm } from "../../server/pki/hsm.js";
import { RevocationChecker } from "../../server/pki/revocation.js";
import { TrustStore } from "../../server/pki/trust.js";
import { certifyKey, testHsm } from "../../test/support/hsm.js";
import { removeSigner, testCa, testSigner } from "../../test/support/pki.js";

type Report = (name: string, value: string, verdict: string) => void;
const LANES = 8;
const SECONDS = Number(process.env.BENCH_HSM_SECONDS ?? 10);

/** Runs `op` in `lanes` concurrent loops for `seconds`; operations per second. */
async function rate(lanes: number, seconds: number, op: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (performance.now() < end) {
        await op();
        n++;
      }
    }),
  );
  return n / ((performance.now() - t0) / 1000);
}

export async function hsmBenches(report: Report) {
  // The tests' own fixtures: a fresh SoftHSM2 token, and the test CA with OpenSSL's OCSP responder
  // (so verification checks revocation for real, then from the cache). Both go when the process ends.
  const token = await testHsm();
  const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-bench-hsm-"));
  try {
    const hsm = await Hsm.open({ module: token.module, tokenLabel: token.tokenLabel, pin: token.pin, lanes: LANES });
    await certifyKey(hsm, "bench-key", "CN=Bench Signer, C=KZ");

    // Raw PKCS#11: the same key, the same number of sessions, C_SignInit + C_Sign (async) per operation.
    const pkcs11js = (await import("pkcs11js")).default;
    const p11 = new pkcs11js.PKCS11();
    p11.load(token.module);
    try {
      p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (e) {
      if (!/ALREADY_INITIALIZED/.test(String(e))) throw e;
    }
    const slot = p11.C_GetSlotList(true).find((s) => p11.C_GetTokenInfo(s).label.trim() === token.tokenLabel)!;
    const sessions = Array.from({ length: LANES }, () =>
      p11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION),
    );
    p11.C_FindObjectsInit(sessions[0], [
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
      { type: pkcs11js.CKA_LABEL, value: "bench-key" },
    ]);
    const [handle] = p11.C_FindObjects(sessions[0], 1);
    p11.C_FindObjectsFinal(sessions[0]);
    const data = createHash("sha256").update("bench").digest();
    const free = [...sessions];
    const rawSign = () =>
      new Promise<Buffer>((resolve, reject) => {
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
    report(
      `HSM CMS signing, RSA-2048, ${LANES} lanes`,
      `${Math.round(our)}/s vs raw PKCS#11 C_Sign ${Math.round(raw)}/s (median of 5 pairs)`,
      `(ratio ${(our / raw).toFixed(2)}, target ≥ 0.90)`,
    );
    for (const s of sessions) p11.C_CloseSession(s);

    // Verification of a CAdES-BES by the HSM key, chain to the CA, OCSP answer cached after the first.
    const content = Buffer.from("a document to verify");
    const contentSha = createHash("sha256").update(content).digest();
    const cms = await hsm.signCms("bench-key", contentSha, new Date());
    const pki = {
      trust: new TrustStore(testCa().trustDir),
      revocation: new RevocationChecker({
        dataDir: dir,
        timeoutMs: 5000,
        noNextUpdateSeconds: 300,
        clockSkewSeconds: 300,
        cacheEntries: 1000,
      }),
      revocationRequired: true,
    };
    const verifyOnce = async () => {
      const check = await verifyDetachedCms(cms, { sha256: contentSha.toString("hex"), read: async () => content });
      const r = await cmsValidator(pki, check, new Date());
      if (!r.valid) throw new Error("bench signature invalid: " + JSON.stringify(r.checks));
    };
    await verifyOnce(); // fetches the OCSP answer; cached from here on
    await rate(2, 1, verifyOnce);
    const verifies = await rate(2, SECONDS, verifyOnce);
    report(
      "CAdES verification with cached revocation",
      `${Math.round(verifies)}/s`,
      `(target ≥ 3000/s: ratio ${(verifies / 3000).toFixed(2)})`,
    );
    await hsm.close();
    await signInBench(report, dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Certificate sign-in round trip (challenge + signed answer) against a real appliance over HTTP,
 * OCSP answer cached after the first: p95 of sequential sign-ins. The client's own signing is
 * not counted (it happens in the user's browser and token).
 */
async function signInBench(report: Report, dir: string) {
  const iin = "880101300123";
  const auth = testSigner({ cn: "Bench User", iin, purpose: "auth" });
  const dataDir = path.join(dir, "appliance");
  mkdirSync(dataDir);
  const config = loadConfig({
    ...process.env,
    NODE_ENV: "production",
    QUJAT_DATA_DIR: dataDir,
    QUJAT_DATABASE_URL: "",
    QUJAT_TRUST_DIR: testCa().trustDir,
  });
  const db = createDb(config);
  await migrateLatest(db);
  const built = createApp({
    config,
    db,
    clock: systemClock,
    logger: createLogger("silent"),
    mailer: { configured: true, async send() {}, close() {} },
    signer: noSigner,
    blobs: createFsBlobStore(path.join(dataDir, "blobs")),
  });
  await db.transaction((tx) =>
    systemAdminCreator(
      { tx, actor: systemActor, clock: systemClock, config, meta: { ip: null, requestId: null } },
      { login: "bench", email: "bench@example.kz", fullName: "Bench User", iin, password: "Str0ng!Passw0rd" },
    ),
  );
  const server = createServer(built.app.callback());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const template = await CmsTemplate.forCertificate(certificateBlocks(Buffer.from(auth.certPem))[0]);
    const key = createPrivateKey(readFileSync(path.join(auth.dir, "key.pem")));
    const once = async () => {
      const t0 = performance.now();
      const ch = (await (await fetch(`${base}/api/v1/auth/challenge`, { method: "POST" })).json()) as {
        challenge: string;
      };
      const t1 = performance.now();
      const bytes = Buffer.from(ch.challenge, "base64");
      const attrs = template.signedAttributes(createHash("sha256").update(bytes).digest(), new Date());
      const cms = template.assemble(attrs, cryptoSign("sha256", attrs, key));
      const t2 = performance.now();
      const r = await fetch(`${base}/api/v1/auth/certificate`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ challenge: ch.challenge, cms: cms.toString("base64") }),
      });
      if (r.status !== 200) throw new Error(`sign-in failed: ${r.status} ${await r.text()}`);
      await r.arrayBuffer();
      if (process.env.BENCH_DEBUG)
        console.log(`challenge ${(t1 - t0).toFixed(1)} ms, answer ${(performance.now() - t2).toFixed(1)} ms`);
      return t1 - t0 + (performance.now() - t2);
    };
    for (let i = 0; i < 20; i++) await once(); // warm-up; the first fetches the OCSP answer
    const times: number[] = [];
    for (let i = 0; i < 300; i++) times.push(await once());
    times.sort((a, b) => a - b);
    const p95 = times[Math.floor(times.length * 0.95)];
    report(
      "certificate sign-in round trip (cached OCSP)",
      `p95 ${p95.toFixed(1)} ms, median ${times[150].toFixed(1)} ms`,
      `(target p95 ≤ 20 ms: ratio ${(p95 / 20).toFixed(2)})`,
    );
  } finally {
    server.close();
    await built.close();
    await db.destroy();
    removeSigner(auth);
  }
}
