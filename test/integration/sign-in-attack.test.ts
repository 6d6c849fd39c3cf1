// Sign-in under attack (SPEC R1.3, R1.4): behind a reverse proxy every attempt comes from the
// proxy's side of the network; a flood of failures from one address, or against one account,
// must not lock out a browser that signed in there before (OWASP device cookies), and the client's
// address is read from the right of the proxy's header, where the client cannot write it.
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { PASSWORD, startTestApp, type TestApp } from "../support/app.js";
import { buildUser, type BuiltUser } from "../support/factories.js";

/** What the reverse proxy in front appends: the client's claims, then the address it saw. */
const viaProxy = (seen: string, claimed?: string) => ({
  "x-forwarded-for": claimed ? `${claimed}, ${seen}` : seen,
});

describe("sign-in under attack", () => {
  let app: TestApp;
  let admin: BuiltUser;

  before(async () => {
    app = await startTestApp({ server: { trustProxy: true } });
    admin = await buildUser(app, [{ role: "system_admin" }]);
  });
  after(() => app.close());

  async function login(login: string, password: string, headers: Record<string, string> = {}, device?: string) {
    const res = await fetch(`${app.url}/api/v1/auth/login`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...headers,
        ...(device ? { cookie: `qujat_device=${device}` } : {}),
      },
      body: JSON.stringify({ login, password }),
    });
    const cookie = res.headers
      .getSetCookie()
      .map((c) => /^qujat_device=([^;]*)/.exec(c)?.[1])
      .find(Boolean);
    await res.arrayBuffer();
    return { status: res.status, device: cookie, retryAfter: res.headers.get("retry-after") };
  }

  it("a flood of random logins from the shared address: the admin's known browser still signs in, an unknown one waits", async () => {
    const proxy = "10.0.0.1";
    const first = await login(admin.login, PASSWORD, viaProxy(proxy));
    expect(first.status).to.equal(200);
    expect(first.device).to.match(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{32}$/);
    for (let i = 0; i < 25; i++) await login(`nobody-${randomUUID()}`, "Wrong!1aa", viaProxy(proxy));
    expect((await login(admin.login, PASSWORD, viaProxy(proxy))).status).to.equal(429);
    const known = await login(admin.login, PASSWORD, viaProxy(proxy), first.device);
    expect(known.status).to.equal(200);
    expect(known.device).to.be.a("string").and.not.equal(first.device); // renewed with each sign-in
  });

  it("thirty wrong passwords at once for one account are thirty failures (one atomic count, taken before the password hash)", async () => {
    const u = await buildUser(app, []);
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => login(u.login, "Wrong!1aa", viaProxy(`10.7.${i}.1`))),
    );
    // Each was counted; those that raced past the free ones are still counted, never lost.
    expect(answers.every((a) => a.status === 401 || a.status === 429)).to.equal(true);
    const row = await app
      .db("login_throttle")
      .where({ key: `account:${u.login.toLowerCase()}` })
      .first();
    expect(Number(row.failures)).to.equal(30);
    // The right password now waits like any other attempt.
    expect((await login(u.login, PASSWORD, viaProxy("10.7.99.1"))).status).to.equal(429);
  });

  it("a right password gives its reservation back: the address's count is what failed, not what was tried", async () => {
    const u = await buildUser(app, []);
    for (let i = 0; i < 3; i++) expect((await login(u.login, PASSWORD, viaProxy("10.6.0.1"))).status).to.equal(200);
    expect((await login(u.login, "Wrong!1aa", viaProxy("10.6.0.1"))).status).to.equal(401);
    const row = await app.db("login_throttle").where({ key: "ip:10.6.0.1" }).first();
    expect(Number(row.failures)).to.equal(1);
  });

  it("a flood against the admin's own login: his known browser signs in; the attacker stays throttled", async () => {
    const u = await buildUser(app, [{ role: "system_admin" }]);
    const { device } = await login(u.login, PASSWORD, viaProxy("10.0.1.1"));
    for (let i = 0; i < 8; i++) await login(u.login, "Wrong!1aa", viaProxy(`10.9.${i}.1`));
    expect((await login(u.login, PASSWORD, viaProxy("10.0.1.2"))).status).to.equal(429);
    expect((await login(u.login, PASSWORD, viaProxy("10.0.1.1"), device)).status).to.equal(200);
  });

  it("a device cookie is the device's own: failures through it lock out only it; forged or another login's cookie counts as unknown", async () => {
    const u = await buildUser(app, []);
    const other = await buildUser(app, []);
    const mine = (await login(u.login, PASSWORD, viaProxy("10.0.2.1"))).device!;
    const theirs = (await login(other.login, PASSWORD, viaProxy("10.0.2.1"))).device!;
    for (let i = 0; i < 5; i++)
      expect((await login(u.login, "Wrong!1aa", viaProxy("10.0.2.1"), mine)).status).to.equal(401);
    const locked = await login(u.login, PASSWORD, viaProxy("10.0.2.1"), mine);
    expect(locked.status).to.equal(429);
    expect(Number(locked.retryAfter)).to.be.greaterThan(0);
    // The account itself was not touched by the device's failures: a new browser signs in.
    const fresh = await login(u.login, PASSWORD, viaProxy("10.0.2.2"));
    expect(fresh.status).to.equal(200);
    // Another login's cookie, or a forged one, earns nothing: counted against the account.
    const forged = `${mine.split(".")[0]}.${"A".repeat(32)}`;
    for (let i = 0; i < 5; i++)
      expect((await login(u.login, "Wrong!1aa", viaProxy(`10.0.3.${i}`), i % 2 ? theirs : forged)).status).to.equal(
        401,
      );
    expect((await login(u.login, PASSWORD, viaProxy("10.0.3.9"), theirs)).status).to.equal(429);
    expect((await login(u.login, PASSWORD, viaProxy("10.0.3.9"), fresh.device)).status).to.equal(200);
  });

  it("the client's address is read from the right of the proxy's header: what the client writes there changes nothing", async () => {
    for (let i = 0; i < 20; i++)
      expect(
        (await login(`nobody-${randomUUID()}`, "Wrong!1aa", viaProxy("10.0.4.1", `203.0.113.${i}`))).status,
      ).to.equal(401);
    expect((await login(`nobody-${randomUUID()}`, "Wrong!1aa", viaProxy("10.0.4.1", "198.51.100.7"))).status).to.equal(
      429,
    );
    const rows: Array<{ ip: string }> = await app
      .db("login_events")
      .where("login", "like", "nobody-%")
      .orderBy("id", "desc")
      .limit(3)
      .select("ip");
    expect(rows.map((r) => r.ip)).to.deep.equal(["10.0.4.1", "10.0.4.1", "10.0.4.1"]);
  });
});

describe("a short idle limit", () => {
  let app: TestApp;
  before(async () => {
    app = await startTestApp({ auth: { sessionIdleMinutes: 1 } });
  });
  after(() => app.close());

  it("a session used every 18 seconds lives on; one left alone for a minute ends (SPEC R1.3)", async () => {
    const u = await buildUser(app, []);
    for (let i = 0; i < 12; i++) {
      app.clock.advance(18_000);
      expect((await u.client.get("/api/v1/me")).status, `after ${(i + 1) * 18} s`).to.equal(200);
    }
    app.clock.advance(61_000);
    expect((await u.client.get("/api/v1/me")).status).to.equal(401);
  });
});
