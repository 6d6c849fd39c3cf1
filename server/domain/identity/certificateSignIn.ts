// Certificate sign-in (SPEC R1.3): the appliance issues a one-time challenge, the browser signs it
// with the user's AUTH certificate (a detached CMS, as NCALayer and the Ukrainian signing widgets
// make), and the signature is checked like a document signature — chain to a trusted CA, validity,
// revocation (OCSP/CRL) — plus the purpose: only an AUTH certificate signs in. The user whose IIN
// the certificate carries is signed in. A challenge is good once, for a short time.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { AppError, UnauthenticatedError, UnavailableError } from "../../errors.js";
import { verifyDetachedCms } from "../../pki/cms.js";
import { isUniqueViolation, type Db, type Tx } from "../../storage/db.js";
import { auditAppender } from "../audit/commands.js";
import { nowIso, type RequestMeta } from "../context.js";
import { assertAcceptable, certificateValidator, type CertificateServices } from "../signatures/validation.js";
import { sessionCreator } from "./sessions.js";
import { installationSecret, sha256 } from "./secrets.js";
import type { Clock } from "../../clock.js";
import type { Config } from "../../config/index.js";
import type { UserRow } from "./queries.js";

interface Deps {
  db: Db;
  clock: Clock;
  config: Config;
  pki: CertificateServices;
}

const challengeSecret = (db: Db) => installationSecret(db, "challenge_hmac");

const challengeInvalid = () =>
  new UnauthenticatedError("challenge_invalid", "The challenge is unknown, expired or already used; ask for a new one");

const mac = (secret: Buffer, body: Buffer) => createHmac("sha256", secret).update(body).digest().subarray(0, 16);

/** A challenge: 16 random bytes and its expiry, authenticated by the installation's secret. Nothing is written. */
export async function challengeIssuer(deps: Deps): Promise<{ challenge: string; expiresAt: string }> {
  const expires = deps.clock.now().getTime() + deps.config.auth.certificateChallengeSeconds * 1000;
  const body = Buffer.alloc(24);
  randomBytes(16).copy(body);
  body.writeBigUInt64BE(BigInt(expires), 16);
  return {
    challenge: Buffer.concat([body, mac(await challengeSecret(deps.db), body)]).toString("base64"),
    expiresAt: new Date(expires).toISOString(),
  };
}

/** The challenge's expiry if it is one of ours and still valid, else null. */
async function challengeExpiry(deps: Deps, nonce: Buffer): Promise<Date | null> {
  if (nonce.length !== 40) return null;
  const body = nonce.subarray(0, 24);
  if (!timingSafeEqual(mac(await challengeSecret(deps.db), body), nonce.subarray(24))) return null;
  const expires = Number(body.readBigUInt64BE(16));
  return expires >= deps.clock.now().getTime() ? new Date(expires) : null;
}

export async function certificateSignIn(deps: Deps, p: { challenge: string; cms: Buffer }, meta: RequestMeta) {
  const fail = async (reason: string, details: Record<string, unknown>, user?: UserRow) => {
    await deps.db.transaction(async (tx) => {
      await tx("login_events").insert({
        user_id: user?.id ?? null,
        login: String(details.iin ?? "certificate").slice(0, 100),
        outcome: "failure",
        reason,
        method: "certificate",
        ip: meta.ip,
        user_agent: meta.userAgent?.slice(0, 500) ?? null,
        at: nowIso(deps),
      });
      await auditAppender(
        tx,
        deps.clock,
        { actor: { type: user ? "user" : "anonymous", id: user?.id ?? null }, ...meta },
        [
          {
            action: "auth.login",
            outcome: "failure",
            target: user ? { type: "user", id: user.id } : null,
            details: { method: "certificate", reason, ...details },
          },
        ],
      );
    });
  };
  let challenge: { nonce: Buffer; expiry: Date };
  try {
    challenge = await validChallenge(deps, p.challenge);
  } catch (err) {
    await fail("challenge_invalid", {});
    throw err;
  }
  const { nonce, expiry } = challenge;
  // The checks that may wait on an OCSP responder run before any transaction.
  let report;
  try {
    report = await authCertificateReport(deps, nonce, p.cms);
  } catch (err) {
    if (err instanceof UnauthenticatedError)
      await fail(String(err.extras.reason), { failures: (err.extras.failures as unknown[]) ?? [] });
    throw err;
  }
  // A Kazakh certificate names the person by IIN, a Ukrainian one by DRFO code (his RNOKPP).
  const { iin, drfo } = report.certificate;
  const user: UserRow | undefined = iin
    ? await deps.db("users").where({ iin }).first()
    : drfo
      ? await deps.db("users").where({ rnokpp: drfo }).first()
      : undefined;
  if (!user) {
    await fail("no_user", { iin: iin ?? drfo, subject: report.certificate.subject });
    throw new UnauthenticatedError(
      "certificate_unknown_user",
      iin || drfo
        ? `No user with ${iin ? "IIN " + iin : "RNOKPP " + drfo} is registered on this appliance`
        : "The certificate carries no IIN or RNOKPP",
    );
  }
  if (user.status !== "active") {
    await fail("account_" + user.status, { iin }, user);
    throw new UnauthenticatedError("account_disabled", "This account is disabled");
  }
  return deps.db.transaction(async (tx) => {
    await challengeSpender(tx, deps, nonce, expiry);
    const created = await sessionCreator(tx, deps, user.id, "certificate", meta);
    await tx("users")
      .where({ id: user.id })
      .update({ last_login_at: nowIso(deps) });
    await tx("login_events").insert({
      user_id: user.id,
      login: user.login,
      session_id: created.session.id,
      outcome: "success",
      reason: null,
      method: "certificate",
      ip: meta.ip,
      user_agent: meta.userAgent?.slice(0, 500) ?? null,
      at: nowIso(deps),
    });
    await auditAppender(tx, deps.clock, { actor: { type: "user", id: user.id }, ...meta }, [
      {
        action: "auth.login",
        target: { type: "session", id: created.session.id },
        details: {
          method: "certificate",
          subject: report.certificate.subject,
          serial: report.certificate.serialNumber,
          issuer: report.certificate.issuer,
          revocation: report.revocation?.evidence?.source ?? null,
        },
      },
    ]);
    return { ...created, user, certificate: report.certificate };
  });
}

/**
 * The AUTH certificate that signed `nonce` (a detached CMS), checked: chain, validity, revocation,
 * purpose. 401 certificate_rejected naming the failed checks; 503 when revocation cannot be told now.
 */
export async function authCertificateReport(deps: Pick<Deps, "clock" | "pki">, nonce: Buffer, cms: Buffer) {
  try {
    const check = await verifyDetachedCms(cms, { sha256: sha256(nonce), read: async () => nonce });
    const report = await certificateValidator(
      deps.pki,
      { cert: check.signerCertificate, der: check.signer.der },
      check.certificates,
      deps.clock.now(),
      "auth",
    );
    assertAcceptable(report);
    return report;
  } catch (err) {
    if (err instanceof UnavailableError) throw err; // revocation unknown now: fail closed, try again
    if (!(err instanceof AppError)) throw err;
    throw new UnauthenticatedError("certificate_rejected", `Certificate sign-in refused: ${err.message}`, {
      ...err.extras,
      reason: err.code,
    });
  }
}

/** A challenge of ours, unexpired (401 challenge_invalid otherwise): its bytes and expiry. */
export async function validChallenge(deps: Deps, challenge: string): Promise<{ nonce: Buffer; expiry: Date }> {
  const nonce = Buffer.from(challenge, "base64");
  const expiry = await challengeExpiry(deps, nonce);
  if (!expiry) throw challengeInvalid();
  return { nonce, expiry };
}

/** Single use: the answered challenge is recorded in the caller's transaction; a second answer conflicts on the key. */
export async function challengeSpender(tx: Tx, deps: { clock: Clock }, nonce: Buffer, expiry: Date) {
  try {
    await tx("auth_challenges").insert({
      nonce_hash: sha256(nonce),
      used_at: deps.clock.now().toISOString(),
      expires_at: expiry.toISOString(),
    });
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    throw challengeInvalid();
  }
}
