// Certificate sign-in (SPEC R1.3): a challenge signed by `openssl cms -sign` with the user's AUTH
// certificate signs him in; a signing certificate, a revoked, an untrusted or an expired one, a
// certificate of nobody on the appliance, another challenge's signature or a reused challenge do not.
import { expect } from "chai";
import { startTestApp, type TestApp } from "../support/app.js";
import { Client } from "../support/client.js";
import { buildOrganization, buildUser, type BuiltUser } from "../support/factories.js";
import { createTestCa, signerPool, testCa, type SignerOptions } from "../support/pki.js";

describe("certificate sign-in", () => {
  let app: TestApp;
  let user: BuiltUser;
  const keys = signerPool();
  const key = keys.make;

  before(async () => {
    app = await startTestApp();
    const org = await buildOrganization(app, { name: "Cert Sign-in LLP" });
    user = await buildUser(app, [{ role: "clerk", organizationId: org.id, branchId: org.headOfficeId }]);
  });
  after(async () => {
    keys.removeAll();
    await app.close();
  });

  const challenge = async (c: Client) => {
    const r = await c.post("/api/v1/auth/challenge");
    expect(r.status).to.equal(201);
    return r.body.challenge as string;
  };
  const signIn = (c: Client, ch: string, cms: Buffer) =>
    c.post("/api/v1/auth/certificate", { challenge: ch, cms: cms.toString("base64") });

  it("an AUTH certificate with the user's IIN signs him in (session works, login history says certificate, audited)", async () => {
    const c = app.client();
    const ch = await challenge(c);
    const k = key({ iin: user.iin, purpose: "auth", cn: "Cert User" });
    const r = await signIn(c, ch, k.sign(Buffer.from(ch, "base64")));
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    expect(r.body.user.id).to.equal(user.id);
    expect(r.body.certificate.subject).to.match(/CN=Cert User/);
    c.token = r.body.token;
    const me = await c.get("/api/v1/me");
    expect(me.status).to.equal(200);
    expect(me.body.user?.id ?? me.body.id).to.equal(user.id);
    const ev = await app.db("login_events").where({ user_id: user.id, outcome: "success", method: "certificate" });
    expect(ev).to.have.length(1);
    const audited = (await app
      .db("audit_log")
      .where({ action: "auth.login", actor_id: user.id })
      .orderBy("seq", "desc")
      .first())!;
    expect(JSON.parse(audited.details)).to.include({ method: "certificate", revocation: "ocsp" });
    // The same challenge cannot be used twice.
    const again = await signIn(app.client(), ch, k.sign(Buffer.from(ch, "base64")));
    expect(again.status).to.equal(401);
    expect(again.body.code).to.equal("challenge_invalid");
  });

  const refusals: Array<[string, () => SignerOptions, string]> = [
    ["a signing (not AUTH) certificate", () => ({ iin: user.iin }), "certificate_purpose"],
    [
      "a certificate of an untrusted CA",
      () => ({ iin: user.iin, purpose: "auth", ca: createTestCa("Stranger Auth CA") }),
      "chain_trusted",
    ],
    [
      "an expired certificate",
      () => ({ iin: user.iin, purpose: "auth", validFrom: "2020-01-01T00:00:00", validTo: "2025-01-01T00:00:00" }),
      "certificate_valid",
    ],
  ];
  for (const [what, options, check] of refusals) {
    it(`refuses ${what}: 401 naming ${check}`, async () => {
      const c = app.client();
      const ch = await challenge(c);
      const r = await signIn(c, ch, key(options()).sign(Buffer.from(ch, "base64")));
      expect(r.status, JSON.stringify(r.body)).to.equal(401);
      expect(r.body.code).to.equal("certificate_rejected");
      expect(r.body.failures.map((f: { check: string }) => f.check)).to.include(check);
      expect(r.body.token).to.equal(undefined);
    });
  }

  it("refuses a revoked AUTH certificate (OpenSSL's OCSP responder says so)", async () => {
    const k = key({ iin: user.iin, purpose: "auth" });
    testCa().revoke(k, "keyCompromise");
    const c = app.client();
    const ch = await challenge(c);
    const r = await signIn(c, ch, k.sign(Buffer.from(ch, "base64")));
    expect(r.status).to.equal(401);
    expect(r.body.failures.map((f: { check: string }) => f.check)).to.deep.equal(["revocation"]);
  });

  it("refuses a valid AUTH certificate of someone not registered, a signature over other bytes, and an unknown challenge", async () => {
    const c = app.client();
    const ch = await challenge(c);
    const stranger = await signIn(c, ch, key({ iin: "880101300123", purpose: "auth" }).sign(Buffer.from(ch, "base64")));
    expect(stranger.status).to.equal(401);
    expect(stranger.body.code).to.equal("certificate_unknown_user");
    const ch2 = await challenge(c);
    const other = await signIn(c, ch2, key({ iin: user.iin, purpose: "auth" }).sign(Buffer.from("not the challenge")));
    expect(other.status).to.equal(401);
    expect(other.body.reason).to.equal("digest_mismatch");
    const unknown = await signIn(
      c,
      Buffer.alloc(32, 7).toString("base64"),
      key({ iin: user.iin, purpose: "auth" }).sign(Buffer.alloc(32, 7)),
    );
    expect(unknown.body.code).to.equal("challenge_invalid");
    const garbage = await c.post("/api/v1/auth/certificate", {
      challenge: ch2,
      cms: Buffer.from("garbage garbage garbage").toString("base64"),
    });
    expect(garbage.status).to.equal(401);
    expect(garbage.body.reason).to.equal("cms_malformed");
  });

  it("an expired challenge is refused", async () => {
    const c = app.client();
    const ch = await challenge(c);
    app.clock.advance(app.config.auth.certificateChallengeSeconds * 1000 + 1000);
    const r = await signIn(c, ch, key({ iin: user.iin, purpose: "auth" }).sign(Buffer.from(ch, "base64")));
    expect(r.status).to.equal(401);
    expect(r.body.code).to.equal("challenge_invalid");
  });
});
