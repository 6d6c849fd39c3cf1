// Sign-in throttling (SPEC R1.4): failures counted per account and per address; past the free ones
// (auth.throttle) each attempt waits twice as long as the last (Retry-After says how long), and the
// count resets after auth.throttle.resetAfterMinutes without a failure. Every attempt counts, the
// ones refused unheard during a wait too (so concurrent guesses are never lost), but only an
// attempt that was heard moves the start of the wait.

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
  if (!row) return { failures: 0, retryAfter: 0, expired: null };
  const last = new Date(row.last_failure_at).getTime();
  const now = clock.now().getTime();
  const delayMs = throttleDelaySeconds(cfg, row.failures, key) * 1000;
  if (now - last > cfg.resetAfterMinutes * 60_000 + delayMs)
    return { failures: 0, retryAfter: 0, expired: row.last_failure_at as string };
  // No wait is owed below the free failures, whatever the clocks: the last failure may carry a
  // time from another node whose clock runs a little ahead of this one's.
  if (delayMs === 0) return { failures: Number(row.failures), retryAfter: 0, expired: null };
  const waitMs = last + delayMs - now;
  return { failures: Number(row.failures), retryAfter: waitMs > 0 ? Math.ceil(waitMs / 1000) : 0, expired: null };
}

/**
 * Counts one attempt against `key` in a single statement, so concurrent attempts on any number of
 * nodes are each counted (a read followed by a write would let them overwrite each other). Taken
 * before the password is checked; a successful sign-in gives it back (`releaseAttempt`).
 * `expired`: the last failure of a count that had run out, as read; the first attempt to find it
 * still there starts again at 1, the others racing it count on from there. `throttled`: the
 * attempt is refused unheard; it counts, but the wait still runs from the last attempt heard.
 */
export async function reserveAttempt(
  tx: Tx,
  clock: Clock,
  key: string,
  state: { expired: string | null; retryAfter: number },
): Promise<void> {
  const now = clock.now().toISOString();
  await tx.raw(
    `insert into login_throttle (key, failures, last_failure_at) values (?, 1, ?)
     on conflict (key) do update set
       failures = case when login_throttle.last_failure_at = ? then 1 else login_throttle.failures + 1 end,
       last_failure_at = case when ? then login_throttle.last_failure_at else excluded.last_failure_at end`,
    [key, now, state.expired ?? "", state.retryAfter > 0],
  );
}

/** Gives back one reserved attempt (the password was right). */
export async function releaseAttempt(tx: Tx, key: string) {
  await tx("login_throttle")
    .where({ key })
    .andWhere("failures", ">", 0)
    .update({ failures: tx.raw("failures - 1") });
}

export const accountKey = (login: string) => `account:${login.toLowerCase()}`;

export const ipKey = (ip: string | null) => `ip:${ip ?? "unknown"}`;
