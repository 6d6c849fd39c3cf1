// What decides retention dates (SPEC R5.1, R5.2): the active rules, each party's contract end, early
// destruction and recorded events, read once and cached; registration takes a document's date from
// them. Everything that changes them bumps retention_state.epoch: the assigner brings the documents'
// dates up to that epoch, and a disposition previewed under an older epoch must be previewed again.

import type { Config } from "../../config/index.js";

import { isPostgres, type Tx } from "../../storage/db.js";
import { sqlRows } from "../../storage/statements.js";

import { retentionOf, type PartyFacts, type RetainedDocument, type RetentionFacts, type Rule } from "./rules.js";

import { PolicyVersionRow } from "./policyVersions.js";
export async function bumpEpoch(tx: Tx): Promise<void> {
  await tx("retention_state").where({ id: 1 }).increment("epoch", 1);
}

export async function retentionEpoch(db: Tx): Promise<{ epoch: number; assignedEpoch: number }> {
  const r = await db("retention_state").where({ id: 1 }).first();
  return { epoch: Number(r.epoch), assignedEpoch: Number(r.assigned_epoch) };
}

const ruleOf = (v: PolicyVersionRow): Rule => ({
  versionId: v.id,
  kind: v.kind,
  organizationId: v.organization_id,
  trigger: v.trigger as Rule["trigger"],
  event: v.event,
  periodMonths: Number(v.period_months),
  endAction: v.end_action as Rule["endAction"],
});

/** What decides retain-until dates now: the active rule versions, and each party's contract end, early destruction and events. */
export async function retentionFacts(db: Tx, config: Config): Promise<RetentionFacts> {
  // One after another: inside a transaction they share one connection.
  const versions: PolicyVersionRow[] = await db("retention_policy_versions").where({ state: "active" });
  const orgs = await db("organizations")
    .where((w) =>
      w.whereNotNull("contract_ended_on").orWhereNotNull("early_destruction_on").orWhereNotNull("time_zone"),
    )
    .select("id", "contract_ended_on", "early_destruction_on", "early_destruction_before", "time_zone");
  const events = await db("retention_events").select(
    "event",
    "organization_id",
    "counterparty_organization_id",
    "occurred_on",
  );
  const parties = new Map<string, PartyFacts>();
  const party = (id: string) => {
    let p = parties.get(id);
    if (!p)
      parties.set(
        id,
        (p = { contractEndedOn: null, earlyDestructionOn: null, earlyDestructionBefore: null, events: new Map() }),
      );
    return p;
  };
  for (const o of orgs)
    Object.assign(party(o.id), {
      contractEndedOn: o.contract_ended_on,
      earlyDestructionOn: o.early_destruction_on,
      earlyDestructionBefore: o.early_destruction_before,
      timeZone: o.time_zone ?? null,
    });
  for (const e of events) {
    const p = party(e.organization_id);
    p.events.set(e.event, [
      ...(p.events.get(e.event) ?? []),
      { on: e.occurred_on, counterpartyId: e.counterparty_organization_id },
    ]);
  }
  return {
    rules: versions.map(ruleOf),
    parties,
    defaultMonths: config.retention.defaultMonths,
    afterContractMonths: config.retention.afterContractMonths,
  };
}

/**
 * The facts of the epoch last read, kept by the appliance for registrations: every change to a
 * fact (rule versions, contract ends, early destruction, events) bumps the epoch in its own
 * transaction, so facts read under an epoch stay true until the epoch moves.
 */
export class RetentionFactsCache {
  private held: { epoch: number; facts: RetentionFacts } | null = null;

  async get(tx: Tx, config: Config, epoch: number): Promise<RetentionFacts> {
    if (this.held?.epoch === epoch) return this.held.facts;
    const facts = await retentionFacts(tx, config);
    this.held = { epoch, facts };
    return facts;
  }

  /** The facts of `epoch` when they are the ones held, else null (nothing is read). */
  at(epoch: number): RetentionFacts | null {
    return this.held?.epoch === epoch ? this.held.facts : null;
  }
}

/** The retention columns of documents being registered, under `facts`. */
export function retentionColumns(facts: RetentionFacts) {
  return (docs: RetainedDocument[]) =>
    docs.map((d) => {
      const r = retentionOf(d, facts);
      return { retain_until: r.retainUntil, retention_version_id: r.versionId, retention_action: r.action };
    });
}

/**
 * The retention columns for documents being registered, as a function of the documents: the facts
 * are read first, so a registration can read them together with its other reads. Reads the epoch
 * FOR SHARE on PostgreSQL, so a policy change (which bumps it) waits for registrations in flight
 * and the assigner that follows it sees their rows. With a cache, the facts are read only when the
 * epoch has moved.
 */
export async function retentionForRegistration(tx: Tx, config: Config, cache?: RetentionFactsCache) {
  const [{ epoch }] = await sqlRows<{ epoch: number | string }>(
    tx,
    `select "epoch" from "retention_state" where "id" = 1${isPostgres(tx) ? " for share" : ""}`,
  );
  return retentionColumns(cache ? await cache.get(tx, config, Number(epoch)) : await retentionFacts(tx, config));
}
