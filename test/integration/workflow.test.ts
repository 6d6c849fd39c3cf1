// The document lifecycle end to end (SPEC R2.5-R2.8, R3.5) over HTTP, against a real database, the
// real blob store, signatures made by `openssl cms -sign`, and the evidence package checked by
// `unzip -t`.
import { expect } from "chai";
import { periodEnd } from "../../server/domain/shared/zones.js";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { DAY, MINUTE } from "../../server/clock.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { auditCount, buildBranch, buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import { invoiceFields, jsonDocument, pdf, sha256 } from "../support/documents.js";
import { breakCheckDigit, validBin, validIin } from "../support/ids.js";
import { PASSWORD } from "../support/app.js";
import { opensslVerifies, removeSigner, testCa, testSigner, type TestSigner } from "../support/pki.js";
import { testHsm, type TestHsm } from "../support/hsm.js";

type Org = { id: string; headOfficeId: string; name: string; bin: string };

describe("document lifecycle", () => {
  let app: TestApp;
  let hsm: TestHsm;
  let seller: Org, buyer: Org, outsiderOrg: Org;
  let east: { id: string }, almaty: { id: string };
  let clerk: BuiltUser,
    accountant: BuiltUser,
    approver: BuiltUser,
    head: BuiltUser,
    signer: BuiltUser,
    viewer: BuiltUser;
  let buyerClerk: BuiltUser, buyerHead: BuiltUser, buyerViewer: BuiltUser, outsider: BuiltUser;
  let headKey: TestSigner, buyerKey: TestSigner, signerKey: TestSigner;
  const content = new Map<string, Buffer>();

  /** Registers a document as the clerk (JSON) and remembers its content. */
  async function register(metadata: Record<string, unknown> = {}, by = clerk) {
    const bytes = pdf(`doc ${Math.random()}`);
    const r = await by.client.post(
      "/api/v1/documents",
      jsonDocument(
        {
          kind: "invoice",
          branchId: east.id,
          recipient: { organizationId: buyer.id, branchId: almaty.id },
          fields: invoiceFields({ number: `W-${Math.random().toString(36).slice(2, 8)}` }),
          ...metadata,
        },
        bytes,
      ),
    );
    expect(r.status, JSON.stringify(r.body)).to.equal(201);
    content.set(r.body.id, bytes);
    return r.body as { id: string; status: string; content: { sha256: string } };
  }
  const sign = (who: BuiltUser, key: TestSigner, id: string, bytes = content.get(id)!) =>
    who.client.post(`/api/v1/documents/${id}/signatures`, { cms: key.sign(bytes).toString("base64") });
  const step = (who: BuiltUser, id: string, what: string, body?: unknown) =>
    who.client.post(`/api/v1/documents/${id}/${what}`, body);
  const statusOf = async (id: string) => (await app.db("documents").where({ id }).first("status"))!.status as string;
  const outbox = (where: Record<string, unknown>) => app.db("outbox").where(where).orderBy("id");
  async function sentDocument(metadata: Record<string, unknown> = {}) {
    const d = await register(metadata);
    expect((await sign(head, headKey, d.id)).status).to.equal(201);
    const sent = await step(clerk, d.id, "send");
    expect(sent.status, JSON.stringify(sent.body)).to.equal(200);
    return d;
  }
  /** Moves the test clock; sessions idle out meanwhile, so everyone signs in again. */
  async function travel(move: () => void) {
    move();
    for (const u of [clerk, accountant, approver, head, signer, viewer, buyerClerk, buyerHead, buyerViewer, outsider])
      await u.client.login(u.login, PASSWORD);
    await app.admin.login("root", PASSWORD);
  }
  async function deliveredDocument(metadata: Record<string, unknown> = {}) {
    const d = await sentDocument(metadata);
    const r = await step(buyerClerk, d.id, "receipt", { contentSha256: d.content.sha256 });
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    return d;
  }

  before(async () => {
    // With the HSM: receipts are signed by the appliance's system key.
    hsm = await testHsm();
    app = await startTestApp(hsm.config);
    seller = await buildOrganization(app, { name: "Сатушы ЖШС" });
    buyer = await buildOrganization(app, { name: "Buyer JSC" });
    outsiderOrg = await buildOrganization(app, { name: "Outsider LLP" });
    east = await buildBranch(app, seller.id, seller.headOfficeId, "East");
    almaty = await buildBranch(app, buyer.id, buyer.headOfficeId, "Almaty");
    const at = (org: Org, branchId: string, role: string) => [{ role, organizationId: org.id, branchId }];
    clerk = await buildUser(app, at(seller, east.id, "clerk"));
    accountant = await buildUser(app, at(seller, east.id, "accountant"));
    approver = await buildUser(app, at(seller, seller.headOfficeId, "accountant"));
    head = await buildUser(app, at(seller, seller.headOfficeId, "head"));
    signer = await buildUser(app, at(seller, seller.headOfficeId, "signer"));
    viewer = await buildUser(app, at(seller, east.id, "viewer"));
    buyerClerk = await buildUser(app, at(buyer, almaty.id, "clerk"));
    buyerHead = await buildUser(app, at(buyer, buyer.headOfficeId, "head"));
    buyerViewer = await buildUser(app, at(buyer, almaty.id, "viewer"));
    outsider = await buildUser(app, at(outsiderOrg, outsiderOrg.headOfficeId, "head"));
    headKey = testSigner({ cn: "Seller Head", iin: head.iin, bin: seller.bin });
    signerKey = testSigner({
      key: "ec",
      cn: "Seller Signer",
      iin: signer.iin,
      bin: seller.bin,
      roles: ["legal_entity", "signer"],
    });
    buyerKey = testSigner({ cn: "Buyer Head", iin: buyerHead.iin, bin: buyer.bin });
  });
  after(async () => {
    [headKey, buyerKey, signerKey].forEach(removeSigner);
    await app.close();
  });

  it("done when: registered, routed, approved, signed (openssl CMS), sent to another organization's branch, received, receipted, signed by the recipient; evidence opens with unzip -t", async () => {
    const d = await register();
    // An accountant routes it: first the approver, then head or signer (any one of them).
    const routed = await step(accountant, d.id, "approval", {
      steps: [{ approvers: [approver.id] }, { approvers: [head.id, signer.id], mode: "any" }],
    });
    expect(routed.status, JSON.stringify(routed.body)).to.equal(200);
    expect(routed.body.status).to.equal("on_approval");
    expect(
      (await outbox({ document_id: d.id, topic: "document.approval_requested" })).map((n) => n.user_id),
    ).to.deep.equal([approver.id]);

    // Only the current step's approver decides.
    const early = await step(head, d.id, "approval/decisions", { decision: "approve" });
    expect(early.status).to.equal(403);
    expect(early.body.code).to.equal("not_an_approver");
    expect((await step(approver, d.id, "approval/decisions", { decision: "approve" })).body.status).to.equal(
      "on_approval",
    );
    expect(
      (await outbox({ document_id: d.id, topic: "document.approval_requested" })).map((n) => n.user_id),
    ).to.have.members([approver.id, head.id, signer.id]);
    const approved = await step(signer, d.id, "approval/decisions", { decision: "approve", comment: "ok" });
    expect(approved.body.status).to.equal("approved");
    expect((await outbox({ document_id: d.id, topic: "document.approved" }))[0].user_id).to.equal(clerk.id);

    // The head signs with a detached CMS made by openssl; the content freezes.
    const signed = await sign(head, headKey, d.id);
    expect(signed.status, JSON.stringify(signed.body)).to.equal(201);
    expect(signed.body.document).to.include({ status: "signing", frozen: true });
    expect(signed.body.signature).to.include({
      side: "sender",
      digestAlgorithm: "SHA-256",
      contentSha256: d.content.sha256,
    });
    expect(signed.body.signature.certificate.subject).to.include(`IIN${head.iin}`);
    const stored = await head.client.bytes(`/api/v1/documents/${d.id}/signatures/${signed.body.signature.id}`);
    expect(stored.headers.get("content-type")).to.equal("application/pkcs7-signature");
    expect(opensslVerifies(headKey, stored.body, content.get(d.id)!)).to.equal(true);
    expect(opensslVerifies(headKey, stored.body, pdf("other"))).to.equal(false);

    const frozen = await clerk.client.put(`/api/v1/documents/${d.id}/content`, {
      content: { name: "v2.pdf", mediaType: "application/pdf", data: pdf("v2").toString("base64") },
    });
    expect(frozen.status).to.equal(409);
    expect(frozen.body).to.include({ code: "content_frozen", state: "signing" });

    // Sent to the buyer's Almaty branch: it appears in that branch's inbox and they are notified.
    expect((await buyerClerk.client.get(`/api/v1/documents/${d.id}`)).status).to.equal(404);
    const sent = await step(clerk, d.id, "send");
    expect(sent.body).to.include({ status: "sent" });
    expect(sent.body.sentAt).to.equal(app.clock.now().toISOString());
    const notice = await outbox({ document_id: d.id, topic: "document.received" });
    expect(notice).to.have.length(1);
    expect(notice[0]).to.include({ organization_id: buyer.id, branch_id: almaty.id, status: "pending" });
    const inbox = await buyerClerk.client.get("/api/v1/documents?box=inbox");
    expect(inbox.body.items.map((i: { id: string }) => i.id)).to.include(d.id);

    // The recipient's system acknowledges receipt of exactly the content it downloaded.
    const got = await buyerClerk.client.bytes(`/api/v1/documents/${d.id}/content`);
    const wrong = await step(buyerClerk, d.id, "receipt", { contentSha256: sha256(Buffer.from("something else")) });
    expect(wrong.status).to.equal(422);
    expect(wrong.body.code).to.equal("hash_mismatch");
    expect(await statusOf(d.id)).to.equal("sent");
    const receipted = await step(buyerClerk, d.id, "receipt", { contentSha256: sha256(got.body) });
    expect(receipted.body.status).to.equal("delivered");
    const history = await clerk.client.get(`/api/v1/documents/${d.id}/history`);
    const receipt = history.body.receipts[0];
    expect(receipt.contentSha256).to.equal(d.content.sha256);
    expect(receipt.body).to.include({ documentId: d.id, contentSha256: d.content.sha256, type: "qujat.receipt/1" });
    const receiptRow = (await app.db("document_receipts").where({ id: receipt.id }).first())!;
    expect(receipt.sha256).to.equal(sha256(Buffer.from(receiptRow.body)));
    // The appliance's system key (in the HSM) signed the receipt: OpenSSL verifies it over the exact body.
    expect(receipt.systemSignature).to.be.a("string");
    const rdir = mkdtempSync(path.join(os.tmpdir(), "qujat-receipt-"));
    writeFileSync(path.join(rdir, "r.p7s"), Buffer.from(receipt.systemSignature, "base64"));
    writeFileSync(path.join(rdir, "r.json"), receiptRow.body);
    execFileSync(
      "openssl",
      [
        "cms",
        "-verify",
        "-binary",
        "-inform",
        "DER",
        "-in",
        "r.p7s",
        "-content",
        "r.json",
        "-CAfile",
        hsm.caFile,
        "-purpose",
        "any",
        "-out",
        "/dev/null",
      ],
      { cwd: rdir, stdio: "pipe" },
    );
    rmSync(rdir, { recursive: true, force: true });
    expect((await outbox({ document_id: d.id, topic: "document.delivered" }))[0]).to.include({
      organization_id: seller.id,
      branch_id: east.id,
    });

    // A viewer cannot sign; the buyer's head signs; the seller is told.
    expect((await sign(buyerViewer, buyerKey, d.id)).status).to.equal(403);
    const countersigned = await sign(buyerHead, buyerKey, d.id);
    expect(countersigned.status, JSON.stringify(countersigned.body)).to.equal(201);
    expect(countersigned.body.document.status).to.equal("signed_by_recipient");
    expect(countersigned.body.signature.side).to.equal("recipient");
    expect(await outbox({ document_id: d.id, topic: "document.signed_by_recipient" })).to.have.length(1);

    const trail = (await clerk.client.get(`/api/v1/documents/${d.id}/history`)).body;
    expect(trail.events.map((e: { to: string }) => e.to)).to.deep.equal([
      "on_approval",
      "on_approval",
      "approved",
      "signing",
      "sent",
      "delivered",
      "signed_by_recipient",
    ]);
    expect(trail.approval.steps.map((s: { status: string }) => s.status)).to.deep.equal(["approved", "approved"]);
    expect(trail.approval.steps[1].approvers.find((a: { userId: string }) => a.userId === signer.id)).to.include({
      decision: "approved",
      contentSha256: d.content.sha256,
    });
    expect(trail.signatures.map((s: { side: string }) => s.side)).to.deep.equal(["sender", "recipient"]);
    for (const action of ["document.approval.submit", "document.sign", "document.send", "document.receipt"]) {
      expect(await auditCount(app, { action, target_id: d.id }), action).to.be.greaterThan(0);
    }

    // The evidence package: a valid ZIP whose manifest names every entry with its SHA-256.
    const zip = await buyerHead.client.bytes(`/api/v1/documents/${d.id}/evidence`);
    expect(zip.status).to.equal(200);
    expect(zip.headers.get("content-type")).to.equal("application/zip");
    const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-evidence-"));
    try {
      writeFileSync(path.join(dir, "e.zip"), zip.body);
      expect(execFileSync("unzip", ["-t", "e.zip"], { cwd: dir }).toString()).to.match(/No errors detected/);
      execFileSync("unzip", ["-q", "e.zip", "-d", "x"], { cwd: dir });
      const manifest = JSON.parse(readFileSync(path.join(dir, "x", "manifest.json"), "utf8"));
      expect(manifest.document).to.include({ id: d.id, status: "signed_by_recipient" });
      const roles = manifest.entries.map((e: { role: string }) => e.role);
      expect(roles).to.include.members([
        "content",
        "signature",
        "receipt",
        "receipt_signature",
        "audit_extract",
        "history",
        "signature_protocol",
      ]);
      expect(roles.filter((r: string) => r === "signature")).to.have.length(2);
      for (const e of manifest.entries)
        expect(sha256(readFileSync(path.join(dir, "x", e.path))), e.path).to.equal(e.sha256);
      const contentEntry = manifest.entries.find((e: { role: string }) => e.role === "content");
      expect(contentEntry.sha256).to.equal(d.content.sha256);
      const sigs = manifest.entries.filter((e: { role: string }) => e.role === "signature");
      expect(
        opensslVerifies(
          headKey,
          readFileSync(path.join(dir, "x", sigs[0].path)),
          readFileSync(path.join(dir, "x", contentEntry.path)),
        ),
      ).to.equal(true);
      // Each signature's validation evidence: the report and the OCSP response, which OpenSSL verifies against the CA.
      expect(roles.filter((r: string) => r === "validation_report")).to.have.length(2);
      const ocsp = manifest.entries.filter((e: { role: string }) => e.role === "ocsp_response");
      expect(ocsp).to.have.length(2);
      const caPem = path.join(testCa().dir, "ca.pem");
      const said = execFileSync(
        "openssl",
        [
          "ocsp",
          "-respin",
          path.join(dir, "x", ocsp[0].path),
          "-CAfile",
          caPem,
          "-issuer",
          caPem,
          "-cert",
          headKey.certFile,
          "-no_nonce",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      ).toString();
      expect(said).to.match(/: good/);
      const audit = JSON.parse(readFileSync(path.join(dir, "x", "audit.json"), "utf8"));
      expect(audit.map((a: { action: string }) => a.action)).to.include.members([
        "document.register",
        "document.send",
        "document.receipt",
      ]);
      expect(audit.every((a: { hash: string }) => /^[0-9a-f]{64}$/.test(a.hash))).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await auditCount(app, { action: "document.evidence_download", target_id: d.id })).to.equal(1);

    // The signature protocol (R2.9): a PDF naming every signer and the validation result, the same
    // bytes each time, signed by the HSM system key (openssl verifies), with a QR reference.
    const protocol = await buyerHead.client.bytes(`/api/v1/documents/${d.id}/signature-protocol`);
    expect(protocol.status).to.equal(200);
    expect(protocol.headers.get("content-type")).to.equal("application/pdf");
    expect(
      (await buyerHead.client.bytes(`/api/v1/documents/${d.id}/signature-protocol`)).body.equals(protocol.body),
    ).to.equal(true);
    const pdir = mkdtempSync(path.join(os.tmpdir(), "qujat-protocol-"));
    try {
      writeFileSync(path.join(pdir, "p.pdf"), protocol.body);
      const text = execFileSync("pdftotext", ["-layout", "p.pdf", "-"], { cwd: pdir }).toString();
      expect(text)
        .to.include(d.id)
        .and.include(d.content.sha256)
        .and.include("Signature protocol / Протокол подписания");
      expect(text).to.include(`IIN / BIN: ${head.iin} / ${seller.bin}`).and.include("Сатушы ЖШС");
      expect(text.match(/VALID — every check passed/g)).to.have.length(2);
      const p7s = await buyerHead.client.bytes(`/api/v1/documents/${d.id}/signature-protocol.p7s`);
      expect(p7s.status).to.equal(200);
      writeFileSync(path.join(pdir, "p.p7s"), p7s.body);
      execFileSync(
        "openssl",
        [
          "cms",
          "-verify",
          "-binary",
          "-inform",
          "DER",
          "-in",
          "p.p7s",
          "-content",
          "p.pdf",
          "-CAfile",
          hsm.caFile,
          "-purpose",
          "any",
          "-out",
          "/dev/null",
        ],
        { cwd: pdir, stdio: "pipe" },
      );
      execFileSync("pdftoppm", ["-png", "-r", "150", "p.pdf", "page"], { cwd: pdir });
      const qr = execFileSync("bash", ["-c", "zbarimg -q --raw page-*.png || true"], {
        cwd: pdir,
        stdio: ["ignore", "pipe", "ignore"],
      })
        .toString()
        .trim();
      expect(qr).to.equal(`${app.url}/api/v1/documents/${d.id}/signatures#sha256=${d.content.sha256}`);
    } finally {
      rmSync(pdir, { recursive: true, force: true });
    }
  });

  it("the counterparty sees none of the sender's internal approval: not in the history, not in the evidence package", async () => {
    const d = await register();
    expect(
      (
        await step(accountant, d.id, "approval", {
          steps: [{ approvers: [approver.id] }, { approvers: [signer.id] }],
        })
      ).status,
    ).to.equal(200);
    await step(approver, d.id, "approval/decisions", { decision: "approve", comment: "margin 12 % internal" });
    await step(signer, d.id, "approval/decisions", { decision: "approve", comment: "discount agreed by CFO" });
    expect((await sign(head, headKey, d.id)).status).to.equal(201);
    expect((await step(clerk, d.id, "send")).status).to.equal(200);
    const secrets = ["margin 12 % internal", "discount agreed by CFO", approver.id, signer.id];

    // The sender's own people see their route, approvers and comments.
    const own = await viewer.client.get(`/api/v1/documents/${d.id}/history`);
    expect(own.body.approval.steps).to.have.length(2);
    expect(JSON.stringify(own.body)).to.include("discount agreed by CFO");
    expect(own.body.events.map((e: { action: string }) => e.action)).to.include("document.approval.approve");

    // The recipient's: the exchange only.
    for (const who of [buyerClerk, buyerHead]) {
      const theirs = await who.client.get(`/api/v1/documents/${d.id}/history`);
      expect(theirs.status).to.equal(200);
      expect(theirs.body.approval).to.equal(null);
      expect(theirs.body.events.map((e: { action: string }) => e.action)).to.include("document.send");
      expect(theirs.body.events.some((e: { action: string }) => e.action.startsWith("document.approval."))).to.equal(
        false,
      );
      for (const s of secrets) expect(JSON.stringify(theirs.body), s).to.not.include(s);
    }

    // The evidence package each side downloads: the same rule, in every entry.
    const entriesOf = async (who: BuiltUser) => {
      const zip = await who.client.bytes(`/api/v1/documents/${d.id}/evidence`);
      expect(zip.status).to.equal(200);
      const dir = mkdtempSync(path.join(os.tmpdir(), "qujat-evidence-"));
      try {
        writeFileSync(path.join(dir, "e.zip"), zip.body);
        execFileSync("unzip", ["-q", "e.zip", "-d", "x"], { cwd: dir });
        const read = (f: string) => readFileSync(path.join(dir, "x", f), "utf8");
        return { history: JSON.parse(read("history.json")), audit: JSON.parse(read("audit.json")), all: zip.body };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const sellerPackage = await entriesOf(viewer);
    expect(sellerPackage.history.approval.steps).to.have.length(2);
    expect(sellerPackage.audit.some((a: { action: string }) => a.action.startsWith("document.approval."))).to.equal(
      true,
    );
    const buyerPackage = await entriesOf(buyerHead);
    expect(buyerPackage.history.approval).to.equal(null);
    expect(
      buyerPackage.history.events.some((e: { action: string }) => e.action.startsWith("document.approval.")),
    ).to.equal(false);
    expect(buyerPackage.audit.some((a: { action: string }) => a.action.startsWith("document.approval."))).to.equal(
      false,
    );
    for (const s of secrets.slice(0, 2))
      expect(JSON.stringify(buyerPackage.history) + JSON.stringify(buyerPackage.audit), s).to.not.include(s);
  });

  it("a returned document carries the comment and can be routed again; returning needs a comment", async () => {
    const d = await register();
    await step(clerk, d.id, "approval", { steps: [{ approvers: [approver.id, head.id], mode: "all" }] });
    const noComment = await step(approver, d.id, "approval/decisions", { decision: "return" });
    expect(noComment.status).to.equal(400);
    expect(noComment.body.code).to.equal("comment_required");
    expect((await step(head, d.id, "approval/decisions", { decision: "approve" })).body.status).to.equal("on_approval"); // "all": one is not enough
    const again = await step(head, d.id, "approval/decisions", { decision: "approve" });
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal("already_decided");
    const returned = await step(approver, d.id, "approval/decisions", {
      decision: "return",
      comment: "VAT rate is wrong",
    });
    expect(returned.body.status).to.equal("returned");
    expect((await outbox({ document_id: d.id, topic: "document.returned" }))[0].payload).to.include(
      "VAT rate is wrong",
    );
    // While returned the content may change, then the document goes round again.
    const v2 = pdf("corrected");
    const replaced = await clerk.client.put(`/api/v1/documents/${d.id}/content`, {
      content: { name: "v2.pdf", mediaType: "application/pdf", data: v2.toString("base64") },
    });
    expect(replaced.status, JSON.stringify(replaced.body)).to.equal(200);
    expect(replaced.body.content.sha256).to.equal(sha256(v2));
    const resubmitted = await step(clerk, d.id, "approval", { steps: [{ approvers: [approver.id] }] });
    expect(resubmitted.body.status).to.equal("on_approval");
    const route = (await clerk.client.get(`/api/v1/documents/${d.id}/history`)).body.approval;
    expect(route.round).to.equal(2);
  });

  it("approvers must be able to act for the sending branch", async () => {
    const d = await register();
    const r = await step(clerk, d.id, "approval", { steps: [{ approvers: [buyerHead.id, viewer.id] }] });
    expect(r.status).to.equal(400);
    expect(r.body.code).to.equal("approver_not_eligible");
    expect(r.body.approvers).to.have.members([buyerHead.id, viewer.id]);
    expect(await statusOf(d.id)).to.equal("draft");
    expect(await app.db("document_approval_steps").where({ document_id: d.id })).to.have.length(0);
  });

  it("illegal transitions answer 409 with the current state and change nothing", async () => {
    const d = await register();
    const send = await step(clerk, d.id, "send");
    expect(send.status).to.equal(409);
    expect(send.body).to.include({ code: "illegal_transition", state: "draft", move: "send" });
    expect(send.body.allowedFrom).to.deep.equal(["signing"]);
    const decide = await step(approver, d.id, "approval/decisions", { decision: "approve" });
    expect(decide.status).to.equal(409);
    await sign(head, headKey, d.id);
    const route = await step(clerk, d.id, "approval", { steps: [{ approvers: [approver.id] }] });
    expect(route.status).to.equal(409);
    expect(route.body.state).to.equal("signing");
    expect(await app.db("document_events").where({ document_id: d.id })).to.have.length(1);
  });

  it("someone not party to the document cannot change it: 404 outside, 403 without the role; nothing stored", async () => {
    const d = await register();
    await sign(head, headKey, d.id);
    const eventsBefore = await app.db("document_events").where({ document_id: d.id });
    const auditBefore = await auditCount(app, { target_id: d.id });
    expect((await step(outsider, d.id, "send")).status).to.equal(404);
    expect((await step(buyerHead, d.id, "send")).status).to.equal(404); // not sent yet: the recipient does not see it
    const byViewer = await step(viewer, d.id, "send");
    expect(byViewer.status).to.equal(403);
    expect((await sign(outsider, buyerKey, d.id)).status).to.equal(404);
    expect((await sign(clerk, headKey, d.id)).status).to.equal(403); // a clerk does not sign
    expect(await statusOf(d.id)).to.equal("signing");
    expect(await app.db("document_events").where({ document_id: d.id })).to.have.length(eventsBefore.length);
    expect(await app.db("document_signatures").where({ document_id: d.id })).to.have.length(1);
    // refusals are audited as access.denied, never as changes
    expect(await auditCount(app, { target_id: d.id })).to.equal(auditBefore + 5);
    expect(await auditCount(app, { target_id: d.id, action: "access.denied" })).to.be.greaterThanOrEqual(5);
    // the sender cannot act for the recipient either
    await step(clerk, d.id, "send");
    expect((await step(clerk, d.id, "receipt", { contentSha256: d.content.sha256 })).status).to.equal(403);
  });

  it("a signature over other content, a tampered one, or the same signer twice is refused and nothing is stored", async () => {
    const d = await register();
    const other = await sign(head, headKey, d.id, pdf("not this document"));
    expect(other.status).to.equal(422);
    expect(other.body.code).to.equal("digest_mismatch");
    const cms = headKey.sign(content.get(d.id)!);
    cms[cms.length - 5] ^= 0xff;
    const tampered = await head.client.post(`/api/v1/documents/${d.id}/signatures`, { cms: cms.toString("base64") });
    expect(tampered.status).to.equal(422);
    expect(tampered.body.code).to.equal("signature_invalid");
    const garbage = await head.client.post(`/api/v1/documents/${d.id}/signatures`, {
      cms: Buffer.from("hello world, no CMS here").toString("base64"),
    });
    expect(garbage.status).to.equal(400);
    expect(garbage.body.code).to.equal("cms_malformed");
    expect(await statusOf(d.id)).to.equal("draft");
    expect(await app.db("document_signatures").where({ document_id: d.id })).to.have.length(0);
    expect((await app.db("documents").where({ id: d.id }).first())!.frozen_at).to.equal(null);
    expect((await sign(head, headKey, d.id)).status).to.equal(201);
    const twice = await sign(head, headKey, d.id);
    expect(twice.status).to.equal(409);
    expect(twice.body.code).to.equal("already_signed");
    // a second signer of the sender (ECDSA key, PEM posted as text) adds his signature
    const pem = signerKey.sign(content.get(d.id)!, { pem: true }).toString("latin1");
    const second = await signer.client.post(`/api/v1/documents/${d.id}/signatures`, { cms: pem });
    expect(second.status, JSON.stringify(second.body)).to.equal(201);
    expect(second.body.signature.signatureAlgorithm).to.match(/ECDSA/);
  });

  it("the recipient refuses with a reason (a reason is required)", async () => {
    const d = await deliveredDocument();
    const bare = await step(buyerHead, d.id, "rejection", {});
    expect(bare.status).to.equal(400);
    const r = await step(buyerHead, d.id, "rejection", { reason: "Prices differ from the contract" });
    expect(r.body.status).to.equal("rejected");
    expect((await outbox({ document_id: d.id, topic: "document.rejected" }))[0]).to.include({
      organization_id: seller.id,
    });
    const events = (await clerk.client.get(`/api/v1/documents/${d.id}/history`)).body.events;
    expect(events.at(-1)).to.include({ to: "rejected", comment: "Prices differ from the contract", side: "recipient" });
    expect((await sign(buyerHead, buyerKey, d.id)).status).to.equal(409);
  });

  it("clarification, then annulment: declined returns to where it was, agreed annuls", async () => {
    const d = await deliveredDocument();
    expect((await step(buyerHead, d.id, "clarification-request", { reason: "Which contract?" })).body.status).to.equal(
      "clarification_requested",
    );
    const asked = await step(head, d.id, "annulment-request", { reason: "Issued by mistake" });
    expect(asked.body).to.include({ status: "annulment_requested", annulmentRequestedBy: "sender" });
    expect((await step(head, d.id, "annulment-answer", { accept: true })).status).to.equal(403); // not his side to answer
    const declined = await step(buyerHead, d.id, "annulment-answer", { accept: false, comment: "We still need it" });
    expect(declined.body.status).to.equal("clarification_requested");
    await step(buyerHead, d.id, "annulment-request", { reason: "Agreed by phone" });
    const agreed = await step(head, d.id, "annulment-answer", { accept: true });
    expect(agreed.body.status).to.equal("annulled");
    expect((await outbox({ document_id: d.id, topic: "document.annulled" }))[0]).to.include({
      organization_id: buyer.id,
    });
    expect((await step(buyerHead, d.id, "annulment-request", { reason: "again" })).status).to.equal(409);
  });

  it("an internal document goes from one branch to another and is listed in both branches' internal box", async () => {
    const west = await buildBranch(app, seller.id, seller.headOfficeId, "West");
    const westClerk = await buildUser(app, [{ role: "clerk", organizationId: seller.id, branchId: west.id }]);
    const d = await register({ kind: "letter", fields: {}, direction: "internal", recipient: { branchId: west.id } });
    expect((await westClerk.client.get(`/api/v1/documents/${d.id}`)).status).to.equal(404); // not sent yet
    await sign(head, headKey, d.id);
    await step(clerk, d.id, "send");
    const listed = async (u: BuiltUser) =>
      (await u.client.get("/api/v1/documents?box=internal")).body.items.map((i: { id: string }) => i.id);
    expect(await listed(westClerk)).to.include(d.id);
    expect(await listed(clerk)).to.include(d.id);
    expect(await listed(buyerClerk)).to.not.include(d.id);
    expect(
      (await westClerk.client.get("/api/v1/documents?box=inbox")).body.items.map((i: { id: string }) => i.id),
    ).to.not.include(d.id);
    expect((await step(westClerk, d.id, "receipt", { contentSha256: d.content.sha256 })).body.status).to.equal(
      "delivered",
    );
    // A signer of the head office covers the receiving branch too, and signs for it.
    const signerCountersigned = await sign(signer, signerKey, d.id);
    expect(signerCountersigned.body.document.status).to.equal("signed_by_recipient");
    expect(signerCountersigned.body.signature.side).to.equal("recipient");
  });

  it("two racing sends: one wins, the other gets 409 with the new state", async () => {
    const d = await register();
    await sign(head, headKey, d.id);
    const [a, b] = await Promise.all([step(clerk, d.id, "send"), step(clerk, d.id, "send")]);
    expect([a.status, b.status].sort()).to.deep.equal([200, 409]);
    expect([a, b].find((r) => r.status === 409)!.body.state).to.equal("sent");
    expect(await outbox({ document_id: d.id, topic: "document.received" })).to.have.length(1);
  });

  describe("deemed acceptance", () => {
    const act = (number: string) => ({
      kind: "act_of_work",
      fields: { ...invoiceFields({ number }), periodFrom: "2026-02-01", periodTo: "2026-02-28" },
    });
    const runJob = () => app.deps.jobs.runNow("documents.deemedAcceptance");

    it("an act neither signed nor refused within 7 calendar days of its receipt is accepted by silence; both sides are told; an invoice is not", async () => {
      const a = await deliveredDocument(act("ACT-7"));
      const invoice = await deliveredDocument();
      const receivedAt = (await app.db("document_receipts").where({ document_id: a.id }).first())!.at;
      // Counted from the receipt's local day in Almaty (the buyer has no zone of its own): 24:00 of the 7th day after it, on a working day.
      const due = periodEnd(new Date(receivedAt), "calendar", 7, new Set(), "Asia/Almaty");
      const row = (await app.db("documents").where({ id: a.id }).first())!;
      expect(row.respond_by).to.equal(due.toISOString());
      expect(due.getTime() - new Date(receivedAt).getTime()).to.be.within(7 * DAY, 10 * DAY);
      const event = await app.db("audit_log").where({ action: "document.receipt", target_id: a.id }).first();
      expect(JSON.parse(event!.details)).to.include({ receivedAt, respondBy: due.toISOString() });
      expect((await app.db("documents").where({ id: invoice.id }).first())!.respond_by).to.equal(null);
      await travel(() => app.clock.set(new Date(due.getTime() - MINUTE)));
      await runJob();
      expect(await statusOf(a.id)).to.equal("delivered");
      await travel(() => app.clock.advance(2 * MINUTE));
      const run = await runJob();
      expect(run.outcome).to.equal("success");
      expect(await statusOf(a.id)).to.equal("accepted_by_silence");
      expect(await statusOf(invoice.id)).to.equal("delivered");
      const entries = await app.db("audit_log").where({ action: "document.accept_by_silence", target_id: a.id });
      expect(entries).to.have.length(1);
      expect(entries[0].actor_type).to.equal("system");
      expect(
        (await outbox({ document_id: a.id, topic: "document.accepted_by_silence" })).map((n) => n.organization_id),
      ).to.have.members([seller.id, buyer.id]);
      // Too late to sign now, and the job does not touch it twice.
      expect((await sign(buyerHead, buyerKey, a.id)).status).to.equal(409);
      await runJob();
      expect(await app.db("audit_log").where({ action: "document.accept_by_silence", target_id: a.id })).to.have.length(
        1,
      );
    });

    it("an act sent but never received is never accepted by silence, however long it waits", async () => {
      const a = await sentDocument(act("ACT-NEVER"));
      expect((await app.db("documents").where({ id: a.id }).first())!.respond_by).to.equal(null);
      await travel(() => app.clock.advance(60 * DAY));
      await runJob();
      expect(await statusOf(a.id)).to.equal("sent");
    });

    it("an act answered in time is not deemed accepted", async () => {
      const a = await deliveredDocument(act("ACT-8"));
      await step(buyerHead, a.id, "rejection", { reason: "Works not done" });
      await travel(() => app.clock.advance(8 * DAY));
      await runJob();
      expect(await statusOf(a.id)).to.equal("rejected");
    });

    it("a recipient counting 5 working days: an act received at 23:50 Almaty on a Friday is accepted by silence at 24:00 Almaty of the 5th working day, its holidays skipped", async () => {
      expect(
        (await accountant.client.put(`/api/v1/organizations/${seller.id}/acceptance-policy`, { mode: "working" }))
          .status,
      ).to.equal(403);
      const set = await app.admin.put(`/api/v1/organizations/${buyer.id}/acceptance-policy`, { mode: "working" });
      expect(set.status, JSON.stringify(set.body)).to.equal(200);
      expect(set.body).to.include({ mode: "working", days: 5 });
      await app.admin.put(`/api/v1/organizations/${buyer.id}/holidays`, {
        holidays: [{ day: "2027-03-08", name: "International Women's Day" }],
      });
      await travel(() => app.clock.set("2027-03-05T10:00:00.000Z")); // Friday, 15:00 Almaty
      const a = await sentDocument(act("ACT-W"));
      await travel(() => app.clock.set("2027-03-05T18:50:00.000Z")); // Friday, 23:50 Almaty
      const r = await step(buyerClerk, a.id, "receipt", { contentSha256: a.content.sha256 });
      expect(r.status, JSON.stringify(r.body)).to.equal(200);
      // Mon 8 Mar is the buyer's holiday: Tue 9, Wed 10, Thu 11, Fri 12, Mon 15 → 24:00 Mon 15 Mar Almaty (19:00 UTC).
      expect((await app.db("documents").where({ id: a.id }).first())!.respond_by).to.equal("2027-03-15T19:00:00.000Z");
      const shown = await buyerClerk.client.get(`/api/v1/documents/${a.id}`);
      expect(shown.body.respondBy).to.equal("2027-03-15T19:00:00.000Z");
      await travel(() => app.clock.set("2027-03-15T18:59:00.000Z")); // 23:59 Almaty
      await runJob();
      expect(await statusOf(a.id)).to.equal("delivered");
      await travel(() => app.clock.set("2027-03-15T19:01:00.000Z")); // 00:01 Almaty, Tuesday
      await runJob();
      expect(await statusOf(a.id)).to.equal("accepted_by_silence");

      // Received 00:30 Almaty on Saturday (still Friday in UTC): the count starts with Monday, as for Friday's.
      await travel(() => app.clock.set("2027-03-19T10:00:00.000Z"));
      const b = await sentDocument(act("ACT-W2"));
      await travel(() => app.clock.set("2027-03-19T19:30:00.000Z"));
      expect((await step(buyerClerk, b.id, "receipt", { contentSha256: b.content.sha256 })).status).to.equal(200);
      expect((await app.db("documents").where({ id: b.id }).first())!.respond_by).to.equal("2027-03-26T19:00:00.000Z");
      await app.admin.put(`/api/v1/organizations/${buyer.id}/acceptance-policy`, { mode: "calendar" });
    });
  });

  describe("invitations", () => {
    const newcomer = () => ({ name: "Newcomer LLP", country: "KZ", bin: validBin() });

    it("the invited organization's head registers with his AUTH certificate (IIN and name from it, the organization's BIN required) and is signed in at once", async () => {
      const org = newcomer();
      const d = await register({
        kind: "letter",
        fields: {},
        recipient: { organization: org, email: "cert@newcomer.kz" },
      });
      await sign(head, headKey, d.id);
      expect((await step(clerk, d.id, "send")).status).to.equal(200);
      const { token } = JSON.parse((await outbox({ document_id: d.id, topic: "invitation" }))[0].payload);
      const anon = app.client();
      const iin = validIin();
      const answer = async (k: TestSigner) => {
        const ch = (await anon.post("/api/v1/auth/challenge")).body.challenge as string;
        return anon.post(`/api/v1/invitations/${token}/accept-with-certificate`, {
          login: "certboss",
          password: PASSWORD,
          challenge: ch,
          cms: k.sign(Buffer.from(ch, "base64")).toString("base64"),
        });
      };
      const foreign = testSigner({ cn: "Cert Boss", iin, bin: seller.bin, purpose: "auth" });
      const signing = testSigner({ cn: "Cert Boss", iin, bin: org.bin });
      const own = testSigner({ cn: "Cert Boss", iin, bin: org.bin, purpose: "auth" });
      try {
        const wrongOrg = await answer(foreign);
        expect(wrongOrg.status).to.equal(422);
        expect(wrongOrg.body.code).to.equal("certificate_not_for_organization");
        const notAuth = await answer(signing);
        expect(notAuth.status).to.equal(401);
        expect(notAuth.body.failures.map((f: { check: string }) => f.check)).to.deep.equal(["certificate_purpose"]);
        expect(await app.db("invitations").whereNotNull("used_at").where({ document_id: d.id })).to.have.length(0); // nothing spent
        const ok = await answer(own);
        expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
        const user = (await app.db("users").where({ id: ok.body.userId }).first())!;
        expect(user).to.include({ iin, full_name: "Cert Boss", login: "certboss" });
        anon.token = ok.body.token;
        const inbox = await anon.get("/api/v1/documents?box=inbox");
        expect(inbox.body.items.map((i: { id: string }) => i.id)).to.deep.equal([d.id]);
      } finally {
        [foreign, signing, own].forEach(removeSigner);
      }
    });

    it("a counterparty not on the appliance is created, invited by a single-use link on sending, and then sees the document in its inbox", async () => {
      const org = newcomer();
      const noEmail = await clerk.client.post(
        "/api/v1/documents",
        jsonDocument({ kind: "letter", branchId: east.id, recipient: { organization: org } }),
      );
      expect(noEmail.status).to.equal(400);
      expect(noEmail.body.code).to.equal("recipient_email_required");
      const d = await register({
        kind: "letter",
        fields: {},
        recipient: { organization: org, email: "boss@newcomer.kz" },
      });
      const created = (await app.db("organizations").where({ bin: org.bin }).first())!;
      expect(created).to.include({ name: "Newcomer LLP" });
      expect(Boolean(created.external)).to.equal(true);
      await sign(head, headKey, d.id);
      expect((await step(clerk, d.id, "send")).status).to.equal(200);
      const [mail] = await outbox({ document_id: d.id, topic: "invitation" });
      expect(mail.email).to.equal("boss@newcomer.kz");
      const { token, link } = JSON.parse(mail.payload);
      expect(link).to.include(`/invitations/${token}`);
      expect(await app.db("invitations").where({ token_hash: token })).to.have.length(0); // only its hash is kept

      // The link shows who invites whom, never the document.
      const anon = app.client();
      const shown = await anon.get(`/api/v1/invitations/${token}`);
      expect(shown.status).to.equal(200);
      expect(shown.body).to.deep.include({
        organization: "Newcomer LLP",
        invitedBy: "Сатушы ЖШС",
        email: "boss@newcomer.kz",
      });
      expect(JSON.stringify(shown.body)).to.not.include(d.id);
      expect((await anon.get(`/api/v1/documents/${d.id}/content`)).status).to.equal(401);

      const iin = validIin();
      const weak = await anon.post(`/api/v1/invitations/${token}/accept`, {
        login: "newboss",
        fullName: "New Boss",
        iin,
        password: "short",
      });
      expect(weak.status).to.equal(400);
      expect(weak.body.code).to.equal("password_policy");
      const wrongIin = await anon.post(`/api/v1/invitations/${token}/accept`, {
        login: "newboss",
        fullName: "New Boss",
        iin: breakCheckDigit(iin),
        password: PASSWORD,
      });
      expect(wrongIin.body.code).to.equal("invalid_iin");
      // A taken IIN is a conflict, named only once the input itself is good.
      const taken = await anon.post(`/api/v1/invitations/${token}/accept`, {
        login: "newboss",
        fullName: "New Boss",
        iin: head.iin,
        password: "short",
      });
      expect(taken.body.code).to.equal("password_policy");
      expect(
        (
          await anon.post(`/api/v1/invitations/${token}/accept`, {
            login: "newboss",
            fullName: "New Boss",
            iin: head.iin,
            password: PASSWORD,
          })
        ).body.code,
      ).to.equal("iin_taken");
      const accepted = await anon.post(`/api/v1/invitations/${token}/accept`, {
        login: "newboss",
        fullName: "New Boss",
        iin,
        password: PASSWORD,
      });
      expect(accepted.status, JSON.stringify(accepted.body)).to.equal(201);
      expect(accepted.body).to.include({ organizationId: created.id, next: "sign_in" });
      const reused = await anon.post(`/api/v1/invitations/${token}/accept`, {
        login: "newboss2",
        fullName: "Other",
        iin,
        password: PASSWORD,
      });
      expect(reused.status).to.equal(410);
      expect(reused.body.code).to.equal("invitation_used");

      const boss = app.client();
      await boss.login("newboss", PASSWORD);
      const inbox = await boss.get("/api/v1/documents?box=inbox");
      expect(inbox.body.items.map((i: { id: string }) => i.id)).to.deep.equal([d.id]);
      const bytes = await boss.bytes(`/api/v1/documents/${d.id}/content`);
      expect(sha256(bytes.body)).to.equal(d.content.sha256);
      expect(
        (await boss.post(`/api/v1/documents/${d.id}/receipt`, { contentSha256: sha256(bytes.body) })).body.status,
      ).to.equal("delivered");
    });

    it("an invitation expires after 14 days; an unknown token is 404; sending to a user-less organization without an e-mail is refused", async () => {
      const d = await register({
        kind: "letter",
        fields: {},
        recipient: { organization: newcomer(), email: "late@example.kz" },
      });
      await sign(head, headKey, d.id);
      await step(clerk, d.id, "send");
      const { token } = JSON.parse((await outbox({ document_id: d.id, topic: "invitation" }))[0].payload);
      await travel(() => app.clock.advance(14 * DAY + MINUTE));
      const late = await app.client().get(`/api/v1/invitations/${token}`);
      expect(late.status).to.equal(410);
      expect(late.body.code).to.equal("invitation_expired");
      expect((await app.client().get(`/api/v1/invitations/inv_${"x".repeat(43)}`)).status).to.equal(404);

      const bare = await buildOrganization(app, { name: "Nobody Here LLP" });
      const e = await register({ kind: "letter", fields: {}, recipient: { organizationId: bare.id } });
      await sign(head, headKey, e.id);
      const refused = await step(clerk, e.id, "send");
      expect(refused.status).to.equal(409);
      expect(refused.body.code).to.equal("recipient_not_on_appliance");
      expect(await statusOf(e.id)).to.equal("signing");
    });
  });
});
