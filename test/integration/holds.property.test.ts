// SPEC R5.4 as a property: whatever the policies, holds, documents, clock and the order of purge
// paths — disposition, early destruction then disposition, personal-data erasure, inactive-account
// removal, an administrator replacing content — no document a legal hold covers loses a byte. Which
// documents are held is decided here by an independent model of the hold criteria, not by the
// appliance's own query. Real appliance (SQLite or PostgreSQL), SoftHSM2, the internal TSA.
import { expect } from "chai";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { testHsm } from "../support/hsm.js";
import { jsonDocument, pdf } from "../support/documents.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";

const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const MONTH = 30.5 * 86_400_000;

interface Doc {
  id: string;
  kind: string;
  sender: string;
  recipient: string;
  createdAt: string;
  sha: string;
}
interface Hold {
  id: string;
  scope: string;
  organizationId?: string;
  kind?: string;
  registeredFrom?: string;
  registeredTo?: string;
  documentIds?: string[];
  active: boolean;
}

/** The model: a hold covers a document listed for it, or one matching every criterion it has. */
const covers = (h: Hold, d: Doc) =>
  h.active &&
  (h.scope === "documents"
    ? h.documentIds!.includes(d.id)
    : (!h.organizationId || h.organizationId === d.sender || h.organizationId === d.recipient) &&
      (!h.kind || h.kind === d.kind) &&
      (!h.registeredFrom || d.createdAt >= h.registeredFrom) &&
      (!h.registeredTo || d.createdAt < h.registeredTo));

describe("legal holds: no purge path touches a held document (property)", function () {
  this.timeout(600_000);
  let app: TestApp;
  let orgs: Array<{ id: string; headOfficeId: string }>;
  let officerA: BuiltUser, officerB: BuiltUser, admins: BuiltUser[];
  const holds: Hold[] = [];
  const blob = (h: string) => path.join(app.dataDir, "blobs", h.slice(0, 2), h.slice(2, 4), h);

  before(async () => {
    const t = await testHsm();
    app = await startTestApp({ ...t.config, tsa: { serve: true }, retention: { batchSize: 3 } });
    orgs = [await buildOrganization(app), await buildOrganization(app)];
    officerA = await buildUser(app, [{ role: "compliance_officer" }]);
    officerB = await buildUser(app, [{ role: "compliance_officer" }]);
    admins = [];
    for (const o of orgs) {
      admins.push(await buildUser(app, [{ role: "org_admin", organizationId: o.id, branchId: o.headOfficeId }]));
      await buildUser(app, [{ role: "org_admin", organizationId: o.id, branchId: o.headOfficeId }]); // so neither is the last administrator
    }
  });
  after(async () => app?.close());

  const signInAll = async () => {
    await app.admin.login("root", PASSWORD);
    for (const u of [officerA, officerB, ...admins]) await u.client.login(u.login, PASSWORD);
  };
  const ok = (r: { status: number; body: any }, ...statuses: number[]) => {
    expect(statuses.length ? statuses : [200, 201], JSON.stringify(r.body)).to.include(r.status);
    return r.body;
  };
  const dispose = async () => {
    const b = ok(await officerA.client.post("/api/v1/retention/disposition", {}));
    ok(await officerB.client.post(`/api/v1/retention/disposition/${b.id}/approve`));
    const done = ok(await officerB.client.post(`/api/v1/retention/disposition/${b.id}/execute`, {}));
    expect(done.state).to.equal("executed");
  };

  it("holds protect every byte across random policies, holds, clocks and paths", async () => {
    const kinds = ["letter", "arbitrary"] as const;
    const arb = fc.record({
      docs: fc.array(fc.record({ kind: fc.constantFrom(...kinds), from: fc.nat(1), shareWithPrevious: fc.boolean() }), {
        minLength: 1,
        maxLength: 6,
      }),
      policies: fc.array(
        fc.record({
          kind: fc.option(fc.constantFrom(...kinds), { nil: null }),
          org: fc.option(fc.nat(1), { nil: null }),
          months: fc.integer({ min: 1, max: 48 }),
        }),
        { maxLength: 2 },
      ),
      holds: fc.array(
        fc.record({
          scope: fc.constantFrom("organization", "documents", "kind", "query"),
          org: fc.nat(1),
          kind: fc.constantFrom(...kinds),
          pick: fc.array(fc.nat(5), { minLength: 1, maxLength: 3 }),
          windowed: fc.boolean(),
        }),
        { maxLength: 3 },
      ),
      advanceMonths: fc.integer({ min: 0, max: 130 }),
      paths: fc.array(fc.constantFrom("dispose", "early", "erase", "inactive", "replace", "release"), {
        minLength: 1,
        maxLength: 4,
      }),
    });
    await fc.assert(
      fc.asyncProperty(arb, async (c) => {
        await signInAll();
        const clerks = await Promise.all(
          orgs.map((o) => buildUser(app, [{ role: "clerk", organizationId: o.id, branchId: o.headOfficeId }])),
        );
        const runStart = app.clock.now().toISOString();
        // Documents, some sharing content with the one before (a blob two documents refer to).
        const docs: Doc[] = [];
        let previous: Buffer<ArrayBuffer> | null = null;
        for (const d of c.docs) {
          const content: Buffer<ArrayBuffer> = d.shareWithPrevious && previous ? previous : pdf(`${Math.random()}`);
          previous = content;
          const to = orgs[1 - d.from];
          const r = ok(
            await clerks[d.from].client.post(
              "/api/v1/documents",
              jsonDocument({ kind: d.kind, title: "T", recipient: { organizationId: to.id } }, content),
            ),
          );
          docs.push({
            id: r.id,
            kind: d.kind,
            sender: orgs[d.from].id,
            recipient: to.id,
            createdAt: r.createdAt,
            sha: sha256(content),
          });
          app.clock.advance(1000);
        }
        for (const p of c.policies) {
          const made = ok(
            await officerA.client.post("/api/v1/retention/policies", {
              name: "P",
              kind: p.kind,
              organizationId: p.org === null ? null : orgs[p.org].id,
              periodMonths: p.months,
            }),
          );
          for (const v of made.pending)
            ok(
              await officerB.client.post(`/api/v1/retention/policies/${made.id}/versions/${v.version}/decision`, {
                approve: true,
              }),
            );
        }
        for (const h of c.holds) {
          const body: Record<string, unknown> = { name: "H", reason: "R", scope: h.scope };
          if (h.scope === "organization") body.organizationId = orgs[h.org].id;
          if (h.scope === "kind") body.kind = h.kind;
          if (h.scope === "documents") body.documentIds = [...new Set(h.pick.map((i) => docs[i % docs.length].id))];
          if (h.scope === "query")
            Object.assign(
              body,
              { organizationId: orgs[h.org].id, kind: h.kind },
              h.windowed
                ? {
                    registeredFrom: runStart,
                    registeredTo: new Date(Date.parse(docs[Math.floor(docs.length / 2)].createdAt) + 1).toISOString(),
                  }
                : {},
            );
          const made = ok(await officerA.client.post("/api/v1/retention/holds", body));
          holds.push({
            id: made.id,
            scope: h.scope,
            organizationId: body.organizationId as string | undefined,
            kind: body.kind as string | undefined,
            registeredFrom: body.registeredFrom as string | undefined,
            registeredTo: body.registeredTo as string | undefined,
            documentIds: body.documentIds as string[] | undefined,
            active: true,
          });
        }
        // The test PKI's certificates end in 2045: runs stop moving the clock before then.
        const room = () => Date.parse("2044-06-01") - app.clock.now().getTime();
        app.clock.advance(Math.max(0, Math.min(c.advanceMonths * MONTH, room() - 15 * MONTH)));
        await signInAll();

        for (const step of c.paths) {
          // Every document any active hold covers now, with its bytes, must come through this step whole.
          const allDocs: Doc[] = (
            await app
              .db("documents")
              .whereNot("status", "destroyed")
              .select(
                "id",
                "kind",
                "sender_organization_id",
                "recipient_organization_id",
                "created_at",
                "content_sha256",
              )
          ).map((r: any) => ({
            id: r.id,
            kind: r.kind,
            sender: r.sender_organization_id,
            recipient: r.recipient_organization_id,
            createdAt: r.created_at,
            sha: r.content_sha256,
          }));
          const held = allDocs.filter((d) => holds.some((h) => covers(h, d)));
          if (step === "dispose") await dispose();
          if (step === "early") {
            const i = Math.floor(Math.random() * orgs.length);
            const req = await admins[i].client.post(`/api/v1/organizations/${orgs[i].id}/early-destruction`, {
              reason: "leaving",
            });
            if (req.status === 201)
              ok(
                await officerA.client.post(`/api/v1/retention/early-destruction/${req.body.id}/decision`, {
                  approve: true,
                }),
              );
            await dispose();
          }
          if (step === "erase") {
            for (const k of clerks) {
              if ((await k.client.post("/api/v1/auth/login", { login: k.login, password: PASSWORD })).status !== 200)
                continue; // already removed
              await k.client.login(k.login, PASSWORD);
              expect((await k.client.post("/api/v1/me/erasure")).status).to.be.oneOf([200, 409]);
            }
          }
          if (step === "inactive" && room() > 15 * MONTH) {
            for (const months of [13.2, 1.2]) {
              // warned, then removed 30+ days later
              app.clock.advance(months * MONTH);
              expect((await app.deps.jobs.runNow("retention.daily")).outcome).to.equal("success");
              await signInAll(); // the officers and administrators answer their warning; the clerks do not
            }
            await signInAll();
          }
          if (step === "replace") {
            for (const d of held) {
              const r = await app.admin.put(`/api/v1/documents/${d.id}/content`, {
                content: { name: "x.pdf", mediaType: "application/pdf", data: pdf("x").toString("base64") },
              });
              expect(r.status).to.be.oneOf([403, 404, 409]);
            }
            for (const k of clerks) {
              for (const d of held.filter((x) => docs.some((y) => y.id === x.id))) {
                const r = await k.client.put(`/api/v1/documents/${d.id}/content`, {
                  content: { name: "x.pdf", mediaType: "application/pdf", data: pdf("x").toString("base64") },
                });
                expect(r.status).to.not.equal(200);
              }
            }
          }
          if (step === "release" && holds.some((h) => h.active)) {
            const h = holds.find((x) => x.active)!;
            ok(await officerB.client.post(`/api/v1/retention/holds/${h.id}/release`, { reason: "done" }));
            h.active = false;
          }
          for (const d of held) {
            const row = (await app.db("documents").where({ id: d.id }).first("status", "content_sha256"))!;
            expect(row.status, `held ${d.id} after ${step}`).to.not.equal("destroyed");
            expect(row.content_sha256).to.equal(d.sha);
            expect(existsSync(blob(d.sha)), `blob of held ${d.id} after ${step}`).to.equal(true);
            expect(sha256(readFileSync(blob(d.sha)))).to.equal(d.sha);
            const files = (await app
              .db("document_files")
              .where({ document_id: d.id, role: "content" })
              .first("sha256"))!;
            expect(files?.sha256).to.equal(d.sha);
          }
        }
        // Each run's holds end with it, or organization holds would soon cover everything.
        for (const h of holds.filter((x) => x.active)) {
          ok(await officerB.client.post(`/api/v1/retention/holds/${h.id}/release`, { reason: "run over" }));
          h.active = false;
        }
      }),
      { numRuns: Number(process.env.HOLD_PROPERTY_RUNS ?? 12), endOnFailure: true },
    );
    // The runs did destroy things: the property was tested against real purges.
    expect(Number((await app.db("document_tombstones").count({ n: "*" }).first())!.n)).to.be.greaterThan(0);
  });
});
