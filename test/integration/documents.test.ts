// Document registration, storage, boxes and download (SPEC R2.1-R2.4, R2.8, R2.10) over HTTP,
// against a real database and the real filesystem blob store.
import { expect } from "chai";
import { existsSync, readdirSync, utimesSync } from "node:fs";
import path from "node:path";
import knexFactory, { type Knex } from "knex";
import { auditAppender } from "../../server/domain/audit/commands.js";
import { auditVerifier } from "../../server/domain/audit/queries.js";
import { auditKeyOf, bindAuditKey } from "../../server/domain/audit/key.js";
import { onPostgres, startTestApp, type TestApp } from "../support/app.js";
import { auditCount, buildBranch, buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import {
  CUT_SHORT_BOUNDARY,
  documentForm,
  invoiceFields,
  pdf,
  png,
  sha256,
  uploadCutShort,
} from "../support/documents.js";
import { UUID_V7, uuidV7Time } from "../support/ids.js";

describe("documents", () => {
  let app: TestApp;
  let seller: { id: string; headOfficeId: string; name: string },
    buyer: { id: string; headOfficeId: string; name: string };
  let east: { id: string }, west: { id: string };
  let clerk: BuiltUser, westViewer: BuiltUser, buyerClerk: BuiltUser, viewer: BuiltUser;
  const blobDir = () => path.join(app.dataDir, "blobs");
  const blobPath = (h: string) => path.join(blobDir(), h.slice(0, 2), h.slice(2, 4), h);
  const staging = () =>
    existsSync(path.join(blobDir(), ".staging")) ? readdirSync(path.join(blobDir(), ".staging")) : [];
  const count = async (table: string) => Number((await app.db(table).count({ c: "*" }).first())!.c);
  const invoice = (o: Parameters<typeof invoiceFields>[0] = {}, extra: Record<string, unknown> = {}) => ({
    kind: "invoice",
    recipient: { organizationId: buyer.id },
    fields: invoiceFields(o),
    ...extra,
  });

  before(async () => {
    app = await startTestApp();
    seller = await buildOrganization(app, { name: "Seller LLP" });
    buyer = await buildOrganization(app, { name: "Покупатель АО" });
    east = await buildBranch(app, seller.id, seller.headOfficeId, "East");
    west = await buildBranch(app, seller.id, seller.headOfficeId, "West");
    clerk = await buildUser(app, [{ role: "clerk", organizationId: seller.id, branchId: east.id }]);
    viewer = await buildUser(app, [{ role: "viewer", organizationId: seller.id, branchId: east.id }]);
    westViewer = await buildUser(app, [{ role: "viewer", organizationId: seller.id, branchId: west.id }]);
    buyerClerk = await buildUser(app, [{ role: "clerk", organizationId: buyer.id, branchId: buyer.headOfficeId }]);
  });
  after(() => app.close());

  describe("registration", () => {
    it("a clerk registers an invoice by multipart: 201 with a GUID, every file's SHA-256, kind, direction, status; billed and audited", async () => {
      const content = pdf("INV-100");
      const scan = png();
      const ledgerBefore = await count("usage_ledger");
      const r = await clerk.client.upload(
        "/api/v1/documents",
        documentForm(
          invoice({ number: "INV-100" }),
          { bytes: content, name: "Счёт 100.pdf", type: "application/pdf" },
          [{ bytes: scan, name: "scan.png", type: "image/png" }],
        ),
      );
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      // A time-ordered GUID (UUID version 7): the registration time in its first 48 bits, as its file's.
      expect(r.body.id).to.match(UUID_V7);
      expect(uuidV7Time(r.body.id)).to.equal(Date.parse(r.body.createdAt));
      expect(uuidV7Time(r.body.attachments[0].id)).to.equal(Date.parse(r.body.createdAt));
      expect(r.headers.get("location")).to.equal(`/api/v1/documents/${r.body.id}`);
      expect(r.body).to.include({
        kind: "invoice",
        direction: "outgoing",
        status: "draft",
        number: "INV-100",
        total: "33600.00",
        currency: "KZT",
        title: "Invoice for payment No. INV-100 of 2026-03-02",
      });
      expect(r.body.content).to.include({
        name: "Счёт 100.pdf",
        mediaType: "application/pdf",
        size: content.length,
        sha256: sha256(content),
      });
      expect(r.body.attachments).to.have.length(1);
      expect(r.body.attachments[0]).to.include({ name: "scan.png", sha256: sha256(scan), size: scan.length });
      expect(r.body.sender).to.include({ organizationId: seller.id, branchId: east.id });
      expect(r.body.recipient).to.include({
        organizationId: buyer.id,
        branchId: buyer.headOfficeId,
        name: "Покупатель АО",
      });
      expect(existsSync(blobPath(sha256(content)))).to.equal(true);
      expect(existsSync(blobPath(sha256(scan)))).to.equal(true);
      const ledger = await app.db("usage_ledger").where({ document_id: r.body.id });
      expect(ledger).to.have.length(1);
      expect(ledger[0]).to.include({ organization_id: seller.id, branch_id: east.id, event: "registration" });
      expect(Number(ledger[0].bytes)).to.equal(content.length + scan.length);
      expect(await count("usage_ledger")).to.equal(ledgerBefore + 1);
      const entries = await app.db("audit_log").where({ action: "document.register", target_id: r.body.id });
      expect(entries).to.have.length(1);
      expect(entries[0]).to.include({ actor_id: clerk.id, organization_id: seller.id });
      expect(staging()).to.deep.equal([]);
    });

    it("registers a small document as JSON with base64 files; identical content is stored once", async () => {
      const content = pdf("INV-100"); // same bytes as the first test's content
      const r = await clerk.client.post("/api/v1/documents", {
        metadata: { kind: "letter", title: "Письмо о сверке", recipient: { organizationId: buyer.id } },
        content: { name: "letter.pdf", mediaType: "application/pdf", data: content.toString("base64") },
      });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      expect(r.body).to.include({ kind: "letter", title: "Письмо о сверке" });
      expect(r.body.content.sha256).to.equal(sha256(content));
      const dir = path.dirname(blobPath(sha256(content)));
      expect(readdirSync(dir).filter((f) => f === sha256(content))).to.have.length(1);
    });

    it("an Idempotency-Key retry returns the first document; the same key for another request is refused", async () => {
      const send = (number: string) =>
        clerk.client.upload(
          "/api/v1/documents",
          documentForm(invoice({ number }), { bytes: pdf(number), name: "i.pdf", type: "application/pdf" }),
          { "idempotency-key": "erp-batch-7-line-1" },
        );
      const before = await count("documents");
      const first = await send("IDEM-1");
      const retry = await send("IDEM-1");
      expect(first.status).to.equal(201);
      expect(retry.status).to.equal(201);
      expect(retry.headers.get("idempotent-replayed")).to.equal("true");
      expect(retry.body.id).to.equal(first.body.id);
      expect(await count("documents")).to.equal(before + 1);
      expect(await app.db("usage_ledger").where({ document_id: first.body.id })).to.have.length(1);
      const other = await send("IDEM-2");
      expect(other.status).to.equal(422);
      expect(other.body.code).to.equal("idempotency_key_reused");
      expect(await count("documents")).to.equal(before + 1);
    });

    it("numbers are unique per organization, kind and year", async () => {
      const send = (number: string, date: string, kind = "invoice") =>
        clerk.client.upload(
          "/api/v1/documents",
          documentForm(
            { ...invoice({ number, date }), kind },
            { bytes: pdf(number + date + kind), name: "i.pdf", type: "application/pdf" },
          ),
        );
      expect((await send("N-1", "2026-02-01")).status).to.equal(201);
      const dup = await send("N-1", "2026-05-01");
      expect(dup.status).to.equal(409);
      expect(dup.body).to.include({ code: "number_taken", number: "N-1", year: 2026 });
      expect((await send("N-1", "2025-12-30")).status).to.equal(201); // another year
      expect((await send("N-1", "2026-05-01", "act_of_work")).status).to.equal(201); // another kind
      // Two registrations racing for one number: the unique index decides, the loser gets the same 409.
      const raced = await Promise.all([send("RACE-1", "2026-06-01"), send("RACE-1", "2026-06-02")]);
      expect(raced.map((r) => r.status).sort()).to.deep.equal([201, 409]);
      expect(raced.find((r) => r.status === 409)!.body.code).to.equal("number_taken");
    });
  });

  describe("the registrar's one-trip script (SQLite)", () => {
    const letter = (title: string) =>
      documentForm(
        { kind: "letter", title, recipient: { organizationId: buyer.id } },
        { bytes: pdf(title), name: "l.pdf", type: "application/pdf" },
      );
    const written = () => ({ ...app.deps.registrar.written });

    it("writes a batch as one script on SQLite, through the transaction on PostgreSQL; the rows are the same either way", async () => {
      // The first registration of the suite fills the caches the script needs (see registrationScript).
      expect((await clerk.client.upload("/api/v1/documents", letter("warm"))).status).to.equal(201);
      const before = written();
      const r = await clerk.client.upload("/api/v1/documents", letter("one trip"), { "idempotency-key": "one-trip-1" });
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      expect(written()).to.deep.equal(
        onPostgres()
          ? { direct: before.direct, transaction: before.transaction + 1 }
          : { direct: before.direct + 1, transaction: before.transaction },
      );
      const doc = (await app.db("documents").where({ id: r.body.id }).first())!;
      expect(doc).to.include({
        title: "one trip",
        status: "draft",
        sender_branch_id: east.id,
        recipient_name: buyer.name,
        version: 1,
      });
      expect(Number(doc.content_size)).to.equal(pdf("one trip").length);
      expect(doc.retain_until).to.be.a("string");
      expect(await app.db("document_files").where({ document_id: r.body.id })).to.have.length(1);
      const ledger = (await app.db("usage_ledger").where({ document_id: r.body.id }).first())!;
      expect(Boolean(ledger.outgoing)).to.equal(true);
      expect(await app.db("idempotency_keys").where({ key: "one-trip-1" })).to.have.length(1);
      const retry = await clerk.client.upload("/api/v1/documents", letter("one trip"), {
        "idempotency-key": "one-trip-1",
      });
      expect(retry.body.id).to.equal(r.body.id);
      expect((await auditVerifier(app.db)).ok).to.equal(true);
    });

    it("when the audit head or the directory moves between the script's reads and its write lock, the script writes nothing and the transaction writes the batch on fresh facts", async function () {
      if (onPostgres()) this.skip(); // the script is SQLite's
      // Another connection to the same file (as the CLI would be) takes the write lock, moves the
      // head or renames the recipient, and commits only after the registration has read its facts.
      const other = knexFactory({
        client: "sqlite3",
        connection: { filename: path.join(app.dataDir, "qujat.sqlite") },
        useNullAsDefault: true,
        pool: { min: 1, max: 1 },
      });
      bindAuditKey(other, auditKeyOf(app.db)); // a CLI process keys its entries like the appliance
      try {
        const behindTheBack = async (change: (tx: Knex.Transaction) => Promise<unknown>, title: string) => {
          const tx = await other.transaction();
          await change(tx);
          const before = written();
          const registering = clerk.client.upload("/api/v1/documents", letter(title));
          await new Promise((r) => setTimeout(r, 400)); // the script has read, and waits for the lock
          await tx.commit();
          const r = await registering;
          expect(r.status, JSON.stringify(r.body)).to.equal(201);
          expect(written()).to.deep.equal({ direct: before.direct, transaction: before.transaction + 1 });
          return r;
        };
        await behindTheBack(
          (tx) =>
            auditAppender(tx, app.clock, { actor: { type: "system", id: null } }, [{ action: "retention.event" }]),
          "after a foreign audit entry",
        );
        const verified = await auditVerifier(app.db);
        expect(verified.ok, JSON.stringify(verified)).to.equal(true);
        const renamed = await behindTheBack(
          (tx) => tx("organizations").where({ id: buyer.id }).update({ name: "Покупатель АО (moved)" }),
          "after a rename",
        );
        expect(renamed.body.recipient.name).to.equal("Покупатель АО (moved)");
        await app.db("organizations").where({ id: buyer.id }).update({ name: buyer.name });
        // The name put back: one batch on the transaction catches the cache up, and the next is a script again.
        const before = written();
        expect((await clerk.client.upload("/api/v1/documents", letter("renamed back"))).body.recipient.name).to.equal(
          buyer.name,
        );
        expect((await clerk.client.upload("/api/v1/documents", letter("settled"))).status).to.equal(201);
        expect(written()).to.deep.equal({ direct: before.direct + 1, transaction: before.transaction + 1 });
      } finally {
        await other.destroy();
      }
    });
  });

  describe("bad input: a clear problem, nothing stored", () => {
    let documentsBefore: number, blobsBefore: string[];
    const blobsNow = () =>
      readdirSync(blobDir(), { recursive: true })
        .map(String)
        .filter((f) => /[0-9a-f]{64}$/.test(f))
        .sort();
    beforeEach(async () => {
      documentsBefore = await count("documents");
      blobsBefore = blobsNow();
    });
    afterEach(async () => {
      expect(await count("documents")).to.equal(documentsBefore);
      expect(blobsNow()).to.deep.equal(blobsBefore);
      expect(staging()).to.deep.equal([]);
    });
    const upload = (
      metadata: unknown,
      content = { bytes: pdf(String(Math.random())), name: "doc.pdf", type: "application/pdf" },
      attachments: Array<{ bytes: Buffer; name: string; type: string }> = [],
    ) => clerk.client.upload("/api/v1/documents", documentForm(metadata, content, attachments));

    it("totals that do not add up name the field and the expected figure", async () => {
      const r = await upload(invoice({ number: "BAD-1", total: "33000.00" }));
      expect(r.status).to.equal(400);
      expect(r.headers.get("content-type")).to.match(/application\/problem\+json/);
      expect(r.body.errors).to.deep.include({
        field: "fields.total",
        code: "totals_mismatch",
        message: "lines + VAT is 33600.00",
      });
    });

    it("wrong fields for the kind, and an unknown key", async () => {
      const r = await upload({
        kind: "reconciliation_act",
        recipient: { organizationId: buyer.id },
        fields: { number: "R-1", date: "2026-03-02", currency: "KZT" },
      });
      expect(r.status).to.equal(400);
      expect(r.body.errors.map((e: { field: string }) => e.field)).to.include.members([
        "fields.periodFrom",
        "fields.openingBalance",
        "fields.closingBalance",
      ]);
      const unknown = await upload({ ...invoice({ number: "U-1" }), colour: "red" });
      expect(unknown.status).to.equal(400);
      expect(unknown.body.errors[0].code).to.equal("unrecognized_keys");
    });

    it("an unknown counterparty", async () => {
      const r = await upload(
        invoice({ number: "X-1" }, { recipient: { organizationId: "00000000-0000-4000-8000-000000000000" } }),
      );
      expect(r.status).to.equal(400);
      expect(r.body.code).to.equal("unknown_counterparty");
    });

    it("bytes that contradict the declared type, empty content, path tricks in a file name", async () => {
      const lie = await upload(invoice({ number: "M-1" }), {
        bytes: png(),
        name: "invoice.pdf",
        type: "application/pdf",
      });
      expect(lie.status).to.equal(415);
      expect(lie.body).to.include({ code: "media_type_mismatch", declared: "application/pdf", detected: "image/png" });
      const notPdf = await upload(invoice({ number: "M-2" }), {
        bytes: Buffer.from("plain text, not a PDF"),
        name: "invoice.pdf",
        type: "application/pdf",
      });
      expect(notPdf.status).to.equal(415);
      const empty = await upload(invoice({ number: "M-3" }), {
        bytes: Buffer.alloc(0),
        name: "empty.txt",
        type: "text/plain",
      });
      expect(empty.status).to.equal(400);
      expect(empty.body.code).to.equal("empty_file");
      const tricky = await upload(
        invoice({ number: "M-4" }),
        { bytes: pdf(), name: "a.pdf", type: "application/pdf" },
        [{ bytes: png(), name: "..\\..\\boot.ini", type: "image/png" }],
      );
      expect(tricky.status).to.equal(400);
      expect(tricky.body.code).to.equal("bad_file_name");
    });

    it("over 20 MB in total → 413", async function () {
      this.timeout(60_000);
      const big = Buffer.alloc(20 * 1024 * 1024, 0x41);
      const r = await upload(
        { kind: "arbitrary", title: "Video", recipient: { organizationId: buyer.id } },
        { bytes: pdf(), name: "cover.pdf", type: "application/pdf" },
        [{ bytes: big, name: "video.bin", type: "application/octet-stream" }],
      );
      expect(r.status).to.equal(413);
      expect(r.body.code).to.equal("payload_too_large");
    });

    it("a client that disconnects mid-upload leaves nothing behind", async () => {
      const boundary = CUT_SHORT_BOUNDARY;
      const head =
        `--${boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n${JSON.stringify(invoice({ number: "CUT-1" }))}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="big.pdf"\r\nContent-Type: application/pdf\r\n\r\n`;
      await uploadCutShort(
        app.url,
        clerk.client.token!,
        head,
        Buffer.concat([pdf(), Buffer.alloc(1024 * 1024, 0x20)]),
        200,
      );
      for (let i = 0; i < 50 && staging().length > 0; i++) await new Promise((r) => setTimeout(r, 20));
    });
  });

  describe("boxes and reading", () => {
    it("drafts are listed newest first with a keyset cursor; a branch sees only its subtree; the recipient sees nothing before sending", async () => {
      for (let i = 0; i < 5; i++) {
        app.clock.advance(1000);
        const r = await clerk.client.upload(
          "/api/v1/documents",
          documentForm(
            { kind: "contract", title: `Договор поставки ${i}`, recipient: { organizationId: buyer.id } },
            { bytes: pdf(`contract ${i}`), name: "c.pdf", type: "application/pdf" },
          ),
        );
        expect(r.status).to.equal(201);
      }
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: {
          status: number;
          body: { items: Array<{ id: string; createdAt: string; title: string }>; next: string | null };
        } = await viewer.client.get(
          `/api/v1/documents?box=drafts&kind=contract&limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        );
        expect(page.status).to.equal(200);
        seen.push(...page.body.items.map((d) => d.title));
        cursor = page.body.next;
        pages++;
      } while (cursor && pages < 10);
      expect(seen).to.deep.equal([
        "Договор поставки 4",
        "Договор поставки 3",
        "Договор поставки 2",
        "Договор поставки 1",
        "Договор поставки 0",
      ]);
      expect((await westViewer.client.get("/api/v1/documents?box=drafts")).body.items).to.deep.equal([]);
      expect((await buyerClerk.client.get("/api/v1/documents?box=inbox")).body.items).to.deep.equal([]);
      const search = await viewer.client.get(
        `/api/v1/documents?box=drafts&q=${encodeURIComponent("ДОГОВОР ПОСТАВКИ 3")}`,
      );
      expect(search.body.items.map((d: { title: string }) => d.title)).to.deep.equal(["Договор поставки 3"]);
      const byCounterparty = await viewer.client.get(
        `/api/v1/documents?box=drafts&q=${encodeURIComponent("покупатель")}&kind=contract`,
      );
      expect(byCounterparty.body.items).to.have.length(5);
    });

    it("reading and downloading: parties of the sender's branch may, others get 404; downloads are audited", async () => {
      const content = pdf("download me");
      const created = await clerk.client.upload(
        "/api/v1/documents",
        documentForm(
          { kind: "letter", title: "Download", recipient: { organizationId: buyer.id } },
          { bytes: content, name: "Письмо №5.pdf", type: "application/pdf" },
        ),
      );
      const id = created.body.id;
      expect((await viewer.client.get(`/api/v1/documents/${id}`)).body.id).to.equal(id);
      const file = await viewer.client.bytes(`/api/v1/documents/${id}/content`);
      expect(file.status).to.equal(200);
      expect(sha256(file.body)).to.equal(sha256(content));
      expect(file.headers.get("content-type")).to.equal("application/pdf");
      expect(file.headers.get("content-disposition")).to.equal(
        `attachment; filename="______ _5.pdf"; filename*=UTF-8''${encodeURIComponent("Письмо №5.pdf")}`,
      );
      expect(await auditCount(app, { action: "document.download", target_id: id, actor_id: viewer.id })).to.equal(1);
      for (const outsider of [westViewer, buyerClerk]) {
        expect((await outsider.client.get(`/api/v1/documents/${id}`)).status).to.equal(404);
        expect((await outsider.client.bytes(`/api/v1/documents/${id}/content`)).status).to.equal(404);
      }
      expect((await app.client().bytes(`/api/v1/documents/${id}/content`)).status).to.equal(401);
    });

    it("a viewer may not register (403 on his own branch), and nothing is stored", async () => {
      const before = await count("documents");
      const r = await viewer.client.upload(
        "/api/v1/documents",
        documentForm(invoice({ number: "V-1" }), { bytes: pdf("v"), name: "v.pdf", type: "application/pdf" }),
      );
      expect(r.status).to.equal(403);
      expect(await count("documents")).to.equal(before);
      expect(await auditCount(app, { action: "access.denied", actor_id: viewer.id })).to.be.greaterThan(0);
    });
  });

  describe("a file that cannot be made durable", () => {
    it("refuses the registration (500) and keeps no row: the transaction commits only after its files are on disk", async () => {
      const content = pdf(`undurable ${Math.random()}`);
      const h = sha256(content);
      // A plain file where the blob's directory must go: the commit's mkdir fails.
      const { mkdirSync, writeFileSync, rmSync } = await import("node:fs");
      mkdirSync(path.join(blobDir(), h.slice(0, 2)), { recursive: true });
      writeFileSync(path.join(blobDir(), h.slice(0, 2), h.slice(2, 4)), "in the way");
      const [docs, ledger, audit] = [await count("documents"), await count("usage_ledger"), await count("audit_log")];
      const r = await clerk.client.upload(
        "/api/v1/documents",
        documentForm(
          { kind: "letter", title: "undurable", recipient: { organizationId: buyer.id } },
          { bytes: content, name: "u.pdf", type: "application/pdf" },
        ),
      );
      expect(r.status, JSON.stringify(r.body)).to.equal(500);
      expect([await count("documents"), await count("usage_ledger"), await count("audit_log")]).to.deep.equal([
        docs,
        ledger,
        audit,
      ]);
      rmSync(path.join(blobDir(), h.slice(0, 2), h.slice(2, 4)));
      const again = await clerk.client.upload(
        "/api/v1/documents",
        documentForm(
          { kind: "letter", title: "durable now", recipient: { organizationId: buyer.id } },
          { bytes: content, name: "u.pdf", type: "application/pdf" },
        ),
      );
      expect(again.status, JSON.stringify(again.body)).to.equal(201);
      expect(existsSync(blobPath(h))).to.equal(true);
    });
  });

  describe("facts remembered between registrations (directory cache)", () => {
    const letter = (title: string) =>
      documentForm(
        { kind: "letter", title, recipient: { organizationId: buyer.id } },
        { bytes: pdf(title), name: "l.pdf", type: "application/pdf" },
      );
    const version = async () => Number((await app.db("directory_version").first("version"))!.version);

    it("a change made behind the appliance's back (plain SQL) holds from the next registration on: a blocked branch, a renamed counterparty, a new quota", async () => {
      expect((await clerk.client.upload("/api/v1/documents", letter("warm 1"))).status).to.equal(201);
      expect((await clerk.client.upload("/api/v1/documents", letter("warm 2"))).status).to.equal(201);

      await app.db("branches").where({ id: east.id }).update({ status: "blocked" });
      const before = await count("documents");
      const blocked = await clerk.client.upload("/api/v1/documents", letter("while blocked"));
      expect(blocked.status, JSON.stringify(blocked.body)).to.equal(409);
      expect(blocked.body.code).to.equal("sender_blocked");
      expect(await count("documents")).to.equal(before);
      await app.db("branches").where({ id: east.id }).update({ status: "active" });
      expect((await clerk.client.upload("/api/v1/documents", letter("unblocked"))).status).to.equal(201);

      await app.db("organizations").where({ id: buyer.id }).update({ name: "Покупатель АО (renamed)" });
      const renamed = await clerk.client.upload("/api/v1/documents", letter("to the renamed buyer"));
      expect(renamed.status).to.equal(201);
      expect(renamed.body.recipient.name).to.equal("Покупатель АО (renamed)");
      await app.db("organizations").where({ id: buyer.id }).update({ name: buyer.name });

      // A subscription with a quota of one outgoing document: the first counts, the second is 402.
      const operator = await buildUser(app, [{ role: "billing_operator" }]);
      const plan = await operator.client.post("/api/v1/billing/plans", {
        code: "one-doc",
        name: "One",
        price: "1000.00",
        currency: "KZT",
        quotas: { documents: 1, storageBytes: null, users: 20 },
      });
      expect(plan.status, JSON.stringify(plan.body)).to.equal(201);
      const sub = await operator.client.post("/api/v1/billing/subscriptions", {
        organizationId: seller.id,
        branchId: east.id,
        planId: plan.body.id,
      });
      expect(sub.status, JSON.stringify(sub.body)).to.equal(201);
      const counted = await clerk.client.upload("/api/v1/documents", letter("counted"));
      expect(counted.status).to.equal(201);
      expect((await app.db("usage_ledger").where({ document_id: counted.body.id }).first())!.subscription_id).to.equal(
        sub.body.id,
      );
      // Registrations move the use counters, which is not a change of facts: the version stays.
      const settled = await version();
      const over = await clerk.client.upload("/api/v1/documents", letter("over quota"));
      expect(over.status, JSON.stringify(over.body)).to.equal(402);
      expect(over.body.code).to.equal("quota_exceeded");
      expect(await version()).to.equal(settled);
      // The quota raised behind the appliance's back: the next one passes.
      await app.db("tariff_plans").where({ id: plan.body.id }).update({ quota_documents: 5 });
      expect(await version()).to.be.greaterThan(settled);
      expect((await clerk.client.upload("/api/v1/documents", letter("within the new quota"))).status).to.equal(201);
      await app.db("subscriptions").where({ id: sub.body.id }).update({ status: "ended", ended_reason: "test" });
      const ended = await clerk.client.upload("/api/v1/documents", letter("after the end"));
      expect(ended.status, JSON.stringify(ended.body)).to.equal(402);
      await app.db("subscriptions").where({ id: sub.body.id }).update({ status: "active", ended_reason: null });
      expect((await clerk.client.upload("/api/v1/documents", letter("active again"))).status).to.equal(201);
    });
  });

  describe("blob sweep job", () => {
    it("removes blobs no document refers to once they are older than the grace period, and keeps referenced ones", async () => {
      const orphan = await app.deps.blobs.put(Buffer.from("left behind by a crash between blob commit and row commit"));
      const referenced = (await app.db("document_files").first("sha256"))!.sha256 as string;
      const old = new Date(Date.now() - 3 * 3600_000);
      utimesSync(blobPath(orphan.sha256), old, old);
      utimesSync(blobPath(referenced), old, old);
      app.clock.set(new Date(Date.now()));
      const run = await app.deps.jobs.runNow("blobs.sweep");
      expect(run.outcome).to.equal("success");
      expect(existsSync(blobPath(orphan.sha256))).to.equal(false);
      expect(existsSync(blobPath(referenced))).to.equal(true);
    });
  });
});
