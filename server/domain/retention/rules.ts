// How long a document is kept (SPEC R5.1, R5.2) — pure, so registration, re-assignment and the
// tests share one answer.
//
// Each party of a document (its sender's and its recipient's organization) has its own duty:
//  - the rules that match it: its kind (or every kind) and that organization (or every one); with
//    none, the default rule (retention.defaultMonths from registration, then destroy);
//  - each rule gives a date: its trigger's date plus its period. The triggers are the registration
//    date, the document's own date, the contract's end (a contract's validUntil; for other kinds
//    the party's contract with the operator), or a recorded event (e.g. the relationship with the
//    counterparty ended). A trigger that has not happened yet gives no date: the document is kept;
//  - the longest retention wins: the latest date, and a rule still waiting for its trigger beats
//    every date;
//  - after the party's contract with the operator ends its documents stay readable for
//    retention.afterContractMonths (R5.2): the duty lasts at least that long;
//  - an approved early destruction (R5.2) replaces the party's duty for documents registered before
//    it was requested.
// The document is kept until the later of its parties' duties. On a tie a `review` end action beats
// `destroy`: when in doubt a person looks first.

import { addMonths } from "../shared/days.js";
import { applianceDay, localDay } from "../shared/zones.js";

export const TRIGGERS = ["registration", "document_date", "contract_end", "event"] as const;
export type Trigger = (typeof TRIGGERS)[number];
export const END_ACTIONS = ["destroy", "review"] as const;
export type EndAction = (typeof END_ACTIONS)[number];

export interface Rule {
  versionId: string | null;
  kind: string | null;
  organizationId: string | null;
  trigger: Trigger;
  event: string | null;
  periodMonths: number;
  endAction: EndAction;
}

export interface PartyFacts {
  /** the party's own IANA zone: its days (a registration's) are counted there; null: the appliance's */
  timeZone?: string | null;
  contractEndedOn: string | null;
  earlyDestructionOn: string | null;
  earlyDestructionBefore: string | null;
  /** event name → recorded occurrences */
  events: Map<string, Array<{ on: string; counterpartyId: string | null }>>;
}

export interface RetentionFacts {
  rules: Rule[];
  parties: Map<string, PartyFacts>;
  defaultMonths: number;
  afterContractMonths: number;
}

export interface RetainedDocument {
  kind: string;
  created_at: string;
  doc_date: string | null;
  fields: string | Record<string, unknown>;
  sender_organization_id: string;
  recipient_organization_id: string | null;
}

export interface Retention {
  retainUntil: string | null;
  versionId: string | null;
  action: EndAction;
}

const NO_PARTY: PartyFacts = {
  contractEndedOn: null,
  earlyDestructionOn: null,
  earlyDestructionBefore: null,
  events: new Map(),
};

/** null: kept until a trigger happens. Compared as strings (ISO dates), null above every date. */
const later = (a: Retention, b: Retention): Retention => {
  if (a.retainUntil === b.retainUntil) return a.action === "review" ? a : b;
  if (a.retainUntil === null) return a;
  if (b.retainUntil === null) return b;
  return a.retainUntil > b.retainUntil ? a : b;
};

function validUntilOf(doc: RetainedDocument): string | null {
  if (doc.kind !== "contract") return null;
  const f = typeof doc.fields === "string" ? JSON.parse(doc.fields) : doc.fields;
  return typeof f?.validUntil === "string" ? f.validUntil : null;
}

const registeredOn = (doc: RetainedDocument, party: PartyFacts) =>
  party.timeZone ? localDay(new Date(doc.created_at), party.timeZone) : applianceDay(new Date(doc.created_at));

function triggerDate(
  rule: Rule,
  doc: RetainedDocument,
  party: PartyFacts,
  counterpartyId: string | null,
): string | null {
  switch (rule.trigger) {
    // A registration's day is the party's local one (SPEC R5.1, R2.6), not UTC's.
    case "registration":
      return registeredOn(doc, party);
    case "document_date":
      return doc.doc_date ?? registeredOn(doc, party);
    case "contract_end":
      return validUntilOf(doc) ?? party.contractEndedOn;
    case "event": {
      const seen = (party.events.get(rule.event ?? "") ?? []).filter(
        (e) => e.counterpartyId === null || e.counterpartyId === counterpartyId,
      );
      return seen.length ? seen.map((e) => e.on).sort()[0] : null;
    }
  }
}

function partyDuty(
  doc: RetainedDocument,
  organizationId: string,
  counterpartyId: string | null,
  facts: RetentionFacts,
): Retention {
  const party = facts.parties.get(organizationId) ?? NO_PARTY;
  if (party.earlyDestructionOn && party.earlyDestructionBefore && doc.created_at < party.earlyDestructionBefore) {
    return { retainUntil: party.earlyDestructionOn, versionId: null, action: "destroy" };
  }
  const matching = facts.rules.filter(
    (r) =>
      (r.kind === null || r.kind === doc.kind) && (r.organizationId === null || r.organizationId === organizationId),
  );
  const rules: Rule[] = matching.length
    ? matching
    : [
        {
          versionId: null,
          kind: null,
          organizationId: null,
          trigger: "registration",
          event: null,
          periodMonths: facts.defaultMonths,
          endAction: "destroy",
        },
      ];
  let duty: Retention | null = null;
  for (const r of rules) {
    const start = triggerDate(r, doc, party, counterpartyId);
    const d: Retention = {
      retainUntil: start === null ? null : addMonths(start, r.periodMonths),
      versionId: r.versionId,
      action: r.endAction,
    };
    duty = duty ? later(duty, d) : d;
  }
  if (party.contractEndedOn && duty!.retainUntil !== null) {
    const access = addMonths(party.contractEndedOn, facts.afterContractMonths);
    if (access > duty!.retainUntil) duty = { ...duty!, retainUntil: access };
  }
  return duty!;
}

export function retentionOf(doc: RetainedDocument, facts: RetentionFacts): Retention {
  const sender = partyDuty(doc, doc.sender_organization_id, doc.recipient_organization_id, facts);
  if (!doc.recipient_organization_id || doc.recipient_organization_id === doc.sender_organization_id) return sender;
  return later(sender, partyDuty(doc, doc.recipient_organization_id, doc.sender_organization_id, facts));
}
