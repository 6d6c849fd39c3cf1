// Ending a user's sessions (SPEC R1.3): revoked in the database and, through the listeners, dropped
// from the session cache of this process at once.

import type { Tx } from "../../storage/db.js";
import { nowIso, type CommandContext } from "../context.js";

export async function sessionsRevoker(
  ctx: CommandContext,
  p: { userId: string; reason: string; exceptSessionId?: string },
) {
  const q = ctx.tx("sessions").where({ user_id: p.userId }).whereNull("revoked_at");
  if (p.exceptSessionId) q.whereNot("id", p.exceptSessionId);
  const ids: string[] = (await q.clone().select("id")).map((r: { id: string }) => r.id);
  if (ids.length)
    await ctx
      .tx("sessions")
      .whereIn("id", ids)
      .update({ revoked_at: nowIso(ctx), revoked_reason: p.reason });
  await sessionsRevoked(ids, ctx.tx);
  return ids;
}

/**
 * The auth cache subscribes here so a revocation takes effect at once in this process, and —
 * through the cluster bus, inside `tx` — on every node when tx commits.
 */
export const revokedSessionListeners = new Set<(sessionIds: string[], tx: Tx) => void | Promise<void>>();

export async function sessionsRevoked(ids: string[], tx: Tx) {
  if (ids.length) for (const l of revokedSessionListeners) await l(ids, tx);
}
