// Sessions (SPEC R1.3): created at sign-in, idle and absolute expiry, signing out, and one's own
// sessions listed and ended (reported as not me).
import { randomUUID } from "node:crypto";
import type { Clock } from "../../clock.js";
import type { Config } from "../../config/index.js";
import { StateConflictError, notFound } from "../../errors.js";
import type { Db, Tx } from "../../storage/db.js";

import { audit, nowIso, type CommandContext, type RequestMeta } from "../context.js";

import { sessionsRevoked } from "./sessionRevoker.js";

import { csrfTokenFor, newToken, sha256 } from "./secrets.js";
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

export interface AuthDeps {
  db: Db;
  clock: Clock;
  config: Config;
  /** where sessions and tokens are looked up (SQLite: the read-only connections), so a request's sign-in check never queues behind a long write */
  reader?: Db;
}

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

export async function signOut(ctx: CommandContext) {
  if (!ctx.actor.sessionId) return;
  await ctx
    .tx("sessions")
    .where({ id: ctx.actor.sessionId })
    .whereNull("revoked_at")
    .update({ revoked_at: nowIso(ctx), revoked_reason: "sign_out" });
  await sessionsRevoked([ctx.actor.sessionId], ctx.tx);
  await audit(ctx, { action: "auth.logout", target: { type: "session", id: ctx.actor.sessionId } });
}

export async function ownSessions(tx: Tx, userId: string, limit = 100): Promise<SessionRow[]> {
  return tx("sessions").where({ user_id: userId }).orderBy("created_at", "desc").limit(limit);
}

/** Revoke one of one's own sessions; `notMe` flags it as unauthorized access (SPEC R1.8). */
export async function ownSessionRevoker(ctx: CommandContext, p: { sessionId: string; notMe: boolean }) {
  const s: SessionRow | undefined = await ctx
    .tx("sessions")
    .where({ id: p.sessionId, user_id: ctx.actor.userId! })
    .first();
  if (!s) throw notFound();
  if (s.revoked_at && !p.notMe) throw new StateConflictError("already_revoked", "The session is already ended");
  await ctx
    .tx("sessions")
    .where({ id: s.id })
    .update({
      revoked_at: s.revoked_at ?? nowIso(ctx),
      revoked_reason: s.revoked_reason ?? (p.notMe ? "reported_not_me" : "revoked_by_user"),
      reported_not_me: p.notMe || Boolean(s.reported_not_me),
    });
  await sessionsRevoked([s.id], ctx.tx);
  await audit(ctx, {
    action: p.notMe ? "session.report_not_me" : "session.revoke",
    target: { type: "session", id: s.id },
    details: { sessionIp: s.ip, sessionCreatedAt: s.created_at, userAgent: s.user_agent },
  });
  return (await ctx.tx("sessions").where({ id: s.id }).first()) as SessionRow;
}
