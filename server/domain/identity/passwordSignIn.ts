// Password sign-in (SPEC R1.3, R1.4, R1.8): by login or IIN, throttled, with TOTP or a recovery code
// where required (by the user or his organization), every attempt recorded in the login history.

import { ThrottledError, UnauthenticatedError } from "../../errors.js";
import type { Tx } from "../../storage/db.js";
import { auditAppender } from "../audit/commands.js";
import { nowIso, type RequestMeta } from "../context.js";

import { userByLoginOrIin, type UserRow } from "./queries.js";

import { normalizeRecoveryCode, sha256, totpValid, verifyDummy, verifyPassword } from "./secrets.js";
import { accountKey, ipKey, releaseAttempt, reserveAttempt, throttleState } from "./throttle.js";
import { deviceCookieFor, deviceKey, trustedDevice } from "./deviceCookies.js";
import { AuthDeps, sessionCreator } from "./sessions.js";
export async function totpRequiredByOrganization(tx: Tx, userId: string): Promise<boolean> {
  const row = await tx("role_grants as g")
    .join("organizations as o", "o.id", "g.organization_id")
    .where({ "g.user_id": userId, "o.totp_required": true })
    .first("o.id");
  return Boolean(row);
}

export interface SignInProps {
  login: string;
  /** the browser's device cookie, when it has one */
  deviceCookie?: string | null;
  password: string;
  totp?: string;
  recoveryCode?: string;
}

/**
 * Password (+ TOTP) sign-in. Failures are committed (login history, throttle counters, audit)
 * before the error is thrown, so nothing about a refused attempt is lost.
 */
export async function passwordSignIn(deps: AuthDeps, p: SignInProps, meta: RequestMeta) {
  const { db, clock, config } = deps;
  const cfg = config.auth.throttle;
  // A device that signed in as this login before is throttled on its own; unknown devices per
  // account and per address (see deviceCookies.ts).
  const device = await trustedDevice(db, p.login, p.deviceCookie);
  const keys = device ? [deviceKey(device)] : [accountKey(p.login), ipKey(meta.ip)];
  // The failure itself was counted when the attempt was reserved, before the password check.
  const fail = async (user: UserRow | undefined, reason: string) => {
    await db.transaction(async (tx) => {
      await tx("login_events").insert({
        user_id: user?.id ?? null,
        login: p.login.slice(0, 100),
        outcome: "failure",
        reason,
        method: "password",
        ip: meta.ip,
        user_agent: meta.userAgent?.slice(0, 500) ?? null,
        at: nowIso(deps),
      });
      await auditAppender(tx, clock, { actor: { type: user ? "user" : "anonymous", id: user?.id ?? null }, ...meta }, [
        {
          action: "auth.login",
          outcome: "failure",
          target: user ? { type: "user", id: user.id } : null,
          details: { login: p.login, reason },
        },
      ]);
    });
  };
  const states = await Promise.all(keys.map((k) => throttleState(db, clock, cfg, k)));
  const retryAfter = Math.max(...states.map((s) => s.retryAfter));
  // Every attempt is counted atomically before the (slow) password hash: thirty concurrent guesses,
  // on one node or on several, are thirty failures (SPEC R1.4). A right password gives its
  // reservation back; one refused while the wait runs counts without moving the wait's start.
  for (const [i, k] of keys.entries()) await reserveAttempt(db, clock, k, states[i]);
  if (retryAfter > 0) {
    await fail(undefined, "throttled");
    throw new ThrottledError(retryAfter);
  }
  const user = await userByLoginOrIin(db, p.login);
  const passwordOk = user
    ? await verifyPassword(user.password_hash, p.password)
    : await verifyDummy(p.password, config.auth.argon2);
  if (!user || !passwordOk) {
    await fail(user, "bad_password");
    throw new UnauthenticatedError("invalid_credentials", "Login or password is wrong");
  }
  if (user.status !== "active") {
    await fail(user, "account_" + user.status);
    throw new UnauthenticatedError("account_disabled", "This account is disabled");
  }
  let usedRecoveryCode: number | null = null;
  if (user.totp_enabled) {
    if (!p.totp && !p.recoveryCode) {
      // Asking for the second factor is no failure: the reservation goes back.
      await db.transaction(async (tx) => {
        for (const k of keys) await releaseAttempt(tx, k);
      });
      throw new UnauthenticatedError("totp_required", "Enter the code from your authenticator app or a recovery code");
    }
    if (p.totp) {
      if (!(await totpValid(user.totp_secret!, p.totp, clock.now(), config.auth.totpWindowSteps))) {
        await fail(user, "bad_totp");
        throw new UnauthenticatedError("invalid_totp", "The one-time code is wrong");
      }
    } else {
      const code = await db("recovery_codes")
        .where({ user_id: user.id, code_hash: sha256(normalizeRecoveryCode(p.recoveryCode!)) })
        .whereNull("used_at")
        .first();
      if (!code) {
        await fail(user, "bad_recovery_code");
        throw new UnauthenticatedError("invalid_recovery_code", "The recovery code is wrong or already used");
      }
      usedRecoveryCode = code.id;
    }
  }
  const signedIn = await db.transaction(async (tx) => {
    if (usedRecoveryCode !== null) {
      const n = await tx("recovery_codes")
        .where({ id: usedRecoveryCode })
        .whereNull("used_at")
        .update({ used_at: nowIso(deps) });
      if (n !== 1)
        throw new UnauthenticatedError("invalid_recovery_code", "The recovery code is wrong or already used");
    }
    await tx("login_throttle").where({ key: keys[0] }).delete(); // the account's (or this device's) count
    for (const k of keys.slice(1)) await releaseAttempt(tx, k); // the address's reservation
    const created = await sessionCreator(tx, deps, user.id, "password", meta);
    await tx("users")
      .where({ id: user.id })
      .update({ last_login_at: nowIso(deps) });
    await tx("login_events").insert({
      user_id: user.id,
      login: p.login.slice(0, 100),
      session_id: created.session.id,
      outcome: "success",
      reason: usedRecoveryCode !== null ? "recovery_code" : null,
      method: "password",
      ip: meta.ip,
      user_agent: meta.userAgent?.slice(0, 500) ?? null,
      at: nowIso(deps),
    });
    await auditAppender(tx, clock, { actor: { type: "user", id: user.id }, ...meta }, [
      {
        action: "auth.login",
        target: { type: "session", id: created.session.id },
        details: { method: "password", recoveryCode: usedRecoveryCode !== null },
      },
    ]);
    return { ...created, user };
  });
  // A fresh device cookie with each sign-in: the device is known from now on.
  return { ...signedIn, deviceCookie: await deviceCookieFor(db, p.login) };
}
