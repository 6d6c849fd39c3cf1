// Skeleton: health, readiness, metrics, headers, problems, OpenAPI kept equal to the router.
import { expect } from "chai";
import { startTestApp, type TestApp } from "../support/app.js";
import { toOpenApiPath } from "../../server/http/api.js";

describe("foundation", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    await app.close();
  });

  it("answers /healthz and /readyz with the db and migrations checked", async () => {
    expect((await app.client().get("/healthz")).body).to.deep.equal({ status: "ok" });
    const r = await app.client().get("/readyz");
    expect(r.status).to.equal(200);
    const { audit, cluster, ...rest } = r.body.checks;
    expect(rest).to.deep.equal({ database: { ok: true }, migrations: { ok: true }, mail: { ok: true } });
    // One node here; on PostgreSQL its listener for the other nodes' messages is up.
    expect(cluster).to.deep.equal({ ok: true, node: app.config.cluster.nodeName });
    // Neither HSM nor TSA here: ready for traffic, the audit log's weaker protection said plainly (SPEC R5.7).
    expect(r.body.status).to.equal("degraded");
    expect(audit).to.include({ ok: false, degraded: true });
    expect(audit.detail).to.match(/only tamper-evident against naive edits/);
  });

  it("reports not ready when a migration is pending", async () => {
    await app.db("knex_migrations").where("name", "like", "%create_jobs%").delete();
    try {
      const r = await app.client().get("/readyz");
      expect(r.status).to.equal(503);
      expect(r.body.checks.migrations.detail).to.match(/create_jobs/);
    } finally {
      await app
        .db("knex_migrations")
        .insert({ name: "20261121120700_create_jobs.ts", batch: 1, migration_time: new Date() });
    }
  });

  it("exposes Prometheus metrics that count requests per route", async () => {
    await app.client().get("/healthz");
    const r = await app.client().get("/metrics");
    expect(r.headers.get("content-type")).to.match(/text\/plain/);
    expect(r.body).to.match(/qujat_http_requests_total\{method="GET",route="\/healthz",status="200"\} \d+/);
    expect(r.body).to.match(/qujat_process_resident_memory_bytes/);
    await app.client().get("/healthz");
    const again = await app.client().get("/metrics");
    const count = (body: string) =>
      Number(/qujat_http_requests_total\{method="GET",route="\/healthz",status="200"\} (\d+)/.exec(body)![1]);
    expect(count(again.body)).to.equal(count(r.body) + 1);
  });

  it("sets security headers and echoes a request id", async () => {
    const r = await app.client().req("GET", "/healthz", undefined, { "x-request-id": "test-req-12345" });
    expect(r.headers.get("x-request-id")).to.equal("test-req-12345");
    expect(r.headers.get("x-content-type-options")).to.equal("nosniff");
    expect(r.headers.get("x-frame-options")).to.equal("DENY");
    expect(r.headers.get("content-security-policy")).to.match(/script-src 'self'/);
    expect(r.headers.get("permissions-policy")).to.match(/camera=\(\)/);
    const api = await app.admin.get("/api/v1/me");
    expect(api.headers.get("content-security-policy")).to.equal("default-src 'none'; frame-ancestors 'none'");
    expect(api.headers.get("cache-control")).to.equal("no-store");
    expect(api.headers.get("x-content-type-options")).to.equal("nosniff");
    expect(api.headers.get("content-type")).to.match(/^application\/json/);
    const generated = await app.client().get("/healthz");
    expect(generated.headers.get("x-request-id")).to.match(/^[0-9a-f-]{36}$/);
  });

  it("answers errors as application/problem+json with stable codes", async () => {
    const c = app.client();
    const unknown = await c.get("/api/v1/nothing-here");
    expect(unknown.status).to.equal(404);
    expect(unknown.headers.get("content-type")).to.match(/application\/problem\+json/);
    expect(unknown.body).to.include({ status: 404, code: "not_found", title: "Not Found" });
    const badJson = await app.admin.req("POST", "/api/v1/organizations", "{not json");
    expect(badJson.body).to.include({ status: 400, code: "invalid_json" });
    const unknownKey = await app.admin.post("/api/v1/organizations", {
      name: "X",
      country: "KZ",
      bin: "1",
      color: "red",
    });
    expect(unknownKey.status).to.equal(400);
    expect(unknownKey.body.code).to.equal("validation_failed");
    expect(unknownKey.body.errors.map((e: any) => e.code)).to.include("unrecognized_keys");
    const wrongType = await app.admin.post("/api/v1/organizations", { name: 5, country: "KZ" });
    expect(wrongType.body.code).to.equal("validation_failed");
    const huge = await app.admin.post("/api/v1/organizations", { name: "x".repeat(2_000_000), country: "KZ" });
    expect(huge.status).to.equal(413);
    expect(huge.body.code).to.equal("payload_too_large");
    const badId = await app.admin.get("/api/v1/organizations/not-a-uuid");
    expect(badId.status).to.equal(404);
  });

  it("describes every route in /api/v1/openapi.json, and nothing else", async () => {
    const doc = (await app.client().get("/api/v1/openapi.json")).body;
    expect(doc.openapi).to.equal("3.1.0");
    const documented = new Set<string>();
    for (const [p, ops] of Object.entries<any>(doc.paths))
      for (const m of Object.keys(ops)) documented.add(`${m.toUpperCase()} ${p}`);
    const routed = new Set<string>();
    for (const layer of app.api.layers())
      for (const m of layer.methods) if (m !== "HEAD") routed.add(`${m} ${toOpenApiPath(String(layer.path))}`);
    expect([...routed].sort()).to.deep.equal([...documented].sort());
    expect(
      doc.paths["/api/v1/organizations"].post.requestBody.content["application/json"].schema.additionalProperties,
    ).to.equal(false);
  });

  it("serves the console with its hashed assets and index fallback", async () => {
    const page = await app.client().get("/setup");
    expect(page.status).to.equal(200);
    expect(page.headers.get("content-type")).to.match(/text\/html/);
    const src = /src="(\/assets\/[^"]+\.js)"/.exec(page.body)![1];
    const asset = await app.client().get(src);
    expect(asset.status).to.equal(200);
    expect(asset.headers.get("cache-control")).to.match(/immutable/);
    expect((await app.client().get("/assets/missing.js")).status).to.equal(404);
  });
});
