// Factories with overrides: organizations, branches, users with roles, each created over the API.
import { expect } from "chai";
import type { Client } from "./client.js";
import { PASSWORD, type TestApp } from "./app.js";
import { validBin, validEdrpou, validIin, validRnokpp } from "./ids.js";

let n = 0;

export async function buildOrganization(
  app: TestApp,
  o: Partial<{
    name: string;
    country: "KZ" | "UA";
    external: boolean;
    totpRequired: boolean;
    kind: "legal_entity" | "sole_proprietor" | "individual";
    /** the person's own identifier for a sole proprietor or an individual (IIN in KZ, RNOKPP in UA) */
    personalId: string;
  }> = {},
) {
  const country = o.country ?? "KZ";
  const kind = o.kind ?? "legal_entity";
  const r = await app.admin.post("/api/v1/organizations", {
    name: o.name ?? `Org ${++n}`,
    country,
    ...(kind !== "legal_entity" ? { kind } : {}),
    ...(country === "KZ"
      ? { bin: kind === "legal_entity" ? validBin() : (o.personalId ?? validIin()) }
      : kind === "legal_entity"
        ? { edrpou: validEdrpou() }
        : { rnokpp: o.personalId ?? validRnokpp() }),
    ...(o.external !== undefined ? { external: o.external } : {}),
    ...(o.totpRequired !== undefined ? { totpRequired: o.totpRequired } : {}),
  });
  expect(r.status, JSON.stringify(r.body)).to.equal(201);
  return r.body as {
    id: string;
    headOfficeId: string;
    name: string;
    bin: string;
    edrpou: string | null;
    rnokpp: string | null;
    kind: string;
  };
}

export async function buildBranch(app: TestApp, orgId: string, parentId: string, name = `Branch ${++n}`) {
  const r = await app.admin.post(`/api/v1/organizations/${orgId}/branches`, { name, parentId });
  expect(r.status, JSON.stringify(r.body)).to.equal(201);
  return r.body as { id: string; name: string };
}

export interface BuiltUser {
  id: string;
  login: string;
  /** his IIN, or for a Ukrainian user (ids.rnokpp) his RNOKPP */
  iin: string;
  client: Client;
}

/** Creates a user with the given roles (as `by`, default the system admin) and signs him in. */
export async function buildUser(
  app: TestApp,
  roles: Array<{ role: string; organizationId?: string; branchId?: string }>,
  by?: Client,
  ids: { iin?: string; rnokpp?: string } = {},
): Promise<BuiltUser> {
  const login = `user${++n}_${Math.random().toString(36).slice(2, 6)}`;
  const iin = ids.rnokpp ?? ids.iin ?? validIin();
  const r = await (by ?? app.admin).post("/api/v1/users", {
    login,
    email: `${login}@example.kz`,
    fullName: `User ${n}`,
    ...(ids.rnokpp ? { rnokpp: ids.rnokpp } : { iin }),
    password: PASSWORD,
    roles,
  });
  expect(r.status, JSON.stringify(r.body)).to.equal(201);
  const client = app.client();
  await client.login(login, PASSWORD);
  return { id: r.body.id, login, iin, client };
}

export async function auditCount(app: TestApp, where: Record<string, unknown> = {}) {
  const row = await app.db("audit_log").where(where).count({ c: "*" }).first();
  return Number(row!.c);
}

export async function lastAudit(app: TestApp) {
  return app.db("audit_log").orderBy("seq", "desc").first();
}
