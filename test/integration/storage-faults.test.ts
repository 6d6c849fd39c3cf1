// Stored bytes that went missing or bad under each download path (SPEC R2.8, R8.1): the answer is
// a clear problem before any header, or — when the damage shows only while reading — a response
// cut short; never a crash, never a complete-looking body, and no download audited that did not
// happen. Faults are injected into the real stores: the filesystem directory, and S3 object storage
// (Debian's Swift with s3api), where objects are removed or replaced through the S3 API.
import { expect } from "chai";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { s3Client } from "../../server/storage/s3Blobs.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { s3Settings } from "../support/s3.js";
import { auditCount, buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import {
  CUT_SHORT_BOUNDARY,
  documentForm,
  invoiceFields,
  pdf,
  png,
  sha256,
  uploadCutShort,
} from "../support/documents.js";

/** How a test reaches into a store to damage a blob. */
interface Tamper {
  remove(h: string): Promise<void>;
  read(h: string): Promise<Buffer>;
  write(h: string, bytes: Buffer): Promise<void>;
}

for (const store of ["fs", "s3"] as const)
  describe(`downloads when stored bytes are missing or damaged (${store === "fs" ? "local directory" : "S3 object storage, real Swift"})`, () => {
    let app: TestApp;
    let clerk: BuiltUser;
    let buyer: { id: string };
    let tamper: Tamper;

    before(async () => {
      if (store === "fs") {
        app = await startTestApp();
        const blobPath = (h: string) => path.join(app.dataDir, "blobs", h.slice(0, 2), h.slice(2, 4), h);
        tamper = {
          remove: async (h) => rmSync(blobPath(h)),
          read: async (h) => readFileSync(blobPath(h)),
          write: async (h, b) => writeFileSync(blobPath(h), b),
        };
      } else {
        const s3 = s3Settings();
        app = await startTestApp({ blobs: { store: "s3", s3 } });
        const client = s3Client(s3);
        const Key = (h: string) => `sha256/${h}`;
        tamper = {
          remove: async (h) => void (await client.send(new DeleteObjectCommand({ Bucket: s3.bucket, Key: Key(h) }))),
          read: async (h) =>
            Buffer.from(
              await (
                await client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: Key(h) }))
              ).Body!.transformToByteArray(),
            ),
          write: async (h, b) =>
            void (await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: Key(h), Body: b }))),
        };
      }
      const seller = await buildOrganization(app, { name: "Seller LLP" });
      buyer = await buildOrganization(app, { name: "Buyer LLP" });
      clerk = await buildUser(app, [{ role: "clerk", organizationId: seller.id, branchId: seller.headOfficeId }]);
    });
    after(() => app.close());

    let n = 0;
    async function registered() {
      const content = pdf(`fault ${Math.random()}`);
      const scan = Buffer.concat([png(), Buffer.from(String(Math.random()))]);
      const r = await clerk.client.upload(
        "/api/v1/documents",
        documentForm(
          { kind: "invoice", recipient: { organizationId: buyer.id }, fields: invoiceFields({ number: `F-${++n}` }) },
          { bytes: content, name: "invoice.pdf", type: "application/pdf" },
          [{ bytes: scan, name: "scan.png", type: "image/png" }],
        ),
      );
      expect(r.status, JSON.stringify(r.body)).to.equal(201);
      return {
        id: r.body.id as string,
        content: r.body.content.sha256 as string,
        attachment: r.body.attachments[0].sha256 as string,
        attachmentId: r.body.attachments[0].id as string,
      };
    }

    /** Fetches and reads the body whole; a response cut short shows as `cut`. */
    async function fetchWhole(p: string) {
      const res = await fetch(app.url + p, { headers: { authorization: `Bearer ${clerk.client.token}` } }).catch(
        () => null, // closed before the status line: a small file fails before its only chunk goes out
      );
      if (!res) return { status: 0, body: Buffer.alloc(0), cut: true, headers: new Headers() };
      try {
        return { status: res.status, body: Buffer.from(await res.arrayBuffer()), cut: false, headers: res.headers };
      } catch {
        return { status: res.status, body: Buffer.alloc(0), cut: true, headers: res.headers };
      }
    }

    const downloads = (d: Awaited<ReturnType<typeof registered>>) => [
      { what: "content", path: `/api/v1/documents/${d.id}/content`, blob: d.content, action: "document.download" },
      {
        what: "attachment",
        path: `/api/v1/documents/${d.id}/attachments/${d.attachmentId}`,
        blob: d.attachment,
        action: "document.download",
      },
      {
        what: "evidence (content)",
        path: `/api/v1/documents/${d.id}/evidence`,
        blob: d.content,
        action: "document.evidence_download",
      },
      {
        what: "evidence (attachment)",
        path: `/api/v1/documents/${d.id}/evidence`,
        blob: d.attachment,
        action: "document.evidence_download",
      },
    ];

    const faults: Array<{ name: string; inject: (h: string) => Promise<void>; before: boolean }> = [
      { name: "removed", inject: (h) => tamper.remove(h), before: true },
      { name: "truncated", inject: async (h) => tamper.write(h, (await tamper.read(h)).subarray(0, 10)), before: true },
      {
        name: "overwritten with other bytes of the same size",
        inject: async (h) => {
          const b = await tamper.read(h);
          b[b.length - 3] ^= 0xff;
          await tamper.write(h, b);
        },
        before: false,
      },
    ];

    for (const fault of faults)
      it(`a blob ${fault.name}: every download path answers without crashing and audits nothing`, async () => {
        for (let i = 0; i < 4; i++) {
          const d = await registered();
          const target = downloads(d)[i];
          const good = await fetchWhole(target.path);
          expect(good.status, target.what).to.equal(200);
          const audited = await auditCount(app, { action: target.action, target_id: d.id });
          expect(audited, target.what).to.equal(1);

          await fault.inject(target.blob);
          const bad = await fetchWhole(target.path);
          const problem = () => bad.status === 500 && JSON.parse(bad.body.toString()).code === "content_unreadable";
          if (fault.before) {
            // Known before any header: one clear problem.
            expect(bad.status, target.what).to.equal(500);
            expect(bad.headers.get("content-type")).to.match(/application\/problem\+json/);
            const problem = JSON.parse(bad.body.toString());
            expect(problem.code).to.equal("content_unreadable");
            expect(problem.detail).to.not.match(/ENOENT|\/blobs\//);
          } else {
            // Found only while reading: the response is cut short (or, for a package whose file failed
            // while the rest was prepared, answered as a problem) — never a whole body.
            expect(bad.cut || problem(), `${target.what} answered ${bad.status} whole`).to.equal(true);
          }
          expect(await auditCount(app, { action: target.action, target_id: d.id }), target.what).to.equal(audited);
          // The process lives on and serves the next request.
          const again = await clerk.client.get(`/api/v1/documents/${d.id}`);
          expect(again.status).to.equal(200);
        }
      });

    it("a client that hangs up mid-upload or mid-download is logged as information, never as an error", async () => {
      const errors: unknown[] = [];
      const logger = app.deps.logger;
      const original = logger.error.bind(logger);
      logger.error = ((...args: unknown[]) => {
        errors.push(args);
        return original(...(args as [string]));
      }) as typeof logger.error;
      try {
        for (let i = 0; i < 5; i++) {
          await uploadCutShort(
            app.url,
            clerk.client.token!,
            `--${CUT_SHORT_BOUNDARY}\r\nContent-Disposition: form-data; name="content"; filename="a.pdf"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4\n`,
            Buffer.alloc(256 * 1024, 0x20),
            50,
          );
          const d = await registered();
          const res = await fetch(`${app.url}/api/v1/documents/${d.id}/evidence`, {
            headers: { authorization: `Bearer ${clerk.client.token}` },
          });
          await res.body?.cancel();
        }
        await new Promise((r) => setTimeout(r, 300));
        expect(errors).to.deep.equal([]);
      } finally {
        logger.error = original as typeof logger.error;
      }
    });

    it("HEAD of a content download answers its headers, reads nothing and audits nothing", async () => {
      const d = await registered();
      const before = await auditCount(app, { action: "document.download", target_id: d.id });
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`${app.url}/api/v1/documents/${d.id}/content`, {
          method: "HEAD",
          headers: { authorization: `Bearer ${clerk.client.token}` },
        });
        expect(r.status).to.equal(200);
        expect(r.headers.get("etag")).to.equal(`"${d.content}"`);
      }
      expect(await auditCount(app, { action: "document.download", target_id: d.id })).to.equal(before);
    });

    it("an intact download is whole, hashed as recorded, and audited once", async () => {
      const d = await registered();
      const r = await fetchWhole(`/api/v1/documents/${d.id}/content`);
      expect(r.cut).to.equal(false);
      expect(sha256(r.body)).to.equal(d.content);
      expect(await auditCount(app, { action: "document.download", target_id: d.id })).to.equal(1);
    });
  });
