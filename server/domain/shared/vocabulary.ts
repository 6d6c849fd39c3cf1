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

const TITLES: Record<(typeof KINDS)[number], string> = {
  invoice: "Invoice for payment",
  act_of_work: "Act of completed works",
  reconciliation_act: "Reconciliation act",
  waybill: "Waybill",
  contract: "Contract",
  supplementary_agreement: "Supplementary agreement",
  letter: "Official letter",
  arbitrary: "Document",
};

/**
 * "Invoice for payment No. 17 of 2026-03-02" when the sender gave no title: stored in English, as
 * the API has always answered; the console recognises it and shows the reader's own words.
 */
export function defaultTitle(kind: (typeof KINDS)[number], fields: { number?: string; date?: string }): string {
  return [TITLES[kind], fields.number && `No. ${fields.number}`, fields.date && `of ${fields.date}`]
    .filter(Boolean)
    .join(" ");
}
