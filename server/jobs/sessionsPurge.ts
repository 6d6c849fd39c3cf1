// The hourly purge of what sign-in leaves behind (identity's signInLeftoversPurger).
import type { Config } from "../config/index.js";
import { signInLeftoversPurger } from "../domain/identity/purge.js";
import type { JobDefinition } from "./registry.js";

export function sessionsPurgeJob(config: Config): JobDefinition {
  return {
    name: "sessions.purge",
    schedule: config.jobs.sessionsPurgeSchedule,
    run: ({ db, clock }) => signInLeftoversPurger(db, clock, config),
  };
}
