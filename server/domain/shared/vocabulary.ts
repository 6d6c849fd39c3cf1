// The words the server and the console share (SPEC R2.3, R2.5): document kinds and lifecycle
// statuses. Plain lists with no imports, so the console's forms and filters use these very lists.

export const KINDS = [
  "invoice",
  "act_of_work",
  "reconciliation_act",
  "waybill",
  "contract",
  "supplementary_agreement",
  "letter",
  "arbitrary",
] as const;

export const STATUSES = [
  "draft",
  "on_approval",
  "returned",
  "approved",
  "signing",
  "sent",
  "delivered",
  "signed_by_recipient",
  "rejected",
  "clarification_requested",
  "accepted_by_silence",
  "annulment_requested",
  "annulled",
  // destroyed under retention (R5.5): a tombstone, no content, no moves
  "destroyed",
] as const;
