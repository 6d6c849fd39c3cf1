// Setup, sign-in, throttling, TOTP, sessions, CSRF, API tokens, CLI admin:create.
import { expect } from "chai";
import { execFile } from "node:child_process";
import path from "node:path";
import { setupTokenIssuer } from "../../server/domain/identity/setup.js";
import { totpCode } from "../../server/domain/identity/secrets.js";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { auditCount, buildOrganization, buildUser } from "../support/factories.js";

describe("sign-in and sessions", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp();
  });
  after(async () => {
    await app.close();
  });
  afterEach(async () => {
    await app.db("login_throttle").delete();
  });

  it("first-run setup: a one-time link creates the first administrator only while none exists", async () => {
    const fresh = await startTestApp();
    try {
      // the factory made an admin already: remove him to simulate a fresh appliance
      await fresh.db("role_grants").where({ role: "system_admin" }).delete();
      const c = fresh.client();
      expect((await c.get("/api/v1/setup")).body).to.deep.equal({ required: true });
      const token = (await setupTokenIssuer(fresh.deps))!;
      const bad = await c.post("/api/v1/setup", {
        token: "x".repeat(43),
        login: "boss",
        email: "b@example.kz",
        fullName: "Boss",
        password: PASSWORD,
      });
      expect(bad.status).to.equal(403);
      expect(bad.body.code).to.equal("setup_token_invalid");
      const weak = await c.post("/api/v1/setup", {
        token,
        login: "boss",
        email: "b@example.kz",
        fullName: "Boss",
        password: "weak",
      });
      expect(weak.status).to.equal(400);
      expect(weak.body.rules).to.include("too_short");
      c.useCookies = true;
      const ok = await c.post("/api/v1/setup", {
        token,
        login: "boss",
        email: "b@example.kz",
        fullName: "Boss",
        password: PASSWORD,
      });
      expect(ok.status).to.equal(201);
      expect(ok.body.user.roles.map((r: any) => r.role)).to.deep.equal(["system_admin"]);
      c.csrf = ok.body.csrfToken;
      expect((await c.get("/api/v1/me")).body.login).to.equal("boss");
      const again = await fresh
        .client()
        .post("/api/v1/setup", { token, login: "boss2", email: "b@example.kz", fullName: "Boss", password: PASSWORD });
      expect(again.status).to.equal(409);
      expect((await fresh.client().get("/api/v1/setup")).body.required).to.equal(false);
      expect(await setupTokenIssuer(fresh.deps)).to.equal(null);
    } finally {
      await fresh.close();
    }
  });

  it("signs in by login or IIN; wrong passwords are refused, recorded and audited", async () => {
    const u = await buildUser(app, []);
    const c = app.client();
    const before = await auditCount(app, { action: "auth.login", outcome: "failure" });
    const bad = await c.post("/api/v1/auth/login", { login: u.login, password: "Wrong!Passw0rd" });
    expect(bad.status).to.equal(401);
    expect(bad.body.code).to.equal("invalid_credentials");
    const nobody = await c.post("/api/v1/auth/login", { login: "nobody-here", password: "Wrong!Passw0rd" });
    expect(nobody.body.code).to.equal("invalid_credentials");
    expect(await auditCount(app, { action: "auth.login", outcome: "failure" })).to.equal(before + 2);
    await c.login(u.iin, PASSWORD);
    const history = (await c.get("/api/v1/me/login-history")).body.items;
    expect(history.map((h: any) => h.outcome)).to.deep.equal(["success", "failure", "success"]); // newest first; the factory signed in first
  });

  it("throttles after 5 failures with exponential delays and Retry-After (SPEC R1.4)", async () => {
    const u = await buildUser(app, []);
    const c = app.client();
    for (let i = 0; i < 5; i++)
      expect((await c.post("/api/v1/auth/login", { login: u.login, password: "Wrong!1aa" })).status).to.equal(401);
    const t1 = await c.post("/api/v1/auth/login", { login: u.login, password: PASSWORD });
    expect(t1.status).to.equal(429);
    expect(t1.headers.get("retry-after")).to.equal("1");
    // The refused attempt counted too (6) without moving the start of the wait: 2^(6-5) s.
    app.clock.advance(2_500);
    expect((await c.post("/api/v1/auth/login", { login: u.login, password: "Wrong!1aa" })).status).to.equal(401);
    const t2 = await c.post("/api/v1/auth/login", { login: u.login, password: PASSWORD });
    expect(t2.status).to.equal(429);
    expect(t2.headers.get("retry-after")).to.equal("4"); // 7 failures: 2^(7-5) s
    app.clock.advance(8_500); // and the refusal made them 8
    expect((await c.post("/api/v1/auth/login", { login: u.login, password: PASSWORD })).status).to.equal(200);
    // success resets the account counter
    expect((await c.post("/api/v1/auth/login", { login: u.login, password: "Wrong!1aa" })).status).to.equal(401);
    expect((await c.post("/api/v1/auth/login", { login: u.login, password: PASSWORD })).status).to.equal(200);
  });

  it("enrols TOTP, then requires it, accepts a recovery code once", async () => {
    const u = await buildUser(app, []);
    const enrol = await u.client.post("/api/v1/me/totp/enrol");
    expect(enrol.body.otpauthUri).to.match(/^otpauth:\/\/totp\//);
    const wrong = await u.client.post("/api/v1/me/totp/confirm", { code: "000000" });
    expect(wrong.body.code).to.equal("invalid_totp");
    const ok = await u.client.post("/api/v1/me/totp/confirm", {
      code: await totpCode(enrol.body.secret, app.clock.now()),
    });
    expect(ok.body.recoveryCodes).to.have.length(10);
    const c = app.client();
    const needs = await c.post("/api/v1/auth/login", { login: u.login, password: PASSWORD });
    expect(needs.status).to.equal(401);
    expect(needs.body.code).to.equal("totp_required");
    expect(
      (await c.post("/api/v1/auth/login", { login: u.login, password: PASSWORD, totp: "123456" })).body.code,
    ).to.equal("invalid_totp");
    await c.login(u.login, PASSWORD, { totp: await totpCode(enrol.body.secret, app.clock.now()) });
    await app.client().login(u.login, PASSWORD, { recoveryCode: ok.body.recoveryCodes[0] });
    const reuse = await app
      .client()
      .post("/api/v1/auth/login", { login: u.login, password: PASSWORD, recoveryCode: ok.body.recoveryCodes[0] });
    expect(reuse.body.code).to.equal("invalid_recovery_code");
  });

  it("an organization can make TOTP mandatory: until enrolled, only enrolment is reachable", async () => {
    const org = await buildOrganization(app, { totpRequired: true });
    const u = await buildUser(app, [{ role: "clerk", organizationId: org.id }]);
    const me = await u.client.get("/api/v1/me");
    expect(me.body.totpEnrolmentRequired).to.equal(true);
    const blocked = await u.client.get(`/api/v1/organizations/${org.id}`);
    expect(blocked.status).to.equal(403);
    expect(blocked.body.code).to.equal("totp_enrolment_required");
    const enrol = await u.client.post("/api/v1/me/totp/enrol");
    await u.client.post("/api/v1/me/totp/confirm", { code: await totpCode(enrol.body.secret, app.clock.now()) });
    expect((await u.client.get(`/api/v1/organizations/${org.id}`)).status).to.equal(200);
    const off = await u.client.post("/api/v1/me/totp/disable", {
      password: PASSWORD,
      code: await totpCode(enrol.body.secret, app.clock.now()),
    });
    expect(off.status).to.equal(403);
    expect(off.body.code).to.equal("totp_mandatory");
  });

  it("expires sessions when idle and absolutely", async () => {
    const u = await buildUser(app, []);
    app.clock.advance(29 * 60_000);
    expect((await u.client.get("/api/v1/me")).status).to.equal(200);
    app.clock.advance(29 * 60_000); // idle clock restarted by the last use
    expect((await u.client.get("/api/v1/me")).status).to.equal(200);
    app.clock.advance(31 * 60_000);
    expect((await u.client.get("/api/v1/me")).status).to.equal(401);
    await app.admin.login("root", PASSWORD);
    const v = await buildUser(app, []);
    for (let i = 0; i < 26; i++) {
      app.clock.advance(29 * 60_000);
      await v.client.get("/api/v1/me");
    }
    expect((await v.client.get("/api/v1/me")).status).to.equal(401); // past 12 h
    await app.admin.login("root", PASSWORD);
  });

  it("lists own sessions; reporting one as not mine revokes and flags it", async () => {
    const u = await buildUser(app, []);
    const other = app.client();
    await other.login(u.login, PASSWORD);
    const list = (await u.client.get("/api/v1/me/sessions")).body.items;
    expect(list).to.have.length(2);
    expect(list.filter((s: any) => s.current)).to.have.length(1);
    const before = await auditCount(app, { action: "session.report_not_me" });
    const r = await u.client.post(`/api/v1/me/sessions/${other.sessionId}/not-me`);
    expect(r.body).to.include({ reportedNotMe: true, revokedReason: "reported_not_me" });
    expect((await other.get("/api/v1/me")).status).to.equal(401);
    expect(await auditCount(app, { action: "session.report_not_me" })).to.equal(before + 1);
    // someone else's session id is not found
    const stranger = await buildUser(app, []);
    expect((await stranger.client.del(`/api/v1/me/sessions/${u.client.sessionId}`)).status).to.equal(404);
  });

  it("changing the password ends other sessions and refuses the last 5 passwords", async () => {
    const u = await buildUser(app, []);
    const other = app.client();
    await other.login(u.login, PASSWORD);
    const wrongCurrent = await u.client.post("/api/v1/me/password", {
      currentPassword: "Nope!1234",
      newPassword: "N3w!Password",
    });
    expect(wrongCurrent.body.code).to.equal("wrong_current_password");
    const reuse = await u.client.post("/api/v1/me/password", { currentPassword: PASSWORD, newPassword: PASSWORD });
    expect(reuse.body.rules).to.include("recently_used");
    expect(
      (await u.client.post("/api/v1/me/password", { currentPassword: PASSWORD, newPassword: "N3w!Password" })).status,
    ).to.equal(204);
    expect((await other.get("/api/v1/me")).status).to.equal(401);
    expect((await u.client.get("/api/v1/me")).status).to.equal(200);
    const login = await u.client.post("/api/v1/auth/login", { login: u.login, password: u.login });
    expect(login.status).to.equal(401);
  });

  it("cookie sessions need the CSRF header for writes; the cookie is HttpOnly and SameSite=Strict", async () => {
    const u = await buildUser(app, []);
    const c = app.client();
    c.useCookies = true;
    const r = await c.post("/api/v1/auth/login", { login: u.login, password: PASSWORD });
    const setCookie = r.headers.getSetCookie().find((x) => x.startsWith("qujat_session="))!;
    expect(setCookie)
      .to.match(/httponly/i)
      .and.match(/samesite=strict/i);
    c.csrf = r.body.csrfToken;
    expect((await c.get("/api/v1/me")).status).to.equal(200);
    const without = await c.req("PATCH", "/api/v1/me", { fullName: "X" }, { "x-csrf-token": "forged" });
    expect(without.status).to.equal(403);
    expect(without.body.code).to.equal("csrf_failed");
    expect((await c.patch("/api/v1/me", { fullName: "Corrected Name" })).body.fullName).to.equal("Corrected Name");
    expect((await c.post("/api/v1/auth/logout")).status).to.equal(204);
    expect((await c.get("/api/v1/me")).status).to.equal(401);
  });

  it("API tokens: shown once, stored hashed, scoped, revocable", async () => {
    const org = await buildOrganization(app);
    const t = await app.admin.post("/api/v1/api-tokens", { name: "1C", organizationId: org.id, role: "clerk" });
    expect(t.status).to.equal(201);
    expect(t.body.token).to.match(/^qjt_/);
    const stored = await app.db("api_tokens").where({ id: t.body.id }).first();
    expect(stored.token_hash).to.not.equal(t.body.token);
    expect(JSON.stringify(await app.db("api_tokens"))).to.not.include(t.body.token);
    const list = await app.admin.get(`/api/v1/organizations/${org.id}/api-tokens`);
    expect(list.body.items[0]).to.not.have.property("token");
    const erp = app.client();
    erp.token = t.body.token;
    expect((await erp.get(`/api/v1/organizations/${org.id}`)).status).to.equal(200);
    expect((await erp.get("/api/v1/me")).body.code).to.equal("user_only");
    const other = await buildOrganization(app);
    expect((await erp.get(`/api/v1/organizations/${other.id}`)).status).to.equal(404);
    expect(
      (await app.admin.post("/api/v1/api-tokens", { name: "x", organizationId: org.id, role: "org_admin" })).status,
    ).to.equal(400);
    expect((await app.admin.del(`/api/v1/api-tokens/${t.body.id}`)).status).to.equal(204);
    expect((await erp.get(`/api/v1/organizations/${org.id}`)).status).to.equal(401);
  });

  it("npx qujat admin:create reads the password from stdin", async function () {
    this.timeout(60_000);
    const env = {
      ...process.env,
      NODE_ENV: "test",
      QUJAT_DATA_DIR: app.dataDir,
      QUJAT_DATABASE_URL: app.config.database.url,
    };
    const cli = path.resolve("scripts/qujat.mjs");
    const run = (args: string[], input: string) =>
      new Promise<{ code: number; out: string; err: string }>((resolve) => {
        const p = execFile("node", [cli, ...args], { env }, (e, out, err) =>
          resolve({ code: e ? (e as any).code : 0, out, err }),
        );
        p.stdin!.end(input);
      });
    const weak = await run(["admin:create", "--login", "shelladmin", "--email", "s@example.kz"], "weak\n");
    expect(weak.code).to.equal(1);
    expect(weak.err).to.match(/password_policy/);
    const ok = await run(["admin:create", "--login", "shelladmin", "--email", "s@example.kz"], PASSWORD + "\n");
    expect(ok.code, ok.err).to.equal(0);
    expect(ok.out).to.match(/system administrator shelladmin created/);
    await app.client().login("shelladmin", PASSWORD);
    const dup = await run(["admin:create", "--login", "shelladmin", "--email", "s@example.kz"], PASSWORD + "\n");
    expect(dup.code).to.equal(1);
    expect(dup.err).to.match(/login_taken/);
    const usage = await run(["admin:create"], "");
    expect(usage.code).to.equal(2);
  });
});
