// Deletes what sign-in leaves behind once it can no longer matter: sessions expired for 30 days,
// forgotten throttle counters, used or expired setup tokens, answered sign-in challenges past expiry. Login history is kept.
import type { Config } from "../config/index.js";
import type { JobDefinition } from "./registry.js";

export function sessionsPurgeJob(config: Config): JobDefinition {
  return {
    name: "sessions.purge",
    schedule: config.jobs.sessionsPurgeSchedule,
    async run({ db, clock }) {
      const now = clock.now().getTime();
      const monthAgo = new Date(now - 30 * 86_400_000).toISOString();
      const idleCutoff = new Date(now - 30 * 86_400_000 - config.auth.sessionIdleMinutes * 60_000).toISOString();
      const sessions = await db("sessions").where("expires_at", "<", monthAgo).orWhere("last_seen_at", "<", idleCutoff).orWhere("revoked_at", "<", monthAgo).delete();
      const throttle = await db("login_throttle").where("last_failure_at", "<", new Date(now - 86_400_000).toISOString()).delete();
      const setup = await db("setup_tokens").where("expires_at", "<", new Date(now).toISOString()).delete();
      const challenges = await db("auth_challenges").where("expires_at", "<", new Date(now).toISOString()).delete();
      return { sessions, throttle, setup, challenges };
    },
  };
}
