// Resolving a presented session or API token to an Actor (SPEC R1.3, R1.7), with a short cache that
// revocations clear at once; the middleware asks it on every request.

import { NotFoundError } from "../../errors.js";
import type { ClusterBus } from "../../storage/bus.js";
import type { Tx } from "../../storage/db.js";

import { loadUser } from "./users.js";
import { revokedSessionListeners } from "./sessionRevoker.js";
import { revokedTokenListeners } from "./apiTokens.js";
import { grantsOf, toGrant, type GrantRow, type UserRow } from "./queries.js";
import type { Actor } from "./roles.js";
import { csrfTokenFor, hashPassword, sha256 } from "./secrets.js";
import { AuthDeps, SessionRow, sessionExpired } from "./sessions.js";
import { totpRequiredByOrganization } from "./passwordSignIn.js";
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
 * auth.sessionCacheSeconds; a revocation, a role or status change evicts at once in this process
 * and, through the cluster bus, on every other node when its transaction commits (the expiry is
 * what is left when a node's listener is down).
 */
export class AuthService {
  private cache = new Map<string, { at: number; resolved: Resolved; expires: number }>();
  /** Bumped by every eviction: a lookup that began before one does not fill the cache. */
  private generation = 0;
  private evictSessions = (ids: string[]) => {
    this.generation++;
    for (const [k, v] of this.cache)
      if (v.resolved.session && ids.includes(v.resolved.session.id)) this.cache.delete(k);
  };
  private evictToken = (id: string) => {
    this.generation++;
    for (const [k, v] of this.cache) if (v.resolved.actor.tokenId === id) this.cache.delete(k);
  };
  private evictAll = () => {
    this.generation++;
    this.cache.clear();
  };
  private onSessions = (ids: string[], tx: Tx) => this.bus.publish("auth.sessions", ids, tx);
  private onToken = (id: string, tx: Tx) => this.bus.publish("auth.token", id, tx);

  constructor(
    private deps: AuthDeps,
    private bus: ClusterBus,
  ) {
    revokedSessionListeners.add(this.onSessions);
    revokedTokenListeners.add(this.onToken);
    bus.subscribe("auth.sessions", this.evictSessions);
    bus.subscribe("auth.token", this.evictToken);
    bus.subscribe("auth.all", this.evictAll);
    bus.subscribe("bus.reconnected", this.evictAll);
  }

  close() {
    revokedSessionListeners.delete(this.onSessions);
    revokedTokenListeners.delete(this.onToken);
    this.cache.clear();
  }

  /** Forget everything cached (role, status or profile changes, after they committed), on every node. */
  invalidate() {
    this.evictAll();
    this.bus.publish("auth.all", null).catch(() => {
      // the other nodes' caches expire on their own (auth.sessionCacheSeconds)
    });
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
    const generation = this.generation;
    const key = sha256(token);
    const resolved = token.startsWith("qjt_")
      ? await this.resolveApiToken(key, now)
      : await this.resolveSession(token, key, now);
    if (resolved && generation === this.generation) {
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
    // Sliding idle expiry (SPEC R1.3): written at most once a minute to keep reads cheap, and at
    // least four times per idle period, so a short idle limit never ends a session in use.
    const refreshMs = Math.min(60_000, (config.auth.sessionIdleMinutes * 60_000) / 4);
    if (now.getTime() - new Date(s.last_seen_at).getTime() > refreshMs) {
      s.last_seen_at = now.toISOString();
      await db("sessions").where({ id: s.id }).update({ last_seen_at: s.last_seen_at });
    }
    const grantRows = await grantsOf(reader, [s.user_id]);
    const grants = grantRows.map(toGrant);
    const totpEnrolmentRequired = !s.totp_enabled && (await totpRequiredByOrganization(reader, s.user_id));
    const user: UserRow = (await reader("users").where({ id: s.user_id }).first())!;
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
