// Retention, legal holds, disposition, privacy rights and inactive accounts (SPEC R5), end to end:
// over 11 simulated years two compliance officers set policies (four eyes, a locked
// policy), place and release holds, preview, approve and execute disposition; the certificate
// verifies with OpenSSL (CMS and RFC 3161 timestamp); inactive users are warned and pseudonymized;
// a user exports his data and erases it where allowed. Real SQLite or PostgreSQL, SoftHSM2, the
// appliance's own TSA, a real SMTP server.
import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { signatureTimestampOf } from "../../server/pki/tsa.js";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { testHsm, type TestHsm } from "../support/hsm.js";
import { jsonDocument, pdf, invoiceFields } from "../support/documents.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

describe("retention, holds, disposition and privacy (11 simulated years)", function () {
  this.timeout(180_000);
  let t: TestHsm;
  let app: TestApp;
  let dir: string;
  let seller: { id: string; headOfficeId: string }, buyer: { id: string; headOfficeId: string };
  let clerk: BuiltUser, officerA: BuiltUser, officerB: BuiltUser, idle: BuiltUser, bystander: BuiltUser;
  const docs: Record<string, { id: string; sha: string }> = {};
  const blobPath = (h: string) => path.join(app.dataDir, "blobs", h.slice(0, 2), h.slice(2, 4), h);
  const openssl = (args: string[]) =>
    execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] }).toString();
  const relogin = async (...users: BuiltUser[]) => {
    for (const u of users) await u.client.login(u.login, PASSWORD);
  };
  const at = async (when: string) => {
    app.clock.set(when);
    await app.admin.login("root", PASSWORD);
    await relogin(clerk, officerA, officerB);
  };
  const register = async (name: string, metadata: Record<string, unknown>, content = pdf(name)) => {
    const r = await clerk.client.post("/api/v1/documents", jsonDocument(metadata, content));
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    docs[name] = { id: r.body.id, sha: sha256(content) };
    return r.body;
  };
  const letter = (title: string) => ({ kind: "letter", title, recipient: { organizationId: buyer.id } });

  before(async () => {
    t = await testHsm();
    app = await startTestApp({ ...t.config, tsa: { serve: true }, retention: { batchSize: 1 } });
    dir = mkdtempSync(path.join(os.tmpdir(), "qujat-retention-"));
    seller = await buildOrganization(app, { name: "Seller LLP" });
    buyer = await buildOrganization(app, { name: "Buyer JSC" });
    clerk = await buildUser(app, [{ role: "clerk", organizationId: seller.id, branchId: seller.headOfficeId }]);
    officerA = await buildUser(app, [{ role: "compliance_officer" }]);
    officerB = await buildUser(app, [{ role: "compliance_officer" }]);
    idle = await buildUser(app, [{ role: "viewer", organizationId: buyer.id, branchId: buyer.headOfficeId }]);
    bystander = await buildUser(app, [{ role: "viewer", organizationId: seller.id, branchId: seller.headOfficeId }]);
  });
  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let letters: any, invoices: any;

  it("year 0: shortening rules wait for a second officer; a locked policy only extends; retain-until dates come from the longest rule", async () => {
    // Letters: 3 years — shorter than the 10-year default, so it waits for approval.
    const created = await officerA.client.post("/api/v1/retention/policies", {
      name: "Letters: 3 years",
      kind: "letter",
      periodMonths: 36,
    });
    expect(created.status, JSON.stringify(created.body)).to.equal(201);
    letters = created.body;
    expect(letters.current).to.equal(null);
    expect(letters.pending[0]).to.include({ version: 1, state: "pending", periodMonths: 36 });
    // Only compliance officers; and not the proposer.
    expect((await clerk.client.post("/api/v1/retention/policies", { name: "x", periodMonths: 200 })).status).to.equal(
      403,
    );
    expect((await app.admin.post("/api/v1/retention/policies", { name: "x", periodMonths: 200 })).status).to.equal(403);
    const same = await officerA.client.post(`/api/v1/retention/policies/${letters.id}/versions/1/decision`, {
      approve: true,
    });
    expect(same.status).to.equal(403);
    expect(same.body.code).to.equal("same_officer");
    const ok = await officerB.client.post(`/api/v1/retention/policies/${letters.id}/versions/1/decision`, {
      approve: true,
      comment: "per accounting policy",
    });
    expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    expect(ok.body.current).to.include({ version: 1, state: "active", decidedBy: officerB.id });

    // Invoices: 5 years, locked (extend-only).
    invoices = (
      await officerA.client.post("/api/v1/retention/policies", {
        name: "Invoices: 5 years",
        kind: "invoice",
        periodMonths: 60,
        locked: true,
      })
    ).body;
    expect(
      (await officerB.client.post(`/api/v1/retention/policies/${invoices.id}/versions/1/decision`, { approve: true }))
        .status,
    ).to.equal(200);
    const shorten = await officerA.client.post(`/api/v1/retention/policies/${invoices.id}/versions`, {
      periodMonths: 48,
      reason: "save space",
    });
    expect(shorten.status).to.equal(409);
    expect(shorten.body.code).to.equal("policy_locked");
    const extend = await officerA.client.post(`/api/v1/retention/policies/${invoices.id}/versions`, {
      periodMonths: 72,
      reason: "tax code change",
    });
    expect(extend.status, JSON.stringify(extend.body)).to.equal(201);
    expect(extend.body.current).to.include({ version: 2, state: "active", periodMonths: 72 });
    expect(extend.body.versions.map((v: any) => v.state)).to.deep.equal(["active", "superseded"]);

    // A second rule on letters of the seller: 4 years. The longest wins.
    const seller4 = (
      await officerA.client.post("/api/v1/retention/policies", {
        name: "Seller letters: 4 years",
        kind: "letter",
        organizationId: seller.id,
        periodMonths: 48,
      })
    ).body;
    expect(
      (
        await officerB.client.post(`/api/v1/retention/policies/${seller4.id}/versions/1/decision`, {
          approve: false,
          comment: "no",
        })
      ).status,
    ).to.equal(200);

    const shared = pdf("shared content");
    await register("L1", letter("Letter one"));
    await register("L2", letter("Letter two"));
    await register("L3", letter("Letter three"), shared);
    await register("I1", {
      kind: "invoice",
      recipient: { organizationId: buyer.id },
      fields: invoiceFields({ number: "I-1" }),
    });
    await register(
      "A1",
      { kind: "arbitrary", title: "Shares its content with L3", recipient: { organizationId: buyer.id } },
      shared,
    );
    const get = async (n: string) => (await clerk.client.get(`/api/v1/documents/${docs[n].id}`)).body.retention;
    const v1 = (await officerA.client.get(`/api/v1/retention/policies/${letters.id}`)).body.current.id;
    expect(await get("L1")).to.deep.equal({ retainUntil: "2029-03-02", policyVersionId: v1, endAction: "destroy" });
    expect((await get("I1")).retainUntil).to.equal("2032-03-02");
    expect(await get("A1")).to.deep.equal({ retainUntil: "2036-03-02", policyVersionId: null, endAction: "destroy" });
  });

  let hold: any;
  it("year 0: a legal hold on L2; its content cannot be replaced; erasure is refused while a retention duty applies", async () => {
    const bad = await officerA.client.post("/api/v1/retention/holds", { name: "x", reason: "y", scope: "kind" });
    expect(bad.status).to.equal(400);
    expect(
      (
        await clerk.client.post("/api/v1/retention/holds", {
          name: "x",
          reason: "y",
          scope: "documents",
          documentIds: [docs.L2.id],
        })
      ).status,
    ).to.equal(403);
    const r = await officerA.client.post("/api/v1/retention/holds", {
      name: "Tax audit 2026",
      reason: "Inspection order 17",
      scope: "documents",
      documentIds: [docs.L2.id],
    });
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    hold = r.body;
    expect(hold).to.include({ status: "active", documents: 1, ownerUserId: officerA.id });
    const replace = await clerk.client.put(`/api/v1/documents/${docs.L2.id}/content`, {
      content: { name: "new.pdf", mediaType: "application/pdf", data: pdf("changed").toString("base64") },
    });
    expect(replace.status, JSON.stringify(replace.body)).to.equal(409);
    expect(replace.body.code).to.equal("legal_hold");
    const erase = await clerk.client.post("/api/v1/me/erasure");
    expect(erase.status).to.equal(409);
    expect(erase.body.code).to.equal("erasure_refused");
    expect(erase.body.reasons.map((x: any) => x.code)).to.include.members(["retention_duty", "legal_hold"]);
    expect((await clerk.client.get("/api/v1/me")).status).to.equal(200);
  });

  it("a user sees and exports what is held about him, corrects it, withdraws consent; with no duty his erasure is carried out", async () => {
    const data = await clerk.client.get("/api/v1/me/data");
    expect(data.status).to.equal(200);
    expect(data.body.profile).to.include({ id: clerk.id, login: clerk.login });
    expect(data.body.documentsAuthored.map((d: any) => d.id)).to.include.members([docs.L1.id, docs.I1.id]);
    expect(data.body.memberships[0]).to.include({ role: "clerk", organization_id: seller.id });
    expect(data.body.auditEntries.some((e: any) => e.action === "document.register")).to.equal(true);
    expect(JSON.stringify(data.body)).not.to.match(/password_hash|\$argon2/);
    const zip = await clerk.client.bytes("/api/v1/me/data/export");
    expect(zip.status).to.equal(200);
    writeFileSync(path.join(dir, "me.zip"), zip.body);
    expect(execFileSync("unzip", ["-t", "me.zip"], { cwd: dir }).toString()).to.match(/No errors detected/);
    const inside = JSON.parse(execFileSync("unzip", ["-p", "me.zip", "data.json"], { cwd: dir }).toString());
    expect(inside.profile.id).to.equal(clerk.id);
    expect((await clerk.client.patch("/api/v1/me", { fullName: "Corrected Name" })).status).to.equal(200);
    expect((await clerk.client.get("/api/v1/me/data")).body.profile.fullName).to.equal("Corrected Name");

    // Consent: maintenance notices are optional; the bystander withdraws and stops getting them.
    expect((await bystander.client.put("/api/v1/me/consents", { notifications: false })).body).to.deep.equal({
      notifications: false,
    });
    const start = app.smtp.messages.length;
    expect(
      (
        await app.admin.post("/api/v1/announcements", {
          title: "Upgrade",
          body: "Short",
          startsAt: "2026-03-10T20:00:00Z",
          endsAt: "2026-03-10T21:00:00Z",
        })
      ).status,
    ).to.equal(201);
    await app.deps.outbox.drain();
    const got = app.smtp.messages.slice(start).flatMap((m) => m.to);
    expect(got).to.include(`${clerk.login}@example.kz`);
    expect(got).not.to.include(`${bystander.login}@example.kz`);

    // The bystander registered and signed nothing: his erasure goes through.
    const erased = await bystander.client.post("/api/v1/me/erasure");
    expect(erased.status, JSON.stringify(erased.body)).to.equal(200);
    const row = (await app.db("users").where({ id: bystander.id }).first())!;
    expect(row).to.include({
      status: "removed",
      iin: null,
      login: `removed-${bystander.id}`,
      pseudonymized_reason: "erasure",
    });
    expect(row.full_name).not.to.include("User");
    expect((await bystander.client.get("/api/v1/me")).status).to.equal(401);
    expect(
      (await app.client().post("/api/v1/auth/login", { login: bystander.login, password: PASSWORD })).status,
    ).to.equal(401);
  });

  it("staff see metadata; content only with a reason, audited under the organization", async () => {
    expect((await app.admin.get(`/api/v1/documents/${docs.L1.id}`)).status).to.equal(200);
    const refused = await app.admin.get(`/api/v1/documents/${docs.L1.id}/content`);
    expect(refused.status).to.equal(403);
    expect(refused.body.code).to.equal("staff_access_reason_required");
    const ok = await app.admin.get(
      `/api/v1/documents/${docs.L1.id}/content?reason=${encodeURIComponent("Support ticket 4411: broken file")}`,
    );
    expect(ok.status).to.equal(200);
    const seen = await app.db("audit_log").where({ action: "document.staff_access", target_id: docs.L1.id });
    expect(seen.map((e: any) => e.organization_id).sort()).to.deep.equal([seller.id, buyer.id].sort());
    expect(JSON.parse(seen[0].details).reason).to.equal("Support ticket 4411: broken file");
    // The organization's own users need no reason.
    expect((await clerk.client.get(`/api/v1/documents/${docs.L1.id}/content`)).status).to.equal(200);
  });

  it("year 1: an idle user is warned by e-mail 30 days before; then pseudonymized, his records still attributable", async () => {
    await at("2027-03-05T02:00:00Z");
    let run = await app.deps.jobs.runNow("retention.daily");
    expect(run.outcome, run.error).to.equal("success");
    expect((run.result as any).accounts.warned).to.be.greaterThan(0);
    const start = app.smtp.messages.length;
    await app.deps.outbox.drain();
    const warning = app.smtp.messages
      .slice(start)
      .find((m) => m.topic === "account.inactive_warning" && m.to.includes(`${idle.login}@example.kz`));
    expect(warning, "warning e-mail").to.not.equal(undefined);
    expect(warning!.text).to.match(/2027-04-02/);
    // The officers and the clerk signed in again (at()), so they are not warned.
    expect((await app.db("users").where({ id: clerk.id }).first())!.inactivity_warned_at).to.equal(null);
    await at("2027-04-06T02:00:00Z");
    run = await app.deps.jobs.runNow("retention.daily");
    expect((run.result as any).accounts.removed).to.be.greaterThan(0);
    const row = (await app.db("users").where({ id: idle.id }).first())!;
    expect(row).to.include({
      status: "removed",
      pseudonymized_reason: "inactivity",
      email: `${idle.id}@removed.invalid`,
    });
    expect(await app.db("role_grants").where({ user_id: idle.id })).to.have.length(0);
    // His audit entries keep his (pseudonymous) id.
    expect((await app.db("audit_log").where({ actor_id: idle.id })).length).to.be.greaterThan(0);
    // The root administrator is the last system administrator: asked, not removed.
    expect((await app.db("users").where({ login: "root" }).first())!.status).to.equal("active");
  });

  let batch: any;
  it("year 3: preview (counts, held skipped); the proposer cannot approve; a rule change makes the preview stale; the second officer approves and it executes", async () => {
    await at("2029-03-05T09:00:00Z");
    const due = await officerA.client.get("/api/v1/retention/due");
    expect(due.body.destroy.documents).to.equal(2);
    const p = await officerA.client.post("/api/v1/retention/disposition", {});
    expect(p.status, JSON.stringify(p.body)).to.equal(201);
    batch = p.body;
    expect(batch.preview.destroy).to.include({ documents: 2 });
    expect(batch.preview.held).to.include({ documents: 1 });
    expect(batch.preview.destroy.byOrganizationAndKind).to.deep.include({
      organizationId: seller.id,
      kind: "letter",
      documents: 2,
      bytes: batch.preview.destroy.bytes,
      oldestRegisteredAt: batch.preview.destroy.oldestRegisteredAt,
      newestRegisteredAt: batch.preview.destroy.newestRegisteredAt,
      earliestRetainUntil: "2029-03-02",
      latestRetainUntil: "2029-03-02",
    });
    const self = await officerA.client.post(`/api/v1/retention/disposition/${batch.id}/approve`);
    expect(self.status).to.equal(403);
    expect(self.body.code).to.equal("same_officer");
    // An extension of another rule changes the epoch: this preview no longer stands.
    expect(
      (
        await officerA.client.post(`/api/v1/retention/policies/${invoices.id}/versions`, {
          periodMonths: 84,
          reason: "longer",
        })
      ).status,
    ).to.equal(201);
    const stale = await officerB.client.post(`/api/v1/retention/disposition/${batch.id}/approve`);
    expect(stale.status).to.equal(409);
    expect(stale.body.code).to.equal("preview_stale");
    batch = (await officerA.client.post("/api/v1/retention/disposition", {})).body;
    const approved = await officerB.client.post(`/api/v1/retention/disposition/${batch.id}/approve`);
    expect(approved.status, JSON.stringify(approved.body)).to.equal(200);
    expect(approved.body).to.include({ state: "approved", approvedBy: officerB.id });
    const done = await officerB.client.post(`/api/v1/retention/disposition/${batch.id}/execute`, {});
    expect(done.status, JSON.stringify(done.body)).to.equal(200);
    expect(done.body.state).to.equal("executed");
    expect(done.body.progress).to.include({ destroyed: 2, skippedHeld: 1 });

    // L1's blob is gone, L3's stays (A1 shares it); L2 (held) is whole.
    expect(existsSync(blobPath(docs.L1.sha))).to.equal(false);
    expect(existsSync(blobPath(docs.L3.sha))).to.equal(true);
    expect(existsSync(blobPath(docs.L2.sha))).to.equal(true);
    const gone = await clerk.client.get(`/api/v1/documents/${docs.L1.id}/content`);
    expect(gone.status).to.equal(410);
    expect(gone.body.code).to.equal("document_destroyed");
    expect((await clerk.client.get(`/api/v1/documents/${docs.L1.id}`)).body.status).to.equal("destroyed");
    expect((await clerk.client.get(`/api/v1/documents/${docs.L2.id}/content`)).status).to.equal(200);
    // Billing: destroyed content no longer counts as stored bytes (SPEC R4.3), once.
    const stored = async () =>
      (await app.admin.get(`/api/v1/billing/usage?organizationId=${seller.id}&from=2000-01-01&to=2100-01-01`)).body
        .bytes as number;
    const before = await stored();
    const released = await app.deps.jobs.runNow("billing.daily");
    expect(released.outcome, released.error).to.equal("success");
    expect((released.result as Record<string, number>).storageReleased).to.equal(2);
    const regs = await app
      .db("usage_ledger")
      .whereIn("document_id", [docs.L1.id, docs.L3.id])
      .where({ event: "registration" });
    const freed = regs.reduce((n: number, r: { bytes: number | string }) => n + Number(r.bytes), 0);
    expect(freed).to.be.greaterThan(0);
    expect(await stored()).to.equal(before - freed);
    expect((await app.deps.jobs.runNow("billing.daily")).result).to.include({ storageReleased: 0 });
    expect(await stored()).to.equal(before - freed);
    const stone = (await app.db("document_tombstones").where({ document_id: docs.L1.id }).first())!;
    expect(stone).to.include({
      batch_id: batch.id,
      kind: "letter",
      content_sha256: docs.L1.sha,
      sender_organization_id: seller.id,
    });
    expect(stone.blobs_removed_at).to.not.equal(null);
  });

  it("the disposition certificate verifies with openssl cms and its timestamp with openssl ts; altered, it does not", async () => {
    const body = await officerA.client.bytes(`/api/v1/retention/disposition/${batch.id}/certificate.json`);
    const p7s = await officerA.client.bytes(`/api/v1/retention/disposition/${batch.id}/certificate.p7s`);
    expect([body.status, p7s.status]).to.deep.equal([200, 200]);
    writeFileSync(path.join(dir, "c.json"), body.body);
    writeFileSync(path.join(dir, "c.p7s"), p7s.body);
    openssl([
      "cms",
      "-verify",
      "-binary",
      "-inform",
      "DER",
      "-in",
      "c.p7s",
      "-content",
      "c.json",
      "-CAfile",
      t.caFile,
      "-purpose",
      "any",
      "-out",
      "/dev/null",
    ]);
    const cert = JSON.parse(body.body.toString());
    expect(cert).to.include({
      format: "qujat.disposition-certificate/1",
      batch: batch.id,
      destroyed: 2,
      skippedHeld: 1,
      approvedBy: officerB.id,
      previewedBy: officerA.id,
    });
    expect(cert.documents.map((d: any) => d.id).sort()).to.deep.equal([docs.L1.id, docs.L3.id].sort());
    expect(cert.documents.find((d: any) => d.id === docs.L1.id).sha256).to.equal(docs.L1.sha);
    const { token, signatureValue } = await signatureTimestampOf(p7s.body);
    expect(token).to.not.equal(null);
    writeFileSync(path.join(dir, "t.der"), token!);
    expect(
      openssl(["ts", "-verify", "-digest", sha256(signatureValue), "-token_in", "-in", "t.der", "-CAfile", t.caFile]),
    ).to.match(/Verification: OK/);
    writeFileSync(path.join(dir, "forged.json"), body.body.toString().replace(docs.L1.sha, "0".repeat(64)));
    expect(() =>
      openssl([
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        "c.p7s",
        "-content",
        "forged.json",
        "-CAfile",
        t.caFile,
        "-purpose",
        "any",
        "-out",
        "/dev/null",
      ]),
    ).to.throw();
    const json = await officerB.client.get(`/api/v1/retention/disposition/${batch.id}/certificate`);
    expect(json.body.sha256).to.equal(sha256(body.body));
    expect(json.body.body).to.equal(body.body.toString("utf8"));
    // The body is kept in the blob store under its hash, and the sweep of unreferenced blobs (the
    // test clock is years past the files' times) leaves it there.
    expect(existsSync(blobPath(json.body.sha256))).to.equal(true);
    expect((await app.deps.jobs.runNow("blobs.sweep")).outcome).to.equal("success");
    expect(existsSync(blobPath(json.body.sha256))).to.equal(true);
    expect(
      (await officerA.client.bytes(`/api/v1/retention/disposition/${batch.id}/certificate.json`)).body.equals(
        body.body,
      ),
    ).to.equal(true);
  });

  it("releasing the hold is audited; L2 then goes in the next batch", async () => {
    const r = await officerB.client.post(`/api/v1/retention/holds/${hold.id}/release`, { reason: "Inspection closed" });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body).to.include({ status: "released", releasedBy: officerB.id, releaseReason: "Inspection closed" });
    expect(
      (await officerB.client.post(`/api/v1/retention/holds/${hold.id}/release`, { reason: "again" })).body.code,
    ).to.equal("hold_released");
    expect(await app.db("audit_log").where({ action: "retention.hold_release", target_id: hold.id })).to.have.length(1);
    const b = (await officerB.client.post("/api/v1/retention/disposition", {})).body;
    expect(b.preview.destroy.documents).to.equal(1);
    expect((await officerA.client.post(`/api/v1/retention/disposition/${b.id}/approve`)).status).to.equal(200);
    expect((await officerA.client.post(`/api/v1/retention/disposition/${b.id}/execute`, {})).body.state).to.equal(
      "executed",
    );
    expect(existsSync(blobPath(docs.L2.sha))).to.equal(false);
  });

  it("year 11: the invoice and the 10-year default come due; an interrupted batch is resumed by the daily job without double counting; then the author's erasure goes through", async () => {
    await at("2037-03-10T09:00:00Z");
    const b = (await officerA.client.post("/api/v1/retention/disposition", {})).body;
    expect(b.preview.destroy.documents).to.equal(2);
    expect((await officerB.client.post(`/api/v1/retention/disposition/${b.id}/approve`)).status).to.equal(200);
    // One step (batchSize 1) and stop, as a crash would: one destroyed, the cursor after it.
    const part = await officerB.client.post(`/api/v1/retention/disposition/${b.id}/execute`, { maxSteps: 1 });
    expect(part.body.state).to.equal("executing");
    expect(part.body.progress.destroyed).to.equal(1);
    // Blobs of the first step removed; simulate a crash before that for the resumed run to finish.
    await app.db("document_tombstones").where({ batch_id: b.id }).update({ blobs_removed_at: null });
    const run = await app.deps.jobs.runNow("retention.daily");
    expect(run.outcome, run.error).to.equal("success");
    const done = (await officerA.client.get(`/api/v1/retention/disposition/${b.id}`)).body;
    expect(done.state).to.equal("executed");
    expect(done.progress).to.include({ destroyed: 2, skippedHeld: 0 });
    expect(await app.db("document_tombstones").where({ batch_id: b.id })).to.have.length(2);
    // A1 shared L3's content: now nothing live refers to it and it is gone.
    expect(existsSync(blobPath(docs.A1.sha))).to.equal(false);
    expect(existsSync(blobPath(docs.I1.sha))).to.equal(false);
    const erased = await clerk.client.post("/api/v1/me/erasure");
    expect(erased.status, JSON.stringify(erased.body)).to.equal(200);
    // His documents' tombstones and audit entries still name him by his id.
    expect((await app.db("documents").where({ id: docs.I1.id }).first())!.created_by).to.equal(clerk.id);
  });

  it("refusals: execution without a second approval, approval of an executed batch, a preview in the future, a duplicate pending change", async () => {
    const b = (await officerA.client.post("/api/v1/retention/disposition", {})).body;
    const exec = await officerA.client.post(`/api/v1/retention/disposition/${b.id}/execute`, {});
    expect(exec.status).to.equal(409);
    expect(exec.body.code).to.equal("not_approved");
    const future = await officerA.client.post("/api/v1/retention/disposition", { asOf: "2099-01-01" });
    expect(future.body.code).to.equal("as_of_in_future");
    const p = (
      await officerA.client.post("/api/v1/retention/policies", {
        name: "Acts 1 year",
        kind: "act_of_work",
        periodMonths: 12,
      })
    ).body;
    const again = await officerA.client.post(`/api/v1/retention/policies/${p.id}/versions`, {
      periodMonths: 6,
      reason: "x",
    });
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal("approval_pending");
  });
});
