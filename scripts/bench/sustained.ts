// Sustained load (`make bench-sustained`, BENCH_ONLY=sustained): the compiled appliance for
// BENCH_SUSTAINED_SECONDS (600) at twice the concurrency at which registration peaks — found by a
// short calibration over 8/16/32/64 uploads at once — mixed with inbox reads, signing (a head's
// detached CMS made by OpenSSL over each document, sent to the API) and verification of a
// signature (POST /api/v1/signatures/verify). Reported: operations and errors per kind, p50/p99,
// RSS at start and end (and its highest), and the acknowledgement check: every registration that
// got 201 is in the database afterwards with its content on disk, byte for byte.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import knexFactory from "knex";
import { testCa, testSigner } from "../../test/support/pki.js";
import { validBin, validIin } from "../../test/support/ids.js";
import { api, registrationTemplate } from "./documents.js";
import { percentile, rssOf, signIn, startAppliance } from "./support.js";

type Report = (name: string, value: string, verdict: string) => void;

interface Kind {
  ok: number;
  errors: number;
  latencies: number[];
  firstError?: string;
}

export async function sustainedBench(report: Report, dataDir: string) {
  const seconds = Number(process.env.BENCH_SUSTAINED_SECONDS ?? 600);
  const ca = testCa();
  const app = await startAppliance(path.join(dataDir, "sustained"), { QUJAT_TRUST_DIR: ca.trustDir });
  const base = `http://127.0.0.1:${app.port}`;
  let stopped = false;
  const stop = async () => {
    if (!stopped) await app.stop();
    stopped = true;
  };
  try {
    const admin = (await signIn(app)).token as string;
    const sellerBin = validBin();
    const seller = await api(base, admin, "POST", "/api/v1/organizations", {
      name: "Load Seller",
      country: "KZ",
      bin: sellerBin,
    });
    const buyer = await api(base, admin, "POST", "/api/v1/organizations", {
      name: "Load Buyer",
      country: "KZ",
      bin: validBin(),
    });
    const user = async (login: string, role: string, org: { id: string; headOfficeId: string }, iin?: string) => {
      await api(base, admin, "POST", "/api/v1/users", {
        login,
        email: `${login}@example.kz`,
        fullName: login,
        password: "Bench!Passw0rd",
        ...(iin ? { iin } : {}),
        roles: [{ role, organizationId: org.id, branchId: org.headOfficeId }],
      });
      return (await api(base, null, "POST", "/api/v1/auth/login", { login, password: "Bench!Passw0rd" }))
        .token as string;
    };
    const headIin = validIin();
    const clerk = await user("loadclerk", "clerk", seller);
    const head = await user("loadhead", "head", seller, headIin);
    const reader = await user("loadreader", "clerk", buyer);
    const signer = testSigner({ cn: "Load Head", iin: headIin, bin: sellerBin, ca });
    const template = registrationTemplate(100 * 1024, {
      kind: "arbitrary",
      title: "Sustained load document",
      recipient: { organizationId: buyer.id },
    });
    let next = 0;
    const register = async () => {
      const i = next++;
      const r = await fetch(`${base}/api/v1/documents`, {
        method: "POST",
        headers: { "content-type": template.contentType, authorization: `Bearer ${clerk}` },
        body: template.unique(i),
      });
      const body = (await r.json()) as { id: string; content: { sha256: string } };
      return { status: r.status, id: body.id, sha256: body.content?.sha256, i };
    };

    // Calibration: the concurrency at which registration peaks (5 s per level).
    let peak = { level: 8, rate: 0 };
    for (const level of [8, 16, 32, 64]) {
      let done = 0;
      const until = performance.now() + 5000;
      await Promise.all(
        Array.from({ length: level }, async () => {
          while (performance.now() < until) if ((await register()).status === 201) done++;
        }),
      );
      const rate = done / 5;
      if (rate > peak.rate) peak = { level, rate };
    }
    const writers = peak.level * 2;
    report(
      "sustained load: registration peak (calibration)",
      `${peak.rate.toFixed(0)} docs/s at ${peak.level} at once`,
      `(the run offers ${writers} at once)`,
    );

    const verifyContent = Buffer.from("content verified again and again");
    const verifyCms = (await signer.signAsync(verifyContent)).toString("base64");
    const kinds: Record<string, Kind> = {};
    const kind = (k: string) => (kinds[k] ??= { ok: 0, errors: 0, latencies: [] });
    const acknowledged: Array<{ id: string; sha256: string; i: number }> = [];
    const timed = async <T>(k: string, op: () => Promise<{ ok: boolean; detail: string; value?: T }>) => {
      const t = performance.now();
      try {
        const r = await op();
        kind(k).latencies.push(performance.now() - t);
        if (r.ok) kind(k).ok++;
        else {
          kind(k).errors++;
          kind(k).firstError ??= r.detail;
        }
        return r.value;
      } catch (err) {
        kind(k).errors++;
        kind(k).firstError ??= (err as Error).message;
        return undefined;
      }
    };

    const rssSamples: number[] = [];
    const end = performance.now() + seconds * 1000;
    const sampler = setInterval(() => rssSamples.push(rssOf(app.pid)), 5000);
    rssSamples.push(rssOf(app.pid));
    const loops: Array<Promise<void>> = [];
    for (let w = 0; w < writers; w++)
      loops.push(
        (async () => {
          while (performance.now() < end)
            await timed("register", async () => {
              const r = await register();
              if (r.status === 201) acknowledged.push({ id: r.id, sha256: r.sha256, i: r.i });
              return { ok: r.status === 201, detail: `HTTP ${r.status}` };
            });
        })(),
      );
    for (let w = 0; w < 4; w++)
      loops.push(
        (async () => {
          while (performance.now() < end)
            await timed("inbox page", async () => {
              const r = await fetch(`${base}/api/v1/documents?box=inbox&limit=50`, {
                headers: { authorization: `Bearer ${reader}` },
              });
              await r.arrayBuffer();
              return { ok: r.status === 200, detail: `HTTP ${r.status}` };
            });
        })(),
      );
    for (let w = 0; w < 2; w++)
      loops.push(
        (async () => {
          while (performance.now() < end) {
            const doc =
              acknowledged[acknowledged.length - 1 - Math.floor(Math.random() * Math.min(50, acknowledged.length))];
            if (!doc) {
              await new Promise((r) => setTimeout(r, 50));
              continue;
            }
            await timed("sign", async () => {
              const cms = await signer.signAsync(template.content(doc.i));
              const r = await fetch(`${base}/api/v1/documents/${doc.id}/signatures`, {
                method: "POST",
                headers: { "content-type": "application/json", authorization: `Bearer ${head}` },
                body: JSON.stringify({ cms: cms.toString("base64") }),
              });
              const text = await r.text();
              // Signed already (the same document picked twice): a correct refusal, not an error.
              return { ok: r.status === 201 || r.status === 409, detail: `HTTP ${r.status} ${text.slice(0, 200)}` };
            });
          }
        })(),
      );
    for (let w = 0; w < 2; w++)
      loops.push(
        (async () => {
          while (performance.now() < end)
            await timed("verify", async () => {
              const r = await fetch(`${base}/api/v1/signatures/verify`, {
                method: "POST",
                headers: { "content-type": "application/json", authorization: `Bearer ${reader}` },
                body: JSON.stringify({ cms: verifyCms, content: verifyContent.toString("base64") }),
              });
              const body = (await r.json()) as { valid?: boolean };
              return {
                ok: r.status === 200 && body.valid === true,
                detail: `HTTP ${r.status} ${JSON.stringify(body).slice(0, 200)}`,
              };
            });
        })(),
      );
    await Promise.all(loops);
    clearInterval(sampler);
    rssSamples.push(rssOf(app.pid));

    for (const [k, v] of Object.entries(kinds)) {
      report(
        `sustained load ${seconds} s: ${k}`,
        `${v.ok} ok (${(v.ok / seconds).toFixed(1)}/s), ${v.errors} errors, p50 ${percentile(v.latencies, 0.5).toFixed(0)} ms, p99 ${percentile(v.latencies, 0.99).toFixed(0)} ms`,
        v.errors ? `(target 0 errors: MISSED — first: ${v.firstError})` : "(target 0 errors: met)",
      );
    }
    // RSS "at start" is after the first minute: the caches and pools the load grows are built by then.
    const warm = rssSamples[Math.min(rssSamples.length - 1, 12)];
    const last = rssSamples[rssSamples.length - 1];
    report(
      "sustained load: RSS",
      `${(warm / 1048576).toFixed(0)} MB after the first minute → ${(last / 1048576).toFixed(0)} MB at the end (highest ${(Math.max(...rssSamples) / 1048576).toFixed(0)} MB)`,
      `(target flat: growth ${(((last - warm) / warm) * 100).toFixed(1)} %)`,
    );

    // Every acknowledged registration: its row, and its content on disk with the recorded hash.
    await stop();
    const db = knexFactory({
      client: "sqlite3",
      connection: { filename: path.join(dataDir, "sustained", "qujat.sqlite") },
      useNullAsDefault: true,
    });
    let lost = 0;
    try {
      for (let k = 0; k < acknowledged.length; k += 500) {
        const slice = acknowledged.slice(k, k + 500);
        const rows = await db("document_files")
          .whereIn(
            "document_id",
            slice.map((a) => a.id),
          )
          .where({ role: "content" })
          .select("document_id", "sha256");
        const byId = new Map(rows.map((r: { document_id: string; sha256: string }) => [r.document_id, r.sha256]));
        for (const a of slice) {
          const h = byId.get(a.id);
          if (h !== a.sha256) {
            lost++;
            continue;
          }
          const bytes = readFileSync(path.join(dataDir, "sustained", "blobs", h.slice(0, 2), h.slice(2, 4), h));
          if (createHash("sha256").update(bytes).digest("hex") !== h) lost++;
        }
      }
    } finally {
      await db.destroy();
    }
    report(
      "sustained load: acknowledged registrations lost",
      `${lost} of ${acknowledged.length}`,
      lost ? "(target 0: MISSED)" : "(target 0: met)",
    );
  } finally {
    await stop().catch(() => undefined);
    ca.stopResponder();
  }
}
