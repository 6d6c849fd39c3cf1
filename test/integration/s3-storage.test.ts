// Blobs in S3-compatible object storage (blobs.store "s3"), against a real S3 server that Debian
// packages (OpenStack Swift with s3api, started by the test): what a commit leaves in the bucket,
// that identical bytes are one object, that refused and abandoned uploads leave nothing, the
// cluster-wide sweep over the bucket, and a store that stops answering (503, nothing lost).
import { expect } from "chai";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { readdirSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { openBlobStore, BlobUnreadableError, type BlobStore } from "../../server/storage/blobs.js";
import { s3Client } from "../../server/storage/s3Blobs.js";
import { startTestApp, type TestApp } from "../support/app.js";
import { buildOrganization, buildUser } from "../support/factories.js";
import { documentForm, invoiceFields, pdf, sha256 } from "../support/documents.js";
import { freePort } from "../support/net.js";
import { s3Settings } from "../support/s3.js";
import { scratchDir } from "../support/scratch.js";

describe("blobs in S3 object storage (real Swift with s3api)", () => {
  let s3: ReturnType<typeof s3Settings>;
  let store: BlobStore;
  let dataDir: string;
  const client = () => s3Client(s3);
  const keys = async () =>
    ((await client().send(new ListObjectsV2Command({ Bucket: s3.bucket }))).Contents ?? []).map((o) => o.Key!);
  const object = async (h: string) =>
    Buffer.from(
      await (
        await client().send(new GetObjectCommand({ Bucket: s3.bucket, Key: `sha256/${h}` }))
      ).Body!.transformToByteArray(),
    );
  const staging = () => readdirSync(path.join(dataDir, "staging"));

  beforeEach(async () => {
    s3 = s3Settings();
    dataDir = scratchDir("qujat-s3-");
    store = await openBlobStore({ dataDir, blobs: { store: "s3", s3 } });
  });
  afterEach(() => store.close());

  it("a commit stores the bytes whole under their SHA-256; identical bytes committed at once are one object; the node keeps no copy", async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => Buffer.alloc(100_000 + i, i));
    bodies.push(Buffer.from(bodies[2]));
    const staged = await Promise.all(
      bodies.map((b) => store.stage(Readable.from([b.subarray(0, 999), b.subarray(999)]))),
    );
    expect(await keys()).to.deep.equal([]); // nothing is in the bucket before the commit
    await Promise.all(staged.map((s) => s.commit()));
    expect((await keys()).sort()).to.deep.equal([...new Set(bodies.map((b) => `sha256/${sha256(b)}`))].sort());
    for (const b of bodies) expect((await object(sha256(b))).equals(b)).to.equal(true);
    expect(staging()).to.deep.equal([]);
    expect(store.location).to.equal(`s3://${s3.bucket}/sha256/ (${s3.endpoint})`);
  });

  it("a discarded stage and a withdrawn commit leave nothing; a withdrawn commit of bytes a row refers to keeps them", async () => {
    const a = await store.stage(Readable.from([Buffer.from("discarded")]));
    await a.discard();
    const b = await store.stage(Readable.from([Buffer.from("withdrawn")]));
    await b.commit();
    await b.withdraw(async () => false);
    const kept = await store.put(Buffer.from("stored before"));
    const c = await store.stage(Readable.from([Buffer.from("stored before")]));
    await c.commit();
    await c.withdraw(async (h) => h === kept.sha256); // a document refers to these bytes: they stay
    expect(await keys()).to.deep.equal([`sha256/${kept.sha256}`]);
    expect(staging()).to.deep.equal([]);
  });

  it("open checks existence and size before anything is promised, and fails the stream before its last chunk on changed bytes", async () => {
    const body = Buffer.alloc(300_000, 9);
    const { sha256: h, size } = await store.put(body);
    expect((await buffer(await store.open(h, size))).equals(body)).to.equal(true);
    const missing = await store.open("0".repeat(64), 10).catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(BlobUnreadableError);
    expect((missing as BlobUnreadableError).reason).to.equal("missing");
    const wrongSize = await store.open(h, size + 1).catch((e: unknown) => e);
    expect((wrongSize as BlobUnreadableError).reason).to.equal("size");
    const changed = Buffer.from(body);
    changed[size - 1] ^= 1;
    await client().send(new PutObjectCommand({ Bucket: s3.bucket, Key: `sha256/${h}`, Body: changed }));
    const received: Buffer[] = [];
    const s = await store.open(h, size);
    const err = await new Promise<unknown>((resolve) => {
      s.on("data", (c: Buffer) => received.push(c));
      s.on("error", resolve);
      s.on("end", () => resolve(null));
    });
    expect((err as BlobUnreadableError).reason).to.equal("hash");
    expect(Buffer.concat(received).length).to.be.lessThan(size); // the last chunk never went out
  });

  it("the sweep lists the whole bucket: removes objects no row refers to past the grace, keeps referenced and young ones, and this node's abandoned uploads", async () => {
    const kept = await store.put(Buffer.from("referenced"));
    const orphan = await store.put(Buffer.from("orphan"));
    const many = await Promise.all(Array.from({ length: 30 }, (_, i) => store.put(Buffer.from(`orphan ${i}`))));
    const abandoned = await store.stage(Readable.from([Buffer.from("abandoned upload")]));
    void abandoned; // never committed nor discarded: a node that crashed mid-upload
    const referenced = async (hs: string[]) => new Set(hs.filter((h) => h === kept.sha256));
    const young = await store.sweep(referenced, new Date(Date.now() - 3_600_000));
    expect(young).to.deep.equal({ blobs: 0, temps: 0 }); // all younger than the grace
    const swept = await store.sweep(referenced, new Date(Date.now() + 3_600_000));
    expect(swept).to.deep.equal({ blobs: 1 + many.length, temps: 1 });
    expect(await keys()).to.deep.equal([`sha256/${kept.sha256}`]);
    expect(await store.has(orphan.sha256)).to.equal(false);
  });
});

describe("an appliance on S3 object storage whose store stops answering", () => {
  let app: TestApp;
  let proxy: import("node:net").Server;
  let open = true;

  before(async () => {
    // A TCP relay in front of Swift that the test can cut: the store "goes down" without being stopped.
    const net = await import("node:net");
    const real = new URL(s3Settings().endpoint);
    const port = await freePort();
    const sockets = new Set<import("node:net").Socket>();
    proxy = net.createServer((c) => {
      if (!open) return c.destroy();
      const u = net.connect(Number(real.port), real.hostname);
      sockets.add(c);
      c.pipe(u).pipe(c);
      const end = () => (c.destroy(), u.destroy(), sockets.delete(c));
      c.on("error", end);
      u.on("error", end);
      c.on("close", end);
    });
    await new Promise<void>((r) => proxy.listen(port, "127.0.0.1", r));
    (proxy as any).cut = () => {
      open = false;
      for (const s of sockets) s.destroy();
    };
    app = await startTestApp({ blobs: { store: "s3", s3: { ...s3Settings(), endpoint: `http://127.0.0.1:${port}` } } });
  });
  after(async () => {
    await app.close();
    proxy.close();
  });

  it("a download answers 503 storage_unavailable before any header; an upload is refused whole and leaves no document; both work again when it is back", async () => {
    const seller = await buildOrganization(app, { name: "Seller LLP" });
    const buyer = await buildOrganization(app, { name: "Buyer LLP" });
    const clerk = await buildUser(app, [{ role: "clerk", organizationId: seller.id, branchId: seller.headOfficeId }]);
    const register = (n: string) =>
      clerk.client.upload(
        "/api/v1/documents",
        documentForm(
          { kind: "invoice", recipient: { organizationId: buyer.id }, fields: invoiceFields({ number: n }) },
          { bytes: pdf(n), name: "invoice.pdf", type: "application/pdf" },
        ),
      );
    const first = await register("S3-1");
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    (proxy as any).cut();
    const down = await clerk.client.get(`/api/v1/documents/${first.body.id}/content`);
    expect(down.status).to.equal(503);
    expect(down.body.code).to.equal("storage_unavailable");
    const before = Number((await app.db("documents").count({ n: "*" }))[0].n);
    const refused = await register("S3-2");
    expect(refused.status).to.be.oneOf([500, 503]);
    expect(Number((await app.db("documents").count({ n: "*" }))[0].n)).to.equal(before);
    open = true;
    const back = await clerk.client.get(`/api/v1/documents/${first.body.id}/content`);
    expect(back.status).to.equal(200);
    expect((await register("S3-3")).status).to.equal(201);
  });
});
