// "Does not exist" and "exists but is not yours" are one answer on every route (SPEC R7.2): the
// same status and the same bytes, so no answer tells an outsider that an id is real. Each route
// with an id is called by another organization's admin and clerk with a random id and with the
// real id of a resource of that kind he may not see, and the two answers are compared byte for byte.
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { startTestApp, type TestApp } from "../support/app.js";
import { buildBranch, buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import { documentForm, invoiceFields, pdf } from "../support/documents.js";

describe("not found is one answer", () => {
  let app: TestApp;
  /** real ids of organization B's resources, by the route parameter's resource */
  const real: Record<string, string> = {};
  let outsiders: BuiltUser[];

  before(async () => {
    app = await startTestApp();
    const a = await buildOrganization(app, { name: "Outsider LLP" });
    const b = await buildOrganization(app, { name: "Owner LLP" });
    const other = await buildOrganization(app, { name: "Counterparty of B" });
    const branch = await buildBranch(app, b.id, b.headOfficeId, "B East");
    const bClerk = await buildUser(app, [{ role: "clerk", organizationId: b.id, branchId: branch.id }]);
    const operator = await buildUser(app, [{ role: "billing_operator" }]);
    const doc = await bClerk.client.upload(
      "/api/v1/documents",
      documentForm(
        { kind: "invoice", recipient: { organizationId: other.id }, fields: invoiceFields({ number: "B-1" }) },
        { bytes: pdf("B's"), name: "b.pdf", type: "application/pdf" },
      ),
    );
    expect(doc.status, JSON.stringify(doc.body)).to.equal(201);
    const token = await app.admin.post("/api/v1/api-tokens", { name: "1C", organizationId: b.id, role: "clerk" });
    const plan = await operator.client.post("/api/v1/billing/plans", {
      code: "nf",
      name: "NF",
      price: "100.00",
      currency: "KZT",
    });
    const sub = await operator.client.post("/api/v1/billing/subscriptions", {
      organizationId: b.id,
      branchId: branch.id,
      planId: plan.body.id,
    });
    expect(sub.status, JSON.stringify(sub.body)).to.equal(201);
    const grants = await app.admin.get(`/api/v1/users/${bClerk.id}`);
    Object.assign(real, {
      organizations: b.id,
      branches: branch.id,
      "billing/branches": branch.id,
      "billing/credit": b.id,
      users: bClerk.id,
      "users:grantId": grants.body.roles?.[0]?.id ?? grants.body.grants?.[0]?.id,
      documents: doc.body.id,
      "documents:fileId": doc.body.content.id,
      "api-tokens": token.body.id,
      "billing/subscriptions": sub.body.id,
      "billing/invoices": sub.body.invoice.id,
      "me/sessions": bClerk.client.sessionId!,
    });
    outsiders = [
      await buildUser(app, [{ role: "org_admin", organizationId: a.id, branchId: a.headOfficeId }]),
      await buildUser(app, [{ role: "head", organizationId: a.id, branchId: a.headOfficeId }]),
      await buildUser(app, [{ role: "clerk", organizationId: a.id, branchId: a.headOfficeId }]),
    ];
  });
  after(() => app.close());

  /** The path with every id filled: B's real ones, or fresh random ones. */
  function fill(path: string, withReal: boolean): string | null {
    const resource = path.replace(/^\/api\/v1\//, "").split("/:")[0];
    let missing = false;
    const filled = path.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
      if (!withReal) return randomUUID();
      const id = name === "id" ? real[resource] : real[`${resource}:${name}`];
      if (!id) missing = true;
      return id ?? randomUUID();
    });
    return missing ? null : filled;
  }

  /**
   * A body the route's schema accepts, so the lookup — not validation — decides the answer: the
   * smallest valid value of each required field (from the schema's JSON Schema form).
   */
  function sampleOf(s: any): unknown {
    if (!s || typeof s !== "object") return undefined;
    if (s.const !== undefined) return s.const;
    if (s.enum) return s.enum[0];
    for (const k of ["anyOf", "oneOf"]) if (s[k]) return sampleOf(s[k].find((x: any) => x.type !== "null") ?? s[k][0]);
    if (s.allOf) return sampleOf(s.allOf[0]);
    const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== "null") : s.type;
    switch (type) {
      case "object": {
        const o: Record<string, unknown> = {};
        for (const k of s.required ?? []) o[k] = sampleOf(s.properties?.[k]);
        return o;
      }
      case "array":
        return Array.from({ length: s.minItems ?? 0 }, () => sampleOf(s.items));
      case "boolean":
        return true;
      case "integer":
      case "number":
        return Math.max(s.minimum ?? 1, s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1);
      case "string": {
        if (s.format === "uuid") return randomUUID();
        if (s.format === "date") return "2026-03-10";
        if (s.format === "date-time") return "2026-03-10T00:00:00Z";
        if (s.format === "email") return "x@example.kz";
        if (s.pattern && /\\d/.test(s.pattern) && /\\./.test(s.pattern)) return "1.00";
        if (s.pattern && /^\^?\\d/.test(s.pattern)) return "1".repeat(s.minLength ?? 1);
        return "x".repeat(Math.max(1, s.minLength ?? 1));
      }
    }
    return undefined;
  }
  const bodyFor = (schema: z.ZodType | undefined) => {
    if (!schema) return {};
    try {
      return sampleOf(z.toJSONSchema(schema, { unrepresentable: "any", io: "input" })) ?? {};
    } catch {
      return {};
    }
  };

  it("every route with an id: the same status and body for a random id and another organization's real one", async () => {
    let compared = 0;
    const differing: string[] = [];
    for (const route of app.api.routes) {
      if (!/:(id|fileId|grantId)\b/.test(route.path) || /:(token|notice|seq|name|version)\b/.test(route.path)) continue;
      const realPath = fill(route.path, true);
      if (!realPath) continue;
      for (const who of outsiders) {
        const send = async (p: string) => {
          const res = await fetch(app.url + p, {
            method: route.method.toUpperCase(),
            headers: {
              authorization: `Bearer ${who.client.token}`,
              ...(route.method === "get" || route.method === "delete" ? {} : { "content-type": "application/json" }),
            },
            body: route.method === "get" || route.method === "delete" ? undefined : JSON.stringify(bodyFor(route.body)),
          });
          return { status: res.status, body: Buffer.from(await res.arrayBuffer()) };
        };
        const hidden = await send(realPath);
        const random = await send(fill(route.path, false)!);
        compared++;
        if (hidden.status !== random.status || !hidden.body.equals(random.body))
          differing.push(
            `${route.method.toUpperCase()} ${route.path} as ${who.login}: real ${hidden.status} ${hidden.body} / random ${random.status} ${random.body}`,
          );
      }
    }
    expect(differing, differing.join("\n")).to.deep.equal([]);
    expect(compared).to.be.greaterThan(60);
  });

  it("a route-level 404 and a hidden one carry the same words", async () => {
    const [admin] = outsiders;
    const hidden = await admin.client.get(`/api/v1/documents/${real.documents}`);
    const missing = await admin.client.get(`/api/v1/users/${randomUUID()}`);
    expect(hidden.status).to.equal(404);
    expect(hidden.body).to.deep.equal(missing.body);
  });
});
