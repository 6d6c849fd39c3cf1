// Retention benchmarks (SPEC R5):
//  - disposition of 100,000 expired documents, each with its own blob, executed by the running
//    appliance (SoftHSM2 system key, its own TSA) in batches while GET /me runs at a steady rate:
//    the execution's time (target ≤ 60 s) and the API's p99 during it against its p99 idle,
//    measured in the same run (target ≤ 2×)
//  - the disposition preview over 1,000,000 documents (target ≤ 5 s), against the bare count of
//    due documents as baseline (run on the inbox bench's million documents, see documents.ts)
import { createHash, randomUUID } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { systemClock } from "../../server/clock.js";
import { loadConfig, type Config } from "../../server/config/index.js";
import { dispositionPreviewer, type DispositionDeps } from "../../server/domain/retention/disposition.js";
import { documentRecords } from "../../server/domain/documents/retentionRecords.js";
import { createDb, type Db } from "../../server/storage/db.js";
import { migrateLatest } from "../../server/storage/migrations.js";
import { testHsm } from "../../test/support/hsm.js";
import { testCa } from "../../test/support/pki.js";
import { validBin } from "../../test/support/ids.js";
import { p99, underLoad } from "./billing.js";
import { settleDisk, signIn, startAppliance } from "./support.js";

type Report = (name: string, value: string, verdict: string) => void;
const DOCUMENTS = Number(process.env.BENCH_DISPOSITION_DOCUMENTS ?? 100_000);

async function seed(db: Db, blobRoot: string, count = DOCUMENTS) {
  const now = new Date().toISOString();
  const orgs = [0, 1].map((i) => ({ id: randomUUID(), root: randomUUID(), i }));
  for (const o of orgs) {
    await db("organizations").insert({
      id: o.id,
      name: `Bench ${o.i}`,
      country: "KZ",
      bin: validBin(),
      external: false,
      status: "active",
      totp_required: false,
      created_at: now,
      updated_at: now,
    });
    await db("branches").insert({
      id: o.root,
      organization_id: o.id,
      parent_id: null,
      name: "HQ",
      path: `/${o.root}/`,
      status: "active",
      created_at: now,
      updated_at: now,
    });
  }
  const [from, to] = orgs;
  for (let start = 0; start < count; start += 1000) {
    const docs: Record<string, unknown>[] = [];
    const files: Record<string, unknown>[] = [];
    for (let k = start; k < Math.min(count, start + 1000); k++) {
      const content = Buffer.from(`%PDF-1.4\n% bench document ${k} ${randomUUID()}\n${"x".repeat(900)}\n%%EOF\n`);
      const sha = createHash("sha256").update(content).digest("hex");
      const dir = path.join(blobRoot, sha.slice(0, 2), sha.slice(2, 4));
      mkdirSync(dir, { recursive: true });
      writeFileSync(path.join(dir, sha), content);
      const id = randomUUID();
      const created = new Date(Date.parse("2014-01-01T00:00:00Z") + k * 1000).toISOString();
      docs.push({
        id,
        kind: k % 3 ? "letter" : "act_of_work",
        direction: "outgoing",
        status: "delivered",
        title: `Doc ${k}`,
        number: null,
        doc_date: created.slice(0, 10),
        doc_year: 2014,
        currency: null,
        total: null,
        fields: "{}",
        sender_organization_id: from.id,
        sender_branch_id: from.root,
        sender_branch_path: `/${from.root}/`,
        sender_name: "Bench 0",
        recipient_organization_id: to.id,
        recipient_branch_id: to.root,
        recipient_branch_path: `/${to.root}/`,
        recipient_name: "Bench 1",
        search_as_sender: `doc ${k}`,
        search_as_recipient: `doc ${k}`,
        content_sha256: sha,
        content_name: "d.pdf",
        content_type: "application/pdf",
        content_size: content.length,
        total_bytes: content.length,
        created_by_type: "user",
        created_by: randomUUID(),
        created_at: created,
        updated_at: created,
        sent_at: created,
        version: 1,
        retain_until: "2024-01-01",
        retention_version_id: null,
        retention_action: "destroy",
      });
      files.push({
        id: randomUUID(),
        document_id: id,
        role: "content",
        position: 0,
        name: "d.pdf",
        media_type: "application/pdf",
        size: content.length,
        sha256: sha,
      });
    }
    await db.transaction(async (tx) => {
      for (let i = 0; i < docs.length; i += 100) await tx("documents").insert(docs.slice(i, i + 100));
      for (let i = 0; i < files.length; i += 500) await tx("document_files").insert(files.slice(i, i + 500));
    });
  }
}

export async function dispositionBench(report: Report, dataDir: string) {
  const dir = path.join(dataDir, "disposition");
  const config = loadConfig({ ...process.env, NODE_ENV: "production", QUJAT_DATA_DIR: dir });
  const db = createDb(config);
  await migrateLatest(db);
  const t0 = performance.now();
  await seed(db, path.join(dir, "blobs"));
  await db.destroy();
  settleDisk();
  console.log(
    `  (disposition bench: ${DOCUMENTS.toLocaleString("en")} documents and blobs written in ${((performance.now() - t0) / 1000).toFixed(0)} s)`,
  );

  const hsm = await testHsm(); // a fresh SoftHSM2 token with a certified system key and TSA key
  const app = await startAppliance(dir, {
    QUJAT_JOBS__ENABLED: "false",
    QUJAT_HSM__MODULE: hsm.module,
    QUJAT_HSM__TOKEN_LABEL: hsm.tokenLabel,
    QUJAT_HSM__PIN: hsm.pin,
    QUJAT_HSM__SYSTEM_KEY_LABEL: hsm.systemKeyLabel,
    QUJAT_TSA__SERVE: "true",
    QUJAT_PKI__TRUST_DIR: testCa().trustDir,
  });
  try {
    const admin = await signIn(app);
    const base = `http://127.0.0.1:${app.port}`;
    const call = async (token: string, method: string, p: string, body?: unknown) => {
      const r = await fetch(base + p, {
        method,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const json = await r.json();
      if (r.status >= 300) throw new Error(`${method} ${p}: ${r.status} ${JSON.stringify(json)}`);
      return json;
    };
    const officers: string[] = [];
    for (const login of ["officer-a", "officer-b"]) {
      await call(admin.token, "POST", "/api/v1/users", {
        login,
        email: `${login}@example.kz`,
        fullName: login,
        password: "Bench!Passw0rd",
        roles: [{ role: "compliance_officer" }],
      });
      officers.push((await call("", "POST", "/api/v1/auth/login", { login, password: "Bench!Passw0rd" })).token);
    }
    const batch = await call(officers[0], "POST", "/api/v1/retention/disposition", {});
    if (batch.documents !== DOCUMENTS) throw new Error(`preview counted ${batch.documents}`);
    await call(officers[1], "POST", `/api/v1/retention/disposition/${batch.id}/approve`);

    const {
      result: done,
      secs,
      idle,
      during,
    } = await underLoad(`${base}/api/v1/me`, admin.token, () =>
      call(officers[1], "POST", `/api/v1/retention/disposition/${batch.id}/execute`, {}),
    );
    if (done.state !== "executed" || done.progress.destroyed !== DOCUMENTS)
      throw new Error("disposition: " + JSON.stringify(done.progress));
    // The certificate, built a page at a time, is one JSON document listing every destroyed one, and its hash is what was signed.
    const certificate = Buffer.from(
      await (
        await fetch(`${base}/api/v1/retention/disposition/${batch.id}/certificate.json`, {
          headers: { authorization: `Bearer ${officers[0]}` },
        })
      ).arrayBuffer(),
    );
    const listed = JSON.parse(certificate.toString("utf8")).documents.length;
    const sha = createHash("sha256").update(certificate).digest("hex");
    if (listed !== DOCUMENTS || sha !== done.certificate.sha256)
      throw new Error(`certificate: ${listed} documents listed, sha256 ${sha} vs ${done.certificate.sha256}`);
    report(
      `disposition of ${DOCUMENTS.toLocaleString("en")} documents with blobs`,
      `${secs.toFixed(1)} s (${Math.round(DOCUMENTS / secs)} documents/s, certificate signed and timestamped)`,
      `(target ≤ 60 s: ratio ${(secs / 60).toFixed(2)})`,
    );
    report(
      "  GET /me p99 during it vs idle",
      `${p99(during).toFixed(1)} ms vs ${idle.toFixed(1)} ms (${during.length} requests)`,
      `(ratio ${(p99(during) / idle).toFixed(2)}, target ≤ 2.00)`,
    );
  } finally {
    await app.stop();
  }
}

/** The preview over the inbox bench's documents, 10 % of them due, under a few holds. */
export async function previewBench(report: Report, db: Db, config: Config) {
  await db.raw(
    "update documents set retain_until = case when substr(id, 1, 1) in ('0', '1') then '2020-01-01' else '2036-01-01' end, retention_action = 'destroy'",
  );
  const org = (await db("organizations").first("id"))!;
  const someDocs: Array<{ id: string }> = await db("documents")
    .where("retain_until", "2020-01-01")
    .limit(1000)
    .select("id");
  const now = new Date().toISOString();
  const owner = randomUUID();
  await db("users").insert({
    id: owner,
    login: "bench-officer",
    email: "o@example.kz",
    full_name: "Officer",
    status: "active",
    created_at: now,
    updated_at: now,
  });
  const holdIds = [randomUUID(), randomUUID(), randomUUID()];
  await db("legal_holds").insert([
    {
      id: holdIds[0],
      name: "org",
      reason: "r",
      owner_user_id: owner,
      scope: "organization",
      organization_id: org.id,
      status: "active",
      created_at: now,
    },
    {
      id: holdIds[1],
      name: "kind",
      reason: "r",
      owner_user_id: owner,
      scope: "kind",
      kind: "waybill",
      status: "active",
      created_at: now,
    },
    {
      id: holdIds[2],
      name: "docs",
      reason: "r",
      owner_user_id: owner,
      scope: "documents",
      status: "active",
      created_at: now,
    },
  ]);
  await db.batchInsert(
    "legal_hold_documents",
    someDocs.map((d) => ({ hold_id: holdIds[2], document_id: d.id })),
    500,
  );
  await db.raw("analyze");
  const total = Number((await db("documents").count({ n: "*" }).first())!.n);
  const deps = { db, config, clock: systemClock, documentRecords } as unknown as DispositionDeps;
  const actor = { type: "system" as const, id: owner, userId: owner, grants: [] };
  const times: number[] = [];
  const raw: number[] = [];
  let due = 0;
  for (let i = 0; i < 3; i++) {
    let t = performance.now();
    const b = await dispositionPreviewer(deps, actor, { ip: null, requestId: null }, {});
    times.push(performance.now() - t);
    due = b.documents + b.preview.held.documents;
    t = performance.now();
    await db("documents").where("retain_until", "<=", new Date().toISOString().slice(0, 10)).count({ n: "*" });
    raw.push(performance.now() - t);
  }
  const ms = [...times].sort((a, b) => a - b)[1];
  const base = [...raw].sort((a, b) => a - b)[1];
  report(
    `disposition preview over ${total.toLocaleString("en")} documents (${due.toLocaleString("en")} due, 3 holds)`,
    `${(ms / 1000).toFixed(2)} s (median of 3)`,
    `(target ≤ 5 s: ratio ${(ms / 5000).toFixed(2)}; ${(ms / base).toFixed(1)}× the bare count of due documents, ${base.toFixed(0)} ms)`,
  );
}
