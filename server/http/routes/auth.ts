// First-run setup, password sign-in and sign-out.
import { z } from "zod";
import { certificateSignIn, challengeIssuer } from "../../domain/identity/certificateSignIn.js";
import { cmsFrom } from "./documentWorkflow.js";
import type { AppDeps } from "../../deps.js";
import { signOut, sessionCreator } from "../../domain/identity/sessions.js";
import { passwordSignIn } from "../../domain/identity/passwordSignIn.js";
import { systemAdminCreator } from "../../domain/identity/setup.js";
import { hasSystemAdmin } from "../../domain/identity/queries.js";
import { presentUser } from "../../domain/identity/presenters.js";
import { systemActor } from "../../domain/identity/roles.js";
import type { Api } from "../api.js";
import { commandContext } from "../api.js";
import { clearSessionCookies, DEVICE_COOKIE, setDeviceCookie, setSessionCookies } from "../middleware/auth.js";
import { PersonSchema, PasswordField } from "./schemas.js";

const SetupSchema = z.strictObject({
  token: z.string().min(10).max(200),
  ...PersonSchema.shape,
  password: PasswordField,
});
const LoginSchema = z.strictObject({
  login: z.string().min(1).max(100),
  password: z.string().min(1).max(1024),
  totp: z.string().max(10).optional(),
  recoveryCode: z.string().max(40).optional(),
});

export function authRoutes(api: Api, deps: AppDeps) {
  api.add({
    method: "get",
    path: "/api/v1/setup",
    summary: "Whether first-run setup is still needed",
    tag: "auth",
    auth: "none",
    handler: async (ctx) => {
      ctx.body = { required: !(await hasSystemAdmin(deps.db)) };
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/signing",
    summary: "How the console signs: where NCALayer listens on the signer's machine",
    tag: "auth",
    auth: "none",
    handler: async (ctx) => {
      ctx.body = { ncalayerUrl: deps.config.signing.ncalayerUrl };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/setup",
    summary: "Create the first system administrator with the one-time setup link's token",
    tag: "auth",
    auth: "none",
    body: SetupSchema,
    tx: true,
    responses: { 201: "Administrator created and signed in" },
    handler: async (ctx, { body }) => {
      const { token, ...person } = body;
      const c = { ...commandContext(ctx, deps), actor: systemActor };
      const created = await systemAdminCreator(c, { ...person, setupToken: token });
      const s = await sessionCreator(c.tx, deps, created.user.id, "password", c.meta);
      setSessionCookies(ctx, s.token, s.csrfToken, s.session.expires_at, deps.clock.now());
      ctx.status = 201;
      ctx.body = {
        user: presentUser(created.user, created.grants),
        csrfToken: s.csrfToken,
        sessionExpiresAt: s.session.expires_at,
      };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/auth/login",
    summary: "Sign in with login (or IIN) and password, plus TOTP when enabled",
    tag: "auth",
    auth: "none",
    body: LoginSchema,
    responses: { 200: "Signed in; session cookie set", 401: "Wrong credentials or TOTP needed", 429: "Throttled" },
    handler: async (ctx, { body }) => {
      const r = await passwordSignIn(
        deps,
        { ...body, deviceCookie: ctx.cookies.get(DEVICE_COOKIE) },
        { ip: ctx.ip || null, requestId: ctx.state.requestId, userAgent: ctx.get("user-agent") || null },
      );
      setSessionCookies(ctx, r.token, r.csrfToken, r.session.expires_at, deps.clock.now());
      setDeviceCookie(ctx, r.deviceCookie, deps.config.auth.deviceCookieDays);
      ctx.body = {
        user: { id: r.user.id, login: r.user.login, fullName: r.user.full_name },
        // The token is also returned for API clients that use Authorization: Bearer instead of the cookie.
        token: r.token,
        csrfToken: r.csrfToken,
        sessionId: r.session.id,
        sessionExpiresAt: r.session.expires_at,
      };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/auth/challenge",
    summary:
      "Certificate sign-in, step 1: a one-time challenge (base64) to sign with your AUTH certificate as a detached CMS",
    tag: "auth",
    auth: "none",
    responses: { 201: "The challenge and until when it may be used" },
    handler: async (ctx) => {
      ctx.status = 201;
      ctx.body = await challengeIssuer(deps);
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/auth/certificate",
    tag: "auth",
    auth: "none",
    summary:
      "Certificate sign-in, step 2: the challenge and your detached CMS over its bytes; the AUTH certificate is checked (chain, validity, revocation, purpose) and the user with its IIN signed in",
    body: z.strictObject({ challenge: z.string().min(16).max(200), cms: z.string().min(16).max(700_000) }),
    responses: {
      200: "Signed in; session cookie set",
      401: "Challenge invalid, certificate refused (every failed check named) or no user with its IIN",
      503: "Revocation status cannot be established now",
    },
    handler: async (ctx, { body }) => {
      const r = await certificateSignIn(
        deps,
        { challenge: body.challenge, cms: cmsFrom(body.cms) },
        { ip: ctx.ip || null, requestId: ctx.state.requestId, userAgent: ctx.get("user-agent") || null },
      );
      setSessionCookies(ctx, r.token, r.csrfToken, r.session.expires_at, deps.clock.now());
      ctx.body = {
        user: { id: r.user.id, login: r.user.login, fullName: r.user.full_name },
        certificate: {
          subject: r.certificate.subject,
          serialNumber: r.certificate.serialNumber,
          issuer: r.certificate.issuer,
          notAfter: r.certificate.notAfter,
        },
        token: r.token,
        csrfToken: r.csrfToken,
        sessionId: r.session.id,
        sessionExpiresAt: r.session.expires_at,
      };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/auth/logout",
    summary: "End the current session",
    tag: "auth",
    auth: "user",
    tx: true,
    responses: { 204: "Signed out" },
    handler: async (ctx) => {
      await signOut(commandContext(ctx, deps));
      clearSessionCookies(ctx);
      ctx.status = 204;
    },
  });
}
