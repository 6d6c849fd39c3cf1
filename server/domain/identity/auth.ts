// Sign-in (SPEC R1.3, R1.4), sessions, throttling, TOTP, the first-run setup, and resolving a
// presented token to an Actor. Certificate sign-in plugs in as another `method` (signatures issue).
import { randomUUID } from "node:crypto";
import type { Clock } from "../../clock.js";
import type { Config } from "../../config/index.js";
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  StateConflictError,
  ThrottledError,
  UnauthenticatedError,
  ValidationError,
  notFound,
} from "../../errors.js";
import type { Db, Tx } from "../../storage/db.js";
import { auditAppender } from "../audit/commands.js";
import { audit, nowIso, type CommandContext, type RequestMeta } from "../context.js";
import {
  applianceRolesOnly,
  loadUser,
  passwordSetter,
  revokedSessionListeners,
  revokedTokenListeners,
  sessionsRevoker,
  userCreator,
} from "./commands.js";
import { grantsOf, hasSystemAdmin, toGrant, userByLoginOrIin, type GrantRow, type UserRow } from "./queries.js";
import type { Actor } from "./roles.js";
import {
  csrfTokenFor,
  hashPassword,
  newRecoveryCodes,
  newToken,
  newTotpSecret,
  normalizeRecoveryCode,
  sha256,
  totpUri,
  totpValid,
  verifyDummy,
  verifyPassword,
} from "./secrets.js";

export interface SessionRow {
  id: string;
  user_id: string;
  token_hash: string;
  method: string;
  ip: string | null;
  user_agent: string | null;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
  revoked_at: string | null;
  revoked_reason: string | null;
  reported_not_me: boolean | number;
}

interface AuthDeps {
  db: Db;
  clock: Clock;
  config: Config;
  /** where sessions and tokens are looked up (SQLite: the read-only connections), so a request's sign-in check never queues behind a long write */
  reader?: Db;
}

// ---------- throttling ----------

/** SPEC R1.4 [000 §10.3]: after `freeFailures` failures, each further attempt waits base·2^(n-free) seconds. */
// Per-IP counters allow more failures (`ipFreeFailures`): many people may sign in from behind one NAT.
function throttleDelaySeconds(cfg: Config["auth"]["throttle"], failures: number, key: string): number {
  const free = key.startsWith("ip:") ? cfg.ipFreeFailures : cfg.freeFailures;
  if (failures < free) return 0;
  return Math.min(cfg.maxDelaySeconds, cfg.baseDelaySeconds * 2 ** (failures - free));
}

async function throttleState(tx: Tx, clock: Clock, cfg: Config["auth"]["throttle"], key: string) {
  const row = await tx("login_throttle").where({ key }).first();
  if (!row) return { failures: 0, retryAfter: 0 };
  const last = new Date(row.last_failure_at).getTime();
  const now = clock.now().getTime();
  const delayMs = throttleDelaySeconds(cfg, row.failures, key) * 1000;
  if (now - last > cfg.resetAfterMinutes * 60_000 + delayMs) return { failures: 0, retryAfter: 0 };
  const waitMs = last + delayMs - now;
  return { failures: Number(row.failures), retryAfter: waitMs > 0 ? Math.ceil(waitMs / 1000) : 0 };
}

async function recordFailure(tx: Tx, clock: Clock, cfg: Config["auth"]["throttle"], key: string) {
  const state = await throttleState(tx, clock, cfg, key);
  const row = { key, failures: state.failures + 1, last_failure_at: clock.now().toISOString() };
  await tx("login_throttle").insert(row).onConflict("key").merge();
}

export const accountKey = (login: string) => `account:${login.toLowerCase()}`;
export const ipKey = (ip: string | null) => `ip:${ip ?? "unknown"}`;

// ---------- sessions ----------

export async function sessionCreator(
  tx: Tx,
  deps: { clock: Clock; config: Config },
  userId: string,
  method: string,
  meta: RequestMeta,
) {
  const token = newToken();
  const now = deps.clock.now();
  const id = randomUUID();
  const row = {
    id,
    user_id: userId,
    token_hash: sha256(token),
    method,
    ip: meta.ip,
    user_agent: meta.userAgent?.slice(0, 500) ?? null,
    created_at: now.toISOString(),
    last_seen_at: now.toISOString(),
    expires_at: new Date(now.getTime() + deps.config.auth.sessionAbsoluteHours * 3_600_000).toISOString(),
    revoked_at: null,
    revoked_reason: null,
    reported_not_me: false,
  };
  await tx("sessions").insert(row);
  return { token, session: row as SessionRow, csrfToken: csrfTokenFor(token) };
}

export function sessionExpired(s: SessionRow, now: Date, config: Config): boolean {
  if (s.revoked_at) return true;
  const t = now.getTime();
  if (t >= new Date(s.expires_at).getTime()) return true;
  return t >= new Date(s.last_seen_at).getTime() + config.auth.sessionIdleMinutes * 60_000;
}

async function totpRequiredByOrganization(tx: Tx, userId: string): Promise<boolean> {
  const row = await tx("role_grants as g")
    .join("organizations as o", "o.id", "g.organization_id")
    .where({ "g.user_id": userId, "o.totp_required": true })
    .first("o.id");
  return Boolean(row);
}

export interface SignInProps {
  login: string;
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
  const keys = [accountKey(p.login), ipKey(meta.ip)];
  const fail = async (user: UserRow | undefined, reason: string, counts = true) => {
    await db.transaction(async (tx) => {
      if (counts) for (const k of keys) await recordFailure(tx, clock, cfg, k);
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
  if (retryAfter > 0) {
    await fail(undefined, "throttled", false);
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
  return db.transaction(async (tx) => {
    if (usedRecoveryCode !== null) {
      const n = await tx("recovery_codes")
        .where({ id: usedRecoveryCode })
        .whereNull("used_at")
        .update({ used_at: nowIso(deps) });
      if (n !== 1)
        throw new UnauthenticatedError("invalid_recovery_code", "The recovery code is wrong or already used");
    }
    await tx("login_throttle").where({ key: keys[0] }).delete();
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
}

export async function signOut(ctx: CommandContext) {
  if (!ctx.actor.sessionId) return;
  await ctx
    .tx("sessions")
    .where({ id: ctx.actor.sessionId })
    .whereNull("revoked_at")
    .update({ revoked_at: nowIso(ctx), revoked_reason: "sign_out" });
  revokedSessionListeners.forEach((l) => l([ctx.actor.sessionId!]));
  await audit(ctx, { action: "auth.logout", target: { type: "session", id: ctx.actor.sessionId } });
}

export async function ownSessions(tx: Tx, userId: string, limit = 100): Promise<SessionRow[]> {
  return tx("sessions").where({ user_id: userId }).orderBy("created_at", "desc").limit(limit);
}

/** Revoke one of one's own sessions; `notMe` flags it as unauthorized access (SPEC R1.8). */
export async function ownSessionRevoker(ctx: CommandContext, p: { sessionId: string; notMe: boolean }) {
  const s: SessionRow | undefined = await ctx
    .tx("sessions")
    .where({ id: p.sessionId, user_id: ctx.actor.userId })
    .first();
  if (!s) throw notFound("Session");
  if (s.revoked_at && !p.notMe) throw new StateConflictError("already_revoked", "The session is already ended");
  await ctx
    .tx("sessions")
    .where({ id: s.id })
    .update({
      revoked_at: s.revoked_at ?? nowIso(ctx),
      revoked_reason: s.revoked_reason ?? (p.notMe ? "reported_not_me" : "revoked_by_user"),
      reported_not_me: p.notMe || Boolean(s.reported_not_me),
    });
  revokedSessionListeners.forEach((l) => l([s.id]));
  await audit(ctx, {
    action: p.notMe ? "session.report_not_me" : "session.revoke",
    target: { type: "session", id: s.id },
    details: { sessionIp: s.ip, sessionCreatedAt: s.created_at, userAgent: s.user_agent },
  });
  return (await ctx.tx("sessions").where({ id: s.id }).first()) as SessionRow;
}

export async function ownPasswordChanger(ctx: CommandContext, p: { currentPassword: string; newPassword: string }) {
  const user: UserRow = await ctx.tx("users").where({ id: ctx.actor.userId }).first();
  if (!(await verifyPassword(user.password_hash, p.currentPassword))) {
    throw new ValidationError("wrong_current_password", "The current password is wrong", { field: "currentPassword" });
  }
  await passwordSetter(ctx, user, p.newPassword);
  const revoked = await sessionsRevoker(ctx, {
    userId: user.id,
    reason: "password_change",
    exceptSessionId: ctx.actor.sessionId,
  });
  await audit(ctx, {
    action: "user.password_change",
    target: { type: "user", id: user.id },
    details: { sessionsRevoked: revoked.length },
  });
}

// ---------- TOTP ----------

export async function totpEnroller(ctx: CommandContext) {
  const user: UserRow = await ctx.tx("users").where({ id: ctx.actor.userId }).first();
  if (user.totp_enabled) throw new StateConflictError("totp_already_enabled", "TOTP is already enabled");
  const secret = newTotpSecret();
  await ctx
    .tx("users")
    .where({ id: user.id })
    .update({ pending_totp_secret: secret, updated_at: nowIso(ctx) });
  await audit(ctx, { action: "totp.enrol_start", target: { type: "user", id: user.id } });
  return { secret, otpauthUri: totpUri(ctx.config.auth.totpIssuer, user.login, secret) };
}

export async function totpConfirmer(ctx: CommandContext, p: { code: string }) {
  const user: UserRow = await ctx.tx("users").where({ id: ctx.actor.userId }).first();
  if (user.totp_enabled) throw new StateConflictError("totp_already_enabled", "TOTP is already enabled");
  if (!user.pending_totp_secret) throw new StateConflictError("totp_not_started", "Start the enrolment first");
  if (!(await totpValid(user.pending_totp_secret, p.code, ctx.clock.now(), ctx.config.auth.totpWindowSteps))) {
    throw new ValidationError("invalid_totp", "The one-time code is wrong", { field: "code" });
  }
  await ctx
    .tx("users")
    .where({ id: user.id })
    .update({
      totp_secret: user.pending_totp_secret,
      pending_totp_secret: null,
      totp_enabled: true,
      updated_at: nowIso(ctx),
    });
  const codes = await recoveryCodesReplacer(ctx, user.id);
  await audit(ctx, { action: "totp.enable", target: { type: "user", id: user.id } });
  return codes;
}

async function recoveryCodesReplacer(ctx: CommandContext, userId: string) {
  const codes = newRecoveryCodes(ctx.config.auth.recoveryCodes);
  await ctx.tx("recovery_codes").where({ user_id: userId }).delete();
  await ctx
    .tx("recovery_codes")
    .insert(codes.map((c) => ({ user_id: userId, code_hash: sha256(normalizeRecoveryCode(c)) })));
  return codes;
}

export async function recoveryCodesRegenerator(ctx: CommandContext, p: { password: string }) {
  const user: UserRow = await ctx.tx("users").where({ id: ctx.actor.userId }).first();
  if (!user.totp_enabled) throw new StateConflictError("totp_not_enabled", "TOTP is not enabled");
  if (!(await verifyPassword(user.password_hash, p.password)))
    throw new ValidationError("wrong_current_password", "The password is wrong", { field: "password" });
  const codes = await recoveryCodesReplacer(ctx, user.id);
  await audit(ctx, { action: "totp.recovery_codes_regenerate", target: { type: "user", id: user.id } });
  return codes;
}

export async function totpDisabler(ctx: CommandContext, p: { password: string; code: string }) {
  const user: UserRow = await ctx.tx("users").where({ id: ctx.actor.userId }).first();
  if (!user.totp_enabled) throw new StateConflictError("totp_not_enabled", "TOTP is not enabled");
  if (await totpRequiredByOrganization(ctx.tx, user.id))
    throw new ForbiddenError("totp_mandatory", "Your organization requires TOTP");
  if (!(await verifyPassword(user.password_hash, p.password)))
    throw new ValidationError("wrong_current_password", "The password is wrong", { field: "password" });
  if (!(await totpValid(user.totp_secret!, p.code, ctx.clock.now(), ctx.config.auth.totpWindowSteps)))
    throw new ValidationError("invalid_totp", "The one-time code is wrong", { field: "code" });
  await ctx
    .tx("users")
    .where({ id: user.id })
    .update({ totp_secret: null, totp_enabled: false, updated_at: nowIso(ctx) });
  await ctx.tx("recovery_codes").where({ user_id: user.id }).delete();
  await audit(ctx, { action: "totp.disable", target: { type: "user", id: user.id } });
}

// ---------- first-run setup ----------

/** Issues a fresh one-time setup token when no system administrator exists (older unused ones die). */
export async function setupTokenIssuer(deps: { db: Db; clock: Clock; config: Config }): Promise<string | null> {
  return deps.db.transaction(async (tx) => {
    if (await hasSystemAdmin(tx)) return null;
    const token = newToken();
    const now = deps.clock.now();
    await tx("setup_tokens").whereNull("used_at").delete();
    await tx("setup_tokens").insert({
      token_hash: sha256(token),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + deps.config.auth.setupTokenMinutes * 60_000).toISOString(),
    });
    return token;
  });
}

export interface FirstAdminProps {
  login: string;
  email: string;
  fullName: string;
  iin?: string;
  password: string;
}

/** Creates a system administrator: through the setup link (`setupToken`) or from the shell (no token). */
export async function systemAdminCreator(ctx: CommandContext, p: FirstAdminProps & { setupToken?: string }) {
  if (p.setupToken !== undefined) {
    if (await hasSystemAdmin(ctx.tx))
      throw new ConflictError("setup_complete", "The appliance already has an administrator");
    const row = await ctx
      .tx("setup_tokens")
      .where({ token_hash: sha256(p.setupToken) })
      .whereNull("used_at")
      .first();
    if (!row || row.expires_at <= nowIso(ctx))
      throw new ForbiddenError(
        "setup_token_invalid",
        "The setup link is invalid or expired; restart the appliance for a new one",
      );
    await ctx
      .tx("setup_tokens")
      .where({ token_hash: row.token_hash })
      .update({ used_at: nowIso(ctx) });
  }
  const { setupToken, ...props } = p;
  const created = await userCreator(ctx, { ...props, roles: [{ role: "system_admin" }] }, applianceRolesOnly);
  await audit(ctx, {
    action: "setup.system_admin",
    target: { type: "user", id: created.user.id },
    details: { via: setupToken !== undefined ? "setup_link" : "cli" },
  });
  return created;
}

// ---------- resolving a presented token ----------

export interface Resolved {
  actor: Actor;
  session?: SessionRow;
  csrfToken?: string;
  user?: UserRow;
  grantRows?: GrantRow[];
  /** `GET /me` rendered once per resolution; dropped with the cache entry (sign-out, role or profile change). */
  meJson?: string;
}

/**
 * Turns a session token or API token into an Actor. Results are cached for
 * auth.sessionCacheSeconds; revocations in this process evict at once.
 */
export class AuthService {
  private cache = new Map<string, { at: number; resolved: Resolved; expires: number }>();
  private onSessions = (ids: string[]) => {
    for (const [k, v] of this.cache)
      if (v.resolved.session && ids.includes(v.resolved.session.id)) this.cache.delete(k);
  };
  private onToken = (id: string) => {
    for (const [k, v] of this.cache) if (v.resolved.actor.tokenId === id) this.cache.delete(k);
  };

  constructor(private deps: AuthDeps) {
    revokedSessionListeners.add(this.onSessions);
    revokedTokenListeners.add(this.onToken);
  }

  close() {
    revokedSessionListeners.delete(this.onSessions);
    revokedTokenListeners.delete(this.onToken);
    this.cache.clear();
  }

  /** Forget everything cached (role changes). */
  invalidate() {
    this.cache.clear();
  }

  async resolve(token: string): Promise<Resolved | null> {
    const { clock, config } = this.deps;
    const now = clock.now();
    // The in-process cache is keyed by the token itself (it never leaves memory); only the database
    // sees its hash, so the hash is computed on a miss only.
    const hit = this.cache.get(token);
    if (hit && now.getTime() - hit.at < config.auth.sessionCacheSeconds * 1000 && now.getTime() < hit.expires)
      return hit.resolved;
    this.cache.delete(token);
    const key = sha256(token);
    const resolved = token.startsWith("qjt_")
      ? await this.resolveApiToken(key, now)
      : await this.resolveSession(token, key, now);
    if (resolved) {
      if (this.cache.size > 10_000) this.cache.clear();
      const expires = resolved.session
        ? Math.min(
            new Date(resolved.session.expires_at).getTime(),
            new Date(resolved.session.last_seen_at).getTime() + config.auth.sessionIdleMinutes * 60_000,
          )
        : Number.MAX_SAFE_INTEGER;
      this.cache.set(token, { at: now.getTime(), resolved, expires });
    }
    return resolved;
  }

  private async resolveSession(token: string, key: string, now: Date): Promise<Resolved | null> {
    const { db, config } = this.deps;
    const reader = this.deps.reader ?? db;
    const s: (SessionRow & { status: string; totp_enabled: boolean | number }) | undefined = await reader(
      "sessions as s",
    )
      .join("users as u", "u.id", "s.user_id")
      .where("s.token_hash", key)
      .first("s.*", "u.status", "u.totp_enabled");
    if (!s || s.status !== "active" || sessionExpired(s, now, config)) return null;
    // Sliding idle expiry: written at most once a minute to keep reads cheap.
    if (now.getTime() - new Date(s.last_seen_at).getTime() > 60_000) {
      s.last_seen_at = now.toISOString();
      await db("sessions").where({ id: s.id }).update({ last_seen_at: s.last_seen_at });
    }
    const grantRows = await grantsOf(reader, [s.user_id]);
    const grants = grantRows.map(toGrant);
    const totpEnrolmentRequired = !s.totp_enabled && (await totpRequiredByOrganization(reader, s.user_id));
    const user: UserRow = await reader("users").where({ id: s.user_id }).first();
    return {
      actor: { type: "user", id: s.user_id, userId: s.user_id, grants, sessionId: s.id, totpEnrolmentRequired },
      session: s,
      user,
      grantRows,
      csrfToken: csrfTokenFor(token),
    };
  }

  private async resolveApiToken(key: string, now: Date): Promise<Resolved | null> {
    const { db } = this.deps;
    const t = await (this.deps.reader ?? db)("api_tokens as t")
      .join("branches as b", "b.id", "t.branch_id")
      .where("t.token_hash", key)
      .first("t.*", "b.path");
    if (!t || t.revoked_at || (t.expires_at && t.expires_at <= now.toISOString())) return null;
    if (!t.last_used_at || now.getTime() - new Date(t.last_used_at).getTime() > 60_000) {
      await db("api_tokens").where({ id: t.id }).update({ last_used_at: now.toISOString() });
    }
    return {
      actor: {
        type: "api_token",
        id: t.id,
        userId: null,
        tokenId: t.id,
        grants: [
          { id: t.id, role: t.role, organizationId: t.organization_id, branchId: t.branch_id, branchPath: t.path },
        ],
      },
    };
  }
}

export { loadUser, hashPassword, NotFoundError };
