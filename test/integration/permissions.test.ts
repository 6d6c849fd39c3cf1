// Each permission: a refused case (404/403, state unchanged, the refusal audited) and an allowed case
// (exactly one audit event with the right actor, target and verb).
import { expect } from "chai";
import { startTestApp, type TestApp } from "../support/app.js";
import {
  auditCount,
  buildBranch,
  buildOrganization,
  buildUser,
  lastAudit,
  type BuiltUser,
} from "../support/factories.js";
import { breakCheckDigit, validBin, validEdrpou } from "../support/ids.js";

describe("permissions", () => {
  let app: TestApp;
  let org: { id: string; headOfficeId: string }, other: { id: string; headOfficeId: string };
  let north: { id: string }, northSub: { id: string }, south: { id: string };
  let orgAdmin: BuiltUser, branchAdmin: BuiltUser, clerk: BuiltUser, compliance: BuiltUser, otherAdmin: BuiltUser;

  before(async () => {
    app = await startTestApp();
    org = await buildOrganization(app, { name: "Head Co" });
    other = await buildOrganization(app, { name: "Other Co" });
    north = await buildBranch(app, org.id, org.headOfficeId, "North");
    northSub = await buildBranch(app, org.id, north.id, "North-1");
    south = await buildBranch(app, org.id, org.headOfficeId, "South");
    orgAdmin = await buildUser(app, [{ role: "org_admin", organizationId: org.id }]);
    branchAdmin = await buildUser(app, [{ role: "org_admin", organizationId: org.id, branchId: north.id }]);
    clerk = await buildUser(app, [{ role: "clerk", organizationId: org.id, branchId: northSub.id }]);
    compliance = await buildUser(app, [{ role: "compliance_officer" }]);
    otherAdmin = await buildUser(app, [{ role: "org_admin", organizationId: other.id }]);
  });
  after(async () => {
    await app.close();
  });

  /** Expects a refusal with `status`, nothing changed in `table`, and one access.denied entry. */
  async function refused(
    p: Promise<{ status: number; body: any }>,
    status: 403 | 404,
    actorId: string,
    table?: string,
  ) {
    const before = await auditCount(app, { action: "access.denied", actor_id: actorId });
    const rowsBefore = table ? JSON.stringify(await app.db(table).orderBy("id")) : "";
    const r = await p;
    expect(r.status, JSON.stringify(r.body)).to.equal(status);
    expect(await auditCount(app, { action: "access.denied", actor_id: actorId })).to.equal(before + 1);
    if (table) expect(JSON.stringify(await app.db(table).orderBy("id"))).to.equal(rowsBefore);
  }

  async function allowed(
    p: () => Promise<{ status: number; body: any }>,
    expectStatus: number,
    actorId: string,
    action: string,
    targetId?: () => string,
  ) {
    const before = await auditCount(app);
    const r = await p();
    expect(r.status, JSON.stringify(r.body)).to.equal(expectStatus);
    expect(await auditCount(app), "exactly one audit entry").to.equal(before + 1);
    const last = await lastAudit(app);
    expect(last).to.include({ actor_id: actorId, action, outcome: "success" });
    if (targetId) expect(last!.target_id).to.equal(targetId());
    return r;
  }

  describe("organizations", () => {
    it("create: refused to an org admin, allowed to a system admin; identifiers validated", async () => {
      await refused(
        orgAdmin.client.post("/api/v1/organizations", { name: "X", country: "KZ", bin: validBin() }),
        403,
        orgAdmin.id,
        "organizations",
      );
      const bad = await app.admin.post("/api/v1/organizations", {
        name: "X",
        country: "KZ",
        bin: breakCheckDigit(validBin()),
      });
      expect(bad.body.code).to.equal("invalid_bin");
      expect(
        (
          await app.admin.post("/api/v1/organizations", {
            name: "X",
            country: "UA",
            edrpou: breakCheckDigit(validEdrpou()),
          })
        ).body.code,
      ).to.equal("invalid_edrpou");
      const bin = validBin();
      let id = "";
      const r = await allowed(
        async () => {
          const x = await app.admin.post("/api/v1/organizations", {
            name: "Counterparty LLP",
            country: "KZ",
            bin,
            external: true,
          });
          id = x.body.id;
          return x;
        },
        201,
        app.admin.userId!,
        "organization.create",
        () => id,
      );
      expect(r.body.external).to.equal(true);
      expect((await app.admin.post("/api/v1/organizations", { name: "Again", country: "KZ", bin })).status).to.equal(
        409,
      );
    });

    it("read: another organization is hidden (404), external counterparties and own are visible", async () => {
      await refused(otherAdmin.client.get(`/api/v1/organizations/${org.id}`), 404, otherAdmin.id);
      expect((await clerk.client.get(`/api/v1/organizations/${org.id}`)).status).to.equal(200);
      const names = (await clerk.client.get("/api/v1/organizations")).body.items.map((o: any) => o.name);
      expect(names).to.include("Head Co").and.include("Counterparty LLP").and.not.include("Other Co");
    });

    it("update: refused to a branch admin (403), allowed to the org-wide admin", async () => {
      await refused(
        branchAdmin.client.patch(`/api/v1/organizations/${org.id}`, { name: "Hacked" }),
        403,
        branchAdmin.id,
        "organizations",
      );
      await allowed(
        () => orgAdmin.client.patch(`/api/v1/organizations/${org.id}`, { name: "Head Co JSC" }),
        200,
        orgAdmin.id,
        "organization.update",
        () => org.id,
      );
    });

    it("block: refused to an org admin, allowed to a system admin with a reason", async () => {
      await refused(
        orgAdmin.client.post(`/api/v1/organizations/${other.id}/block`, { reason: "false data" }),
        404,
        orgAdmin.id,
        "organizations",
      );
      await refused(
        orgAdmin.client.post(`/api/v1/organizations/${org.id}/block`, { reason: "false data" }),
        403,
        orgAdmin.id,
        "organizations",
      );
      const r = await allowed(
        () => app.admin.post(`/api/v1/organizations/${other.id}/block`, { reason: "False registration data" }),
        200,
        app.admin.userId!,
        "organization.block",
        () => other.id,
      );
      expect(r.body).to.include({ status: "blocked", blockReason: "False registration data" });
      expect((await app.admin.post(`/api/v1/organizations/${other.id}/block`, { reason: "again" })).status).to.equal(
        409,
      );
      await allowed(
        () => app.admin.post(`/api/v1/organizations/${other.id}/unblock`),
        200,
        app.admin.userId!,
        "organization.unblock",
      );
    });
  });

  describe("branches", () => {
    it("read: a branch-scoped role sees only its subtree", async () => {
      const tree = (await clerk.client.get(`/api/v1/organizations/${org.id}/branches`)).body.items;
      expect(tree.map((b: any) => b.name)).to.deep.equal(["North-1"]);
      const full = (await orgAdmin.client.get(`/api/v1/organizations/${org.id}/branches`)).body.items;
      expect(full).to.have.length(1);
      expect(full[0].headOffice).to.equal(true);
      expect(full[0].children.map((b: any) => b.name)).to.have.members(["North", "South"]);
    });

    it("create: refused outside the admin's subtree, allowed inside it", async () => {
      await refused(
        branchAdmin.client.post(`/api/v1/organizations/${org.id}/branches`, { name: "S2", parentId: south.id }),
        404,
        branchAdmin.id,
        "branches",
      );
      await refused(
        clerk.client.post(`/api/v1/organizations/${org.id}/branches`, { name: "N2", parentId: northSub.id }),
        403,
        clerk.id,
        "branches",
      );
      let id = "";
      await allowed(
        async () => {
          const r = await branchAdmin.client.post(`/api/v1/organizations/${org.id}/branches`, {
            name: "North-2",
            parentId: north.id,
          });
          id = r.body.id;
          return r;
        },
        201,
        branchAdmin.id,
        "branch.create",
        () => id,
      );
    });

    it("move: refused into a cycle or outside the subtree; allowed within it, paths follow", async () => {
      const leaf = await buildBranch(app, org.id, northSub.id, "North-1-a");
      expect((await orgAdmin.client.patch(`/api/v1/branches/${north.id}`, { parentId: leaf.id })).body.code).to.equal(
        "cycle",
      );
      expect(
        (await orgAdmin.client.patch(`/api/v1/branches/${org.headOfficeId}`, { parentId: north.id })).body.code,
      ).to.equal("head_office_fixed");
      await refused(
        branchAdmin.client.patch(`/api/v1/branches/${northSub.id}`, { parentId: south.id }),
        404,
        branchAdmin.id,
        "branches",
      );
      await allowed(
        () => orgAdmin.client.patch(`/api/v1/branches/${northSub.id}`, { parentId: south.id }),
        200,
        orgAdmin.id,
        "branch.update",
        () => northSub.id,
      );
      const moved = (await app.db("branches").where({ id: leaf.id }).first())!;
      expect(moved.path).to.equal(`/${org.headOfficeId}/${south.id}/${northSub.id}/${leaf.id}/`);
      // the clerk of North-1 now sits under South; the North admin lost it
      expect((await branchAdmin.client.get(`/api/v1/users/${clerk.id}`)).status).to.equal(404);
      await allowed(
        () => orgAdmin.client.patch(`/api/v1/branches/${northSub.id}`, { parentId: north.id }),
        200,
        orgAdmin.id,
        "branch.update",
      );
    });

    it("block: refused to a clerk, allowed to the admin of the subtree", async () => {
      await refused(
        clerk.client.post(`/api/v1/branches/${northSub.id}/block`, { reason: "unpaid" }),
        403,
        clerk.id,
        "branches",
      );
      await allowed(
        () => branchAdmin.client.post(`/api/v1/branches/${northSub.id}/block`, { reason: "Unpaid invoice" }),
        200,
        branchAdmin.id,
        "branch.block",
        () => northSub.id,
      );
      await allowed(
        () => branchAdmin.client.post(`/api/v1/branches/${northSub.id}/unblock`),
        200,
        branchAdmin.id,
        "branch.unblock",
      );
    });
  });

  describe("users and roles", () => {
    it("create: an org admin only inside his subtree; a clerk never", async () => {
      const body = (roles: unknown[]) => ({
        login: `u${Math.random().toString(36).slice(2, 8)}`,
        email: "x@example.kz",
        fullName: "New Person",
        password: "Str0ng!Passw0rd",
        roles,
      });
      await refused(
        clerk.client.post("/api/v1/users", body([{ role: "viewer", organizationId: org.id, branchId: northSub.id }])),
        403,
        clerk.id,
        "users",
      );
      await refused(
        branchAdmin.client.post(
          "/api/v1/users",
          body([{ role: "viewer", organizationId: org.id, branchId: south.id }]),
        ),
        404,
        branchAdmin.id,
        "users",
      );
      await refused(orgAdmin.client.post("/api/v1/users", body([{ role: "system_admin" }])), 403, orgAdmin.id, "users");
      await refused(orgAdmin.client.post("/api/v1/users", body([])), 403, orgAdmin.id, "users");
      const r = await branchAdmin.client.post(
        "/api/v1/users",
        body([{ role: "signer", organizationId: org.id, branchId: northSub.id }]),
      );
      expect(r.status).to.equal(201);
      const entries = await app.db("audit_log").where({ target_id: r.body.id }).orderBy("seq");
      expect(entries.map((e: any) => [e.action, e.actor_id])).to.deep.equal([
        ["user.create", branchAdmin.id],
        ["role.grant", branchAdmin.id],
      ]);
      expect((await app.admin.post("/api/v1/users", { ...body([]), login: clerk.login })).status).to.equal(409);
      expect(
        (await app.admin.post("/api/v1/users", { ...body([]), iin: breakCheckDigit(clerk.iin) })).body.code,
      ).to.equal("invalid_iin");
    });

    it("read: own profile always; others only for their admins and compliance", async () => {
      expect((await clerk.client.get(`/api/v1/users/${clerk.id}`)).status).to.equal(200);
      await refused(clerk.client.get(`/api/v1/users/${orgAdmin.id}`), 404, clerk.id);
      await refused(otherAdmin.client.get(`/api/v1/users/${clerk.id}`), 404, otherAdmin.id);
      expect((await branchAdmin.client.get(`/api/v1/users/${clerk.id}`)).status).to.equal(200);
      expect((await compliance.client.get(`/api/v1/users/${clerk.id}`)).status).to.equal(200);
      const listed = (await branchAdmin.client.get("/api/v1/users")).body.items.map((u: any) => u.login);
      expect(listed).to.include(clerk.login).and.include(branchAdmin.login).and.not.include(orgAdmin.login);
    });

    it("grant/revoke: refused beyond the admin's reach, allowed within; audited", async () => {
      await refused(
        branchAdmin.client.post(`/api/v1/users/${clerk.id}/roles`, {
          role: "viewer",
          organizationId: org.id,
          branchId: south.id,
        }),
        404,
        branchAdmin.id,
        "role_grants",
      );
      await refused(
        branchAdmin.client.post(`/api/v1/users/${clerk.id}/roles`, { role: "compliance_officer" }),
        403,
        branchAdmin.id,
        "role_grants",
      );
      const g = await allowed(
        () =>
          branchAdmin.client.post(`/api/v1/users/${clerk.id}/roles`, {
            role: "signer",
            organizationId: org.id,
            branchId: north.id,
          }),
        201,
        branchAdmin.id,
        "role.grant",
        () => clerk.id,
      );
      // the grant is effective at once
      expect((await clerk.client.get("/api/v1/me")).body.roles.map((r: any) => r.role)).to.include("signer");
      expect(
        (
          await branchAdmin.client.post(`/api/v1/users/${clerk.id}/roles`, {
            role: "signer",
            organizationId: org.id,
            branchId: north.id,
          })
        ).status,
      ).to.equal(409);
      await refused(
        otherAdmin.client.del(`/api/v1/users/${clerk.id}/roles/${g.body.id}`),
        404,
        otherAdmin.id,
        "role_grants",
      );
      await allowed(
        () => branchAdmin.client.del(`/api/v1/users/${clerk.id}/roles/${g.body.id}`),
        204,
        branchAdmin.id,
        "role.revoke",
        () => clerk.id,
      );
      // an organization's admin may appoint other administrators (SPEC R1.2)
      await allowed(
        () =>
          orgAdmin.client.post(`/api/v1/users/${clerk.id}/roles`, {
            role: "org_admin",
            organizationId: org.id,
            branchId: northSub.id,
          }),
        201,
        orgAdmin.id,
        "role.grant",
      );
    });

    it("the last system administrator cannot be removed", async () => {
      const rootGrant = (await app.admin.get("/api/v1/me")).body.roles.find((r: any) => r.role === "system_admin");
      const r = await app.admin.del(`/api/v1/users/${app.admin.userId}/roles/${rootGrant.id}`);
      expect(r.status).to.equal(409);
      expect(r.body.code).to.equal("last_system_admin");
    });

    it("disable: refused for a user with grants elsewhere; allowed within reach and ends his sessions", async () => {
      const twoOrgs = await buildUser(app, [
        { role: "viewer", organizationId: org.id },
        { role: "viewer", organizationId: other.id },
      ]);
      await refused(orgAdmin.client.post(`/api/v1/users/${twoOrgs.id}/disable`, {}), 403, orgAdmin.id, "users");
      const victim = await buildUser(app, [{ role: "viewer", organizationId: org.id, branchId: north.id }]);
      await refused(clerk.client.post(`/api/v1/users/${victim.id}/disable`, {}), 404, clerk.id, "users");
      await allowed(
        () => branchAdmin.client.post(`/api/v1/users/${victim.id}/disable`, { reason: "Dismissed" }),
        200,
        branchAdmin.id,
        "user.disable",
        () => victim.id,
      );
      expect((await victim.client.get("/api/v1/me")).status).to.equal(401);
      expect(
        (await app.client().post("/api/v1/auth/login", { login: victim.login, password: "Str0ng!Passw0rd" })).body.code,
      ).to.equal("account_disabled");
    });

    it("update: an admin can reset a password in reach; the user's sessions end", async () => {
      const u = await buildUser(app, [{ role: "viewer", organizationId: org.id, branchId: northSub.id }]);
      await refused(otherAdmin.client.patch(`/api/v1/users/${u.id}`, { fullName: "X" }), 404, otherAdmin.id, "users");
      await allowed(
        () => branchAdmin.client.patch(`/api/v1/users/${u.id}`, { password: "An0ther!Secret" }),
        200,
        branchAdmin.id,
        "user.update",
        () => u.id,
      );
      expect((await u.client.get("/api/v1/me")).status).to.equal(401);
    });
  });

  describe("API tokens", () => {
    it("manage: refused to a clerk and outside the subtree; allowed to the branch admin", async () => {
      const plainClerk = await buildUser(app, [{ role: "clerk", organizationId: org.id, branchId: northSub.id }]);
      await refused(
        plainClerk.client.post("/api/v1/api-tokens", {
          name: "erp",
          organizationId: org.id,
          branchId: northSub.id,
          role: "clerk",
        }),
        403,
        plainClerk.id,
        "api_tokens",
      );
      await refused(
        branchAdmin.client.post("/api/v1/api-tokens", {
          name: "erp",
          organizationId: org.id,
          branchId: south.id,
          role: "clerk",
        }),
        404,
        branchAdmin.id,
        "api_tokens",
      );
      let id = "";
      await allowed(
        async () => {
          const r = await branchAdmin.client.post("/api/v1/api-tokens", {
            name: "erp",
            organizationId: org.id,
            branchId: north.id,
            role: "accountant",
          });
          id = r.body.id;
          return r;
        },
        201,
        branchAdmin.id,
        "api_token.create",
        () => id,
      );
      await refused(otherAdmin.client.del(`/api/v1/api-tokens/${id}`), 404, otherAdmin.id, "api_tokens");
      await allowed(
        () => branchAdmin.client.del(`/api/v1/api-tokens/${id}`),
        204,
        branchAdmin.id,
        "api_token.revoke",
        () => id,
      );
    });
  });

  describe("audit log and system", () => {
    it("read: refused to a clerk; an org admin sees only his organization; compliance sees all", async () => {
      await refused(clerk.client.get("/api/v1/audit"), 403, clerk.id);
      await refused(branchAdmin.client.get("/api/v1/audit"), 403, branchAdmin.id);
      const own = (await orgAdmin.client.get("/api/v1/audit?limit=1000")).body.items;
      expect(own.length).to.be.greaterThan(0);
      expect(own.every((e: any) => e.organizationId === org.id)).to.equal(true);
      await refused(orgAdmin.client.get(`/api/v1/audit?organizationId=${other.id}`), 403, orgAdmin.id);
      const all = (await compliance.client.get("/api/v1/audit?limit=1000")).body.items;
      expect(all.some((e: any) => e.organizationId === other.id)).to.equal(true);
      const page1 = (await compliance.client.get("/api/v1/audit?limit=5")).body;
      const page2 = (await compliance.client.get(`/api/v1/audit?limit=5&before=${page1.next}`)).body;
      expect(page2.items[0].seq).to.equal(page1.items[4].seq - 1);
    });

    it("verify: refused to an org admin, allowed to compliance, and reports tampering", async () => {
      await refused(orgAdmin.client.get("/api/v1/audit/verify"), 403, orgAdmin.id);
      const ok = await compliance.client.get("/api/v1/audit/verify");
      expect(ok.body).to.include({ ok: true, firstBrokenSeq: null });
      await app.db("audit_log").where({ seq: 3 }).update({ action: "forged.action" });
      const broken = await compliance.client.get("/api/v1/audit/verify");
      expect(broken.body).to.include({ ok: false, firstBrokenSeq: 3, reason: "altered" });
    });

    it("jobs: refused to compliance, listed for a system admin with last run and outcome", async () => {
      await refused(compliance.client.get("/api/v1/system/jobs"), 403, compliance.id);
      const r1 = await app.deps.jobs.runNow("sessions.purge");
      expect(r1.outcome).to.equal("success");
      const jobs = (await app.admin.get("/api/v1/system/jobs")).body.items;
      expect(jobs.find((j: any) => j.name === "sessions.purge")).to.include({
        lastOutcome: "success",
        runCount: 1,
        running: false,
      });
    });
  });
});
