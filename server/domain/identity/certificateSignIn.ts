// Certificate sign-in (SPEC R1.3): the appliance issues a one-time challenge, the browser signs it
// with the user's AUTH certificate (a detached CMS, as NCALayer and the Ukrainian signing widgets
// make), and the signature is checked like a document signature — chain to a trusted CA, validity,
// revocation (OCSP/CRL) — plus the purpose: only an AUTH certificate signs in. The user whose IIN
// the certificate carries is signed in. A challenge is good once, for a short time.
import { randomBytes } from "node:crypto";
import { AppError, UnauthenticatedError, UnavailableError } from "../../errors.js";
import { verifyDetachedCms } from "../../pki/cms.js";
import type { Db } from "../../storage/db.js";
import { auditAppender } from "../audit/commands.js";
import { nowIso, type RequestMeta } from "../context.js";
import { assertAcceptable, certificateValidator, type CertificateServices } from "../documents/signatureValidation.js";
import { sessionCreator } from "./auth.js";
import { sha256 } from "./secrets.js";
import type { Clock } from "../../clock.js";
import type { Config } from "../../config/index.js";
import type { UserRow } from "./queries.js";

interface Deps { db: Db; clock: Clock; config: Config; pki: CertificateServices }

export async function challengeIssuer(deps: Deps): Promise<{ challenge: string; expiresAt: string }> {
  const nonce = randomBytes(32);
  const now = deps.clock.now();
  const expiresAt = new Date(now.getTime() + deps.config.auth.certificateChallengeSeconds * 1000).toISOString();
  await deps.db("auth_challenges").where("expires_at", "<", now.toISOString()).delete();
  await deps.db("auth_challenges").insert({ nonce_hash: sha256(nonce), created_at: now.toISOString(), expires_at: expiresAt, used_at: null });
  return { challenge: nonce.toString("base64"), expiresAt };
}

export async function certificateSignIn(deps: Deps, p: { challenge: string; cms: Buffer }, meta: RequestMeta) {
  const nonce = Buffer.from(p.challenge, "base64");
  const fail = async (reason: string, details: Record<string, unknown>, user?: UserRow) => {
    await deps.db.transaction(async (tx) => {
      await tx("login_events").insert({ user_id: user?.id ?? null, login: String(details.iin ?? "certificate").slice(0, 100), outcome: "failure", reason, method: "certificate",
        ip: meta.ip, user_agent: meta.userAgent?.slice(0, 500) ?? null, at: nowIso(deps) });
      await auditAppender(tx, deps.clock, { actor: { type: user ? "user" : "anonymous", id: user?.id ?? null }, ...meta },
        [{ action: "auth.login", outcome: "failure", target: user ? { type: "user", id: user.id } : null, details: { method: "certificate", reason, ...details } }]);
    });
  };
  const challenge = await deps.db("auth_challenges").where({ nonce_hash: sha256(nonce) }).first();
  if (!challenge || challenge.used_at || challenge.expires_at < deps.clock.now().toISOString()) {
    await fail("challenge_invalid", {});
    throw new UnauthenticatedError("challenge_invalid", "The challenge is unknown, expired or already used; ask for a new one");
  }
  // The checks that may wait on an OCSP responder run before any transaction.
  let report;
  try {
    const check = await verifyDetachedCms(p.cms, { sha256: sha256(nonce), read: async () => nonce });
    report = await certificateValidator(deps.pki, { cert: check.signerCertificate, der: check.signer.der }, check.certificates, deps.clock.now(), "auth");
    assertAcceptable(report);
  } catch (err) {
    if (err instanceof UnavailableError) throw err; // revocation unknown now: fail closed, try again
    if (!(err instanceof AppError)) throw err;
    await fail(err.code, { failures: (err.extras.failures as unknown[]) ?? [] });
    throw new UnauthenticatedError("certificate_rejected", `Certificate sign-in refused: ${err.message}`, { reason: err.code, ...err.extras });
  }
  const iin = report.certificate.iin;
  const user: UserRow | undefined = iin ? await deps.db("users").where({ iin }).first() : undefined;
  if (!user) {
    await fail("no_user", { iin, subject: report.certificate.subject });
    throw new UnauthenticatedError("certificate_unknown_user", iin ? `No user with IIN ${iin} is registered on this appliance` : "The certificate carries no IIN");
  }
  if (user.status !== "active") {
    await fail("account_" + user.status, { iin }, user);
    throw new UnauthenticatedError("account_disabled", "This account is disabled");
  }
  return deps.db.transaction(async (tx) => {
    const used = await tx("auth_challenges").where({ nonce_hash: challenge.nonce_hash }).whereNull("used_at").update({ used_at: nowIso(deps) });
    if (used !== 1) throw new UnauthenticatedError("challenge_invalid", "The challenge was used meanwhile; ask for a new one");
    const created = await sessionCreator(tx, deps, user.id, "certificate", meta);
    await tx("users").where({ id: user.id }).update({ last_login_at: nowIso(deps) });
    await tx("login_events").insert({ user_id: user.id, login: user.login, session_id: created.session.id, outcome: "success", reason: null, method: "certificate",
      ip: meta.ip, user_agent: meta.userAgent?.slice(0, 500) ?? null, at: nowIso(deps) });
    await auditAppender(tx, deps.clock, { actor: { type: "user", id: user.id }, ...meta }, [{
      action: "auth.login", target: { type: "session", id: created.session.id },
      details: { method: "certificate", subject: report.certificate.subject, serial: report.certificate.serialNumber, issuer: report.certificate.issuer, revocation: report.revocation?.evidence?.source ?? null },
    }]);
    return { ...created, user, certificate: report.certificate };
  });
}
