// Sign-in throttling (SPEC R1.4): failures counted per account and per address; past the free ones
// (auth.throttle) each attempt waits twice as long as the last (Retry-After says how long), and the
// count resets after auth.throttle.resetAfterMinutes without a failure.

import type { Clock } from "../../clock.js";
import type { Config } from "../../config/index.js";

import type { Tx } from "../../storage/db.js";

/** SPEC R1.4 [000 §10.3]: after `freeFailures` failures, each further attempt waits base·2^(n-free) seconds. */
// Per-IP counters allow more failures (`ipFreeFailures`): many people may sign in from behind one NAT.
function throttleDelaySeconds(cfg: Config["auth"]["throttle"], failures: number, key: string): number {
  const free = key.startsWith("ip:") ? cfg.ipFreeFailures : cfg.freeFailures;
  if (failures < free) return 0;
  return Math.min(cfg.maxDelaySeconds, cfg.baseDelaySeconds * 2 ** (failures - free));
}

export async function throttleState(tx: Tx, clock: Clock, cfg: Config["auth"]["throttle"], key: string) {
  const row = await tx("login_throttle").where({ key }).first();
  if (!row) return { failures: 0, retryAfter: 0 };
  const last = new Date(row.last_failure_at).getTime();
  const now = clock.now().getTime();
  const delayMs = throttleDelaySeconds(cfg, row.failures, key) * 1000;
  if (now - last > cfg.resetAfterMinutes * 60_000 + delayMs) return { failures: 0, retryAfter: 0 };
  const waitMs = last + delayMs - now;
  return { failures: Number(row.failures), retryAfter: waitMs > 0 ? Math.ceil(waitMs / 1000) : 0 };
}

export async function recordFailure(tx: Tx, clock: Clock, cfg: Config["auth"]["throttle"], key: string) {
  const state = await throttleState(tx, clock, cfg, key);
  const row = { key, failures: state.failures + 1, last_failure_at: clock.now().toISOString() };
  await tx("login_throttle").insert(row).onConflict("key").merge();
}

export const accountKey = (login: string) => `account:${login.toLowerCase()}`;

export const ipKey = (ip: string | null) => `ip:${ip ?? "unknown"}`;
