// The signed-in person: profile, password, TOTP, own sessions and login history (SPEC R1.8).
import QRCode from "qrcode";
import { z } from "zod";
import { loginHistory } from "../../domain/identity/queries.js";
import type { AppDeps } from "../../deps.js";
import { ownSessionRevoker, ownSessions, type SessionRow } from "../../domain/identity/sessions.js";
import { ownPasswordChanger } from "../../domain/identity/ownPasswordChanger.js";
import { recoveryCodesRegenerator, totpConfirmer, totpDisabler, totpEnroller } from "../../domain/identity/totp.js";
import { type Resolved } from "../../domain/identity/authService.js";
import { ownProfileUpdater } from "../../domain/identity/users.js";
import { presentUser } from "../../domain/identity/presenters.js";
import type { Api } from "../api.js";
import { commandContext } from "../api.js";
import { PasswordField } from "./schemas.js";
import { displayName } from "../../domain/shared/text.js";

const presentSession = (s: SessionRow, currentId?: string) => ({
  id: s.id,
  current: s.id === currentId,
  method: s.method,
  ip: s.ip,
  userAgent: s.user_agent,
  createdAt: s.created_at,
  lastSeenAt: s.last_seen_at,
  expiresAt: s.expires_at,
  revokedAt: s.revoked_at,
  revokedReason: s.revoked_reason,
  reportedNotMe: Boolean(s.reported_not_me),
});

export function meRoutes(api: Api, deps: AppDeps) {
  api.add({
    method: "get",
    path: "/api/v1/me",
    summary: "The signed-in user, his roles and CSRF token",
    tag: "me",
    auth: "user",
    handler: async (ctx) => {
      // The identity was resolved (and cached) by `identify`; its rendering is cached with it.
      const r: Resolved = ctx.state.resolved;
      r.meJson ??= JSON.stringify({
        ...presentUser(r.user!, r.grantRows!),
        totpEnrolmentRequired: Boolean(r.actor.totpEnrolmentRequired),
        csrfToken: r.csrfToken ?? null,
      });
      ctx.response.set("Content-Type", "application/json; charset=utf-8"); // no MIME table lookup on the hottest route
      ctx.body = r.meJson;
    },
  });
  api.add({
    method: "patch",
    path: "/api/v1/me",
    summary: "Correct one's own name or e-mail, or choose the language of one's notices (ru, kk, uk, en)",
    tag: "me",
    auth: "user",
    tx: true,
    body: z.strictObject({
      email: z.email().max(254).optional(),
      fullName: displayName(300).optional(),
      language: z.enum(["ru", "kk", "uk", "en"]).optional(),
    }),
    handler: async (ctx, { body }) => {
      const { user, grants } = await ownProfileUpdater(commandContext(ctx, deps), body);
      deps.auth.invalidate();
      ctx.body = presentUser(user, grants);
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/me/password",
    summary: "Change one's password (other sessions are ended)",
    tag: "me",
    auth: "user",
    tx: true,
    body: z.strictObject({ currentPassword: PasswordField, newPassword: PasswordField }),
    responses: { 204: "Changed" },
    handler: async (ctx, { body }) => {
      await ownPasswordChanger(commandContext(ctx, deps), body);
      ctx.status = 204;
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/me/sessions",
    summary: "One's sessions, newest first",
    tag: "me",
    auth: "user",
    handler: async (ctx) => {
      const rows = await ownSessions(deps.db, ctx.state.actor.userId!);
      ctx.body = { items: rows.map((s) => presentSession(s, ctx.state.actor.sessionId)) };
    },
  });
  api.add({
    method: "delete",
    path: "/api/v1/me/sessions/:id",
    summary: "End one of one's sessions",
    tag: "me",
    auth: "user",
    tx: true,
    handler: async (ctx, { params }) => {
      ctx.body = presentSession(
        await ownSessionRevoker(commandContext(ctx, deps), { sessionId: params.id, notMe: false }),
        ctx.state.actor.sessionId,
      );
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/me/sessions/:id/not-me",
    summary: "Report a session as not one's own: it is ended and flagged",
    tag: "me",
    auth: "user",
    tx: true,
    handler: async (ctx, { params }) => {
      ctx.body = presentSession(
        await ownSessionRevoker(commandContext(ctx, deps), { sessionId: params.id, notMe: true }),
        ctx.state.actor.sessionId,
      );
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/me/login-history",
    summary: "Sign-in attempts on one's account, newest first",
    tag: "me",
    auth: "user",
    query: z.strictObject({
      limit: z.coerce.number().int().min(1).max(500).default(50),
      before: z.coerce.number().int().positive().optional(),
    }),
    handler: async (ctx, { query }) => {
      const rows = await loginHistory(deps.db, ctx.state.actor.userId!, query);
      ctx.body = {
        items: rows.map((r: any) => ({
          id: r.id,
          at: r.at,
          outcome: r.outcome,
          reason: r.reason,
          method: r.method,
          ip: r.ip,
          userAgent: r.user_agent,
          sessionId: r.session_id,
        })),
        next: rows.length === query.limit ? rows[rows.length - 1].id : null,
      };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/me/totp/enrol",
    summary: "Start TOTP enrolment: returns the secret, its otpauth URI, and that URI as a QR code (SVG) to scan",
    tag: "me",
    auth: "user",
    tx: true,
    handler: async (ctx) => {
      const r = await totpEnroller(commandContext(ctx, deps));
      ctx.body = { ...r, qrSvg: await QRCode.toString(r.otpauthUri, { type: "svg", margin: 1 }) };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/me/totp/confirm",
    summary: "Confirm TOTP with a first code; returns recovery codes (shown once)",
    tag: "me",
    auth: "user",
    tx: true,
    body: z.strictObject({ code: z.string().regex(/^\d{6}$/) }),
    handler: async (ctx, { body }) => {
      ctx.body = { recoveryCodes: await totpConfirmer(commandContext(ctx, deps), body) };
      deps.auth.invalidate();
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/me/totp/disable",
    summary: "Turn TOTP off (refused when the organization requires it)",
    tag: "me",
    auth: "user",
    tx: true,
    body: z.strictObject({ password: PasswordField, code: z.string().regex(/^\d{6}$/) }),
    responses: { 204: "Disabled" },
    handler: async (ctx, { body }) => {
      await totpDisabler(commandContext(ctx, deps), body);
      deps.auth.invalidate();
      ctx.status = 204;
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/me/recovery-codes",
    summary: "Replace one's recovery codes (shown once)",
    tag: "me",
    auth: "user",
    tx: true,
    body: z.strictObject({ password: PasswordField }),
    handler: async (ctx, { body }) => {
      ctx.body = { recoveryCodes: await recoveryCodesRegenerator(commandContext(ctx, deps), body) };
    },
  });
}
