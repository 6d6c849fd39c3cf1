// Authentication: a session cookie (HttpOnly, SameSite=Strict) or `Authorization: Bearer` with a
// session or API token. Cookie-authenticated writes must carry X-CSRF-Token.
import type { Context, Next } from "koa";
import type { AppDeps } from "../../deps.js";
import { ForbiddenError, UnauthenticatedError } from "../../errors.js";
import type { Actor } from "../../domain/identity/roles.js";

export type AuthMode = "none" | "user" | "any";

export const SESSION_COOKIE = "qujat_session";
export const CSRF_COOKIE = "qujat_csrf";
const anonymous: Actor = { type: "anonymous", id: null, userId: null, grants: [] };
const SAFE = new Set(["GET", "HEAD", "OPTIONS"]);
// While TOTP enrolment is mandatory but pending, only these stay reachable.
const ENROLMENT_PATHS = /^\/api\/v1\/(me|me\/totp\/.*|auth\/logout)$/;

/** Resolves the caller for every request (anonymous when nothing valid is presented). */
export function identify(deps: AppDeps) {
  return async (ctx: Context, next: Next) => {
    ctx.state.actor = anonymous;
    const header = ctx.get("authorization");
    const bearer = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const cookie = bearer ? undefined : ctx.cookies.get(SESSION_COOKIE);
    const token = bearer ?? cookie;
    if (token) {
      const resolved = await deps.auth.resolve(token);
      if (resolved) {
        ctx.state.resolved = resolved;
        ctx.state.actor = resolved.actor;
        ctx.state.viaCookie = Boolean(cookie);
        ctx.state.csrfToken = resolved.csrfToken;
        ctx.state.session = resolved.session;
        ctx.state.user = resolved.user;
      }
    }
    await next();
  };
}

/** What a route's `auth` demands of the caller (throws 401/403); the route chain calls it synchronously. */
export function assertAuthenticated(mode: AuthMode, ctx: Context): void {
  if (mode === "none") return;
  const actor: Actor = ctx.state.actor;
  if (actor.type === "anonymous") throw new UnauthenticatedError("unauthenticated", "Sign in first");
  if (mode === "user" && actor.type !== "user")
    throw new ForbiddenError("user_only", "This operation is for people, not API tokens");
  if (ctx.state.viaCookie && !SAFE.has(ctx.method) && ctx.get("x-csrf-token") !== ctx.state.csrfToken) {
    throw new ForbiddenError("csrf_failed", "Missing or wrong X-CSRF-Token header");
  }
  if (actor.totpEnrolmentRequired && !ENROLMENT_PATHS.test(ctx.path)) {
    throw new ForbiddenError(
      "totp_enrolment_required",
      "Your organization requires TOTP: enrol at /api/v1/me/totp/enrol first",
    );
  }
}

/**
 * `now` is the appliance's clock: the cookie lives as long as the session has left, counted by the
 * browser from when it receives it — an absolute date would be read against the browser's own
 * clock, and a client whose clock runs ahead would drop the session early.
 */
export function setSessionCookies(ctx: Context, token: string, csrfToken: string, expiresAt: string, now: Date) {
  const opts = {
    httpOnly: true,
    sameSite: "strict" as const,
    secure: ctx.secure,
    path: "/",
    maxAge: Math.max(0, new Date(expiresAt).getTime() - now.getTime()),
    overwrite: true,
  };
  ctx.cookies.set(SESSION_COOKIE, token, opts);
  ctx.cookies.set(CSRF_COOKIE, csrfToken, { ...opts, httpOnly: false });
}

/** Sent only to sign-in, kept across sign-outs: it says this browser signed in here before (deviceCookies.ts). */
export const DEVICE_COOKIE = "qujat_device";
export function setDeviceCookie(ctx: Context, value: string, days: number) {
  ctx.cookies.set(DEVICE_COOKIE, value, {
    httpOnly: true,
    sameSite: "strict",
    secure: ctx.secure,
    path: "/api/v1/auth/login",
    maxAge: days * 86_400_000,
    overwrite: true,
  });
}

export function clearSessionCookies(ctx: Context) {
  ctx.cookies.set(SESSION_COOKIE, null, { path: "/" });
  ctx.cookies.set(CSRF_COOKIE, null, { path: "/" });
}
