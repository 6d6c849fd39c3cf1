// The one question every outgoing action asks billing (SPEC R4.4, R4.7): may this branch send, sign
// and create internal documents now? No, while the subscription covering it is blocked for an
// overdue invoice, suspended at its own request, or ended. A branch no subscription covers is not
// billed and may. Incoming documents never ask: they stay readable whatever the answer.
import { ConflictError, PaymentRequiredError } from "../../errors.js";
import type { Tx } from "../../storage/db.js";

import { coveringSubscription, type SubscriptionRow } from "./subscriptions.js";
import { applianceDay, localDay } from "../shared/zones.js";
import { organizationFactsOf } from "../identity/records.js";

export interface GateAnswer {
  allowed: boolean;
  code?: "billing_blocked" | "subscription_ended" | "subscription_suspended";
  reason?: string;
  subscriptionId?: string;
}
export interface BranchRef {
  organizationId: string;
  branchId: string;
  path: string;
}

export function gateAnswer(s: SubscriptionRow | null, today: string): GateAnswer {
  if (!s) return { allowed: true };
  if (s.block_stage === "full")
    return {
      allowed: false,
      code: "billing_blocked",
      reason: "This branch is blocked: an invoice is overdue for months. Paying it lifts the block at once",
      subscriptionId: s.id,
    };
  if (s.block_stage)
    return {
      allowed: false,
      code: "billing_blocked",
      reason: "Outgoing work of this branch is blocked: an invoice is overdue. Paying it lifts the block at once",
      subscriptionId: s.id,
    };
  if (s.status === "ended" || s.status === "terminated")
    return {
      allowed: false,
      code: "subscription_ended",
      reason: `The branch's subscription has ${s.status === "ended" ? "ended" : "been terminated"}`,
      subscriptionId: s.id,
    };
  if (s.suspended_from && s.suspended_from <= today && (!s.suspended_until || today < s.suspended_until)) {
    return {
      allowed: false,
      code: "subscription_suspended",
      reason: `Service is suspended at the participant's request until ${s.suspended_until}`,
      subscriptionId: s.id,
    };
  }
  return { allowed: true, subscriptionId: s.id };
}

type FindSubscription = (tx: Tx, branchPath: string) => Promise<SubscriptionRow | null>;

export async function canSendOutgoing(
  tx: Tx,
  branch: BranchRef,
  now: Date,
  find: FindSubscription = coveringSubscription,
): Promise<GateAnswer> {
  const s = await find(tx, branch.path);
  // A suspension's days are the participant's own (SPEC R2.6): its zone, read only when it matters.
  let today = applianceDay(now);
  if (s?.suspended_from) {
    const zone = (await organizationFactsOf(tx, branch.organizationId))?.time_zone;
    if (zone) today = localDay(now, zone);
  }
  return gateAnswer(s, today);
}

/** `find`: how the covering subscription is read (a registration passes its cached lookups). */
export async function assertCanSendOutgoing(
  tx: Tx,
  branch: BranchRef,
  now: Date,
  find?: FindSubscription,
): Promise<void> {
  const answer = await canSendOutgoing(tx, branch, now, find);
  if (!answer.allowed) {
    const extras = {
      organizationId: branch.organizationId,
      branchId: branch.branchId,
      subscriptionId: answer.subscriptionId,
    };
    // Unpaid or ended: 402. Suspended at the participant's own request: 409.
    throw answer.code === "subscription_suspended"
      ? new ConflictError(answer.code, answer.reason!, extras)
      : new PaymentRequiredError(answer.code!, answer.reason!, extras);
  }
}
