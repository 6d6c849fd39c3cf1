// Metering (SPEC R4.3): every registration is in the usage ledger (organization, branch, bytes,
// outgoing or not, the subscription it counted against). The covering subscription keeps the
// period's count of outgoing documents and the stored bytes, so a quota is checked in O(1) at
// registration and enforced exactly when the registration is written: over quota is 402, with the
// plan and the use in the problem body.
import { PaymentRequiredError } from "../../errors.js";
import type { Tx } from "../../storage/db.js";
import type { Statement } from "../../storage/statements.js";

import { destroyedAfter } from "../retention/tombstones.js";
import { gateAnswer } from "./gate.js";
import type { PlanRow } from "./plans.js";
import { coveringSubscription, LIVE, type SubscriptionRow } from "./subscriptions.js";
import { applianceDay } from "../shared/zones.js";

export interface Metering {
  subscriptionId: string;
  outgoing: boolean;
  bytes: number;
  quotaDocuments: number | null;
  quotaBytes: number | null;
  plan: { id: string; code: string; name: string };
}

function overQuota(
  what: "documents" | "storageBytes",
  s: Pick<SubscriptionRow, "id" | "used_documents" | "used_bytes">,
  plan: Metering["plan"],
  limit: number,
  adding: number,
) {
  return new PaymentRequiredError(
    "quota_exceeded",
    what === "documents"
      ? `The ${plan.name} plan's ${limit} outgoing documents of this period are used up`
      : `The ${plan.name} plan's storage of ${limit} bytes would be exceeded`,
    {
      quota: what,
      limit,
      adding,
      plan,
      subscriptionId: s.id,
      usage: { documents: Number(s.used_documents), storageBytes: Number(s.used_bytes) },
    },
  );
}

/** How meteringFor finds the covering subscription and its plan: the database, or the registration's cached lookups. */
export interface MeteringLookups {
  subscription(tx: Tx, branchPath: string): Promise<SubscriptionRow | null>;
  plan(tx: Tx, id: string): Promise<PlanRow>;
}
export const meteringFromDatabase: MeteringLookups = {
  subscription: coveringSubscription,
  plan: async (tx, id) => (await tx("tariff_plans").where({ id }).first())!,
};

/**
 * Before a registration: which subscription it counts against, and refusal when a quota is used up.
 * With cached lookups the use counters may be behind: usageCounter has the final word.
 */
export async function meteringFor(
  tx: Tx,
  branchPath: string,
  direction: string,
  bytes: number,
  now: Date,
  lookups: MeteringLookups = meteringFromDatabase,
): Promise<Metering | null> {
  const s = await lookups.subscription(tx, branchPath);
  if (!s) return null;
  const outgoing = direction === "outgoing";
  if (!LIVE.includes(s.status)) {
    const answer = gateAnswer(s, applianceDay(now));
    throw new PaymentRequiredError(answer.code!, answer.reason!, { subscriptionId: s.id });
  }
  // SPEC R4.5: after the optional longer-delay steps the branch registers nothing at all.
  if (s.block_stage === "suspended" || s.block_stage === "full") {
    throw new PaymentRequiredError(
      "billing_suspended",
      "All work of this branch is suspended: an invoice is long overdue. Paying it lifts this at once",
      { subscriptionId: s.id },
    );
  }
  const plan = await lookups.plan(tx, s.plan_id);
  const m: Metering = {
    subscriptionId: s.id,
    outgoing,
    bytes,
    quotaDocuments: plan.quota_documents === null ? null : Number(plan.quota_documents),
    quotaBytes: plan.quota_storage_bytes === null ? null : Number(plan.quota_storage_bytes),
    plan: { id: plan.id, code: plan.code, name: plan.name },
  };
  if (outgoing && m.quotaDocuments !== null && Number(s.used_documents) + 1 > m.quotaDocuments)
    throw overQuota("documents", s, m.plan, m.quotaDocuments, 1);
  if (m.quotaBytes !== null && Number(s.used_bytes) + bytes > m.quotaBytes)
    throw overQuota("storageBytes", s, m.plan, m.quotaBytes, bytes);
  return m;
}

/**
 * In the registration transaction: adds a batch's use to each subscription's counters, only if the
 * quotas still hold (one conditional UPDATE per subscription). When one does not, the batch fails
 * and the group commit retries its items one by one, so only the registration over quota is refused.
 */
export function usageCounter(items: Metering[]): Statement[] {
  const per = new Map<string, { docs: number; bytes: number; m: Metering }>();
  for (const m of items) {
    const e = per.get(m.subscriptionId) ?? { docs: 0, bytes: 0, m };
    e.docs += m.outgoing ? 1 : 0;
    e.bytes += m.bytes;
    per.set(m.subscriptionId, e);
  }
  return [...per].map(([id, { docs, bytes, m }]) => {
    let sql = `update "subscriptions" set "used_documents" = "used_documents" + ?, "used_bytes" = "used_bytes" + ? where "id" = ?`;
    const bindings: unknown[] = [docs, bytes, id];
    if (m.quotaDocuments !== null && docs > 0) {
      sql += ` and "used_documents" <= ?`;
      bindings.push(m.quotaDocuments - docs);
    }
    if (m.quotaBytes !== null) {
      sql += ` and "used_bytes" <= ?`;
      bindings.push(m.quotaBytes - bytes);
    }
    return {
      sql,
      bindings,
      orElse: async (tx: Tx) => {
        const s: SubscriptionRow = (await tx("subscriptions").where({ id }).first())!;
        const docsOver = m.quotaDocuments !== null && Number(s.used_documents) + docs > m.quotaDocuments;
        return docsOver
          ? overQuota("documents", s, m.plan, m.quotaDocuments!, docs)
          : overQuota("storageBytes", s, m.plan, m.quotaBytes!, bytes);
      },
    };
  });
}

/** Use of an organization (optionally one branch's subtree) in [from, to): outgoing documents, all documents, bytes, active users. */
export async function usageOf(tx: Tx, p: { organizationId: string; branchPath?: string; from: string; to: string }) {
  const q = tx("usage_ledger as u")
    .join("branches as b", "b.id", "u.branch_id")
    .where("u.organization_id", p.organizationId)
    .where("u.at", ">=", p.from)
    .where("u.at", "<", p.to);
  if (p.branchPath) q.where("b.path", "like", `${p.branchPath}%`);
  const perBranch: Array<{
    branch_id: string;
    documents: string | number;
    outgoing: string | number;
    bytes: string | number;
  }> = await q
    .groupBy("u.branch_id")
    .select("u.branch_id")
    // Destruction entries (negative bytes) lower the stored bytes; only registrations are documents.
    .select(tx.raw("sum(case when u.event = 'registration' then 1 else 0 end) as documents"))
    .sum({ bytes: "u.bytes" })
    .select(tx.raw("sum(case when u.outgoing then 1 else 0 end) as outgoing"));
  const users = tx("role_grants as g")
    .join("users as us", "us.id", "g.user_id")
    .where("g.organization_id", p.organizationId)
    .where("us.status", "active");
  if (p.branchPath) users.join("branches as gb", "gb.id", "g.branch_id").where("gb.path", "like", `${p.branchPath}%`);
  const activeUsers = await users.countDistinct({ n: "g.user_id" }).first();
  const branches = perBranch.map((r) => ({
    branchId: r.branch_id,
    documents: Number(r.documents),
    outgoingDocuments: Number(r.outgoing ?? 0),
    bytes: Number(r.bytes ?? 0),
  }));
  return {
    organizationId: p.organizationId,
    from: p.from,
    to: p.to,
    outgoingDocuments: branches.reduce((n, b) => n + b.outgoingDocuments, 0),
    documents: branches.reduce((n, b) => n + b.documents, 0),
    bytes: branches.reduce((n, b) => n + b.bytes, 0),
    activeUsers: Number(activeUsers?.n ?? 0),
    branches,
  };
}

/**
 * SPEC R4.1: the plan's users quota — active people holding a role in the subscription's branches —
 * is checked when someone new is given a role there; over it is 402 and nothing is kept.
 */
export async function assertUserQuota(
  tx: Tx,
  organizationId: string,
  branchPath: string,
  userId: string,
): Promise<void> {
  const s = await coveringSubscription(tx, branchPath);
  if (!s || !LIVE.includes(s.status)) return;
  const plan: PlanRow = (await tx("tariff_plans").where({ id: s.plan_id }).first())!;
  if (plan.quota_users === null) return;
  const holders: string[] = await tx("role_grants as g")
    .join("users as u", "u.id", "g.user_id")
    .join("branches as b", "b.id", "g.branch_id")
    .where("g.organization_id", organizationId)
    .where("u.status", "active")
    .where("b.path", "like", `${s.branch_path}%`)
    .distinct("g.user_id")
    .pluck("g.user_id");
  if (holders.includes(userId) || holders.length < Number(plan.quota_users)) return;
  throw new PaymentRequiredError(
    "quota_exceeded",
    `The ${plan.name} plan allows ${plan.quota_users} users here, and all are taken`,
    {
      quota: "users",
      limit: Number(plan.quota_users),
      adding: 1,
      plan: { id: plan.id, code: plan.code, name: plan.name },
      subscriptionId: s.id,
      usage: { users: holders.length, documents: Number(s.used_documents), storageBytes: Number(s.used_bytes) },
    },
  );
}

/**
 * SPEC R4.3, R5.5: stored bytes go down when disposition destroys content. Each destroyed
 * document's registration bytes come off the subscription it counted against, once: a
 * `destruction` entry in the ledger (negative bytes) marks it done.
 */
export async function storageReleaser(tx: Tx, limit: number): Promise<{ released: number; seen: number }> {
  // Where the last release stopped: the latest destruction entry, in the tombstones' own order.
  const last: { at: string; document_id: string } | undefined = await tx("usage_ledger")
    .where({ event: "destruction" })
    .orderBy("at", "desc")
    .orderBy("document_id", "desc")
    .first("at", "document_id");
  const destroyed = await destroyedAfter(tx, last ? { at: last.at, documentId: last.document_id } : null, limit);
  if (destroyed.length === 0) return { released: 0, seen: 0 };
  const ids = destroyed.map((d) => d.document_id);
  const done = new Set<string>(
    await tx("usage_ledger").where({ event: "destruction" }).whereIn("document_id", ids).pluck("document_id"),
  );
  const registrations: Array<{
    document_id: string;
    organization_id: string;
    branch_id: string;
    subscription_id: string | null;
    bytes: number | string;
  }> = await tx("usage_ledger")
    .where({ event: "registration" })
    .whereIn("document_id", ids)
    .select("document_id", "organization_id", "branch_id", "subscription_id", "bytes");
  const byDoc = new Map(registrations.map((r) => [r.document_id, r]));
  let released = 0;
  for (const d of destroyed) {
    const reg = byDoc.get(d.document_id);
    if (done.has(d.document_id)) continue;
    // A document registered before metering still moves the watermark (zero bytes).
    const bytes = reg ? Number(reg.bytes) : 0;
    if (!reg) continue;
    await tx("usage_ledger").insert({
      organization_id: reg.organization_id,
      branch_id: reg.branch_id,
      document_id: d.document_id,
      event: "destruction",
      bytes: -bytes,
      at: d.destroyed_at,
      subscription_id: reg.subscription_id,
      outgoing: false,
    });
    if (reg.subscription_id)
      await tx.raw(
        `update "subscriptions" set "used_bytes" = case when "used_bytes" > ? then "used_bytes" - ? else 0 end where "id" = ?`,
        [bytes, bytes, reg.subscription_id],
      );
    released += 1;
  }
  return { released, seen: destroyed.length };
}
