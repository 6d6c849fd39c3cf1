// What sign-in leaves behind, deleted once it can no longer matter (SPEC R1.4): sessions expired,
// idle or revoked for auth.purgeAfterDays, throttle counters a day old, used or expired setup tokens,
// sign-in challenges past expiry. Login history is kept (R1.8).
import type { Clock } from "../../clock.js";
import type { Config } from "../../config/index.js";
import type { Tx } from "../../storage/db.js";

export async function signInLeftoversPurger(db: Tx, clock: Clock, config: Config) {
  const now = clock.now().getTime();
  const keep = config.auth.purgeAfterDays * 86_400_000;
  const cutoff = new Date(now - keep).toISOString();
  const idleCutoff = new Date(now - keep - config.auth.sessionIdleMinutes * 60_000).toISOString();
  const sessions = await db("sessions")
    .where("expires_at", "<", cutoff)
    .orWhere("last_seen_at", "<", idleCutoff)
    .orWhere("revoked_at", "<", cutoff)
    .delete();
  const throttle = await db("login_throttle")
    .where("last_failure_at", "<", new Date(now - 86_400_000).toISOString())
    .delete();
  const setup = await db("setup_tokens").where("expires_at", "<", new Date(now).toISOString()).delete();
  const challenges = await db("auth_challenges").where("expires_at", "<", new Date(now).toISOString()).delete();
  return { sessions, throttle, setup, challenges };
}
