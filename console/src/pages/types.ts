// Shapes of the API's answers the console reads (the fields it uses; see /api/v1/openapi.json).
export interface DocumentFile {
  id: string;
  name: string;
  mediaType: string;
  sha256: string;
  size: number;
}
export interface DocumentView {
  id: string;
  kind: string;
  direction: string;
  status: string;
  title: string | null;
  number: string | null;
  date: string | null;
  currency: string | null;
  total: string | null;
  fields: Record<string, unknown>;
  sender: { organizationId: string; branchId: string; name: string };
  recipient: { organizationId: string; branchId: string | null; name: string } | null;
  content: DocumentFile | null;
  attachments: DocumentFile[];
  totalBytes: number;
  createdAt: string;
  sentAt: string | null;
  frozen: boolean;
  respondBy: string | null;
  retention?: { retainUntil: string | null; endAction: string | null };
  annulmentRequestedBy: string | null;
  version: number;
}
export interface Organization {
  id: string;
  name: string;
  country: string;
  kind: "legal_entity" | "sole_proprietor" | "individual";
  bin: string | null;
  edrpou: string | null;
  rnokpp: string | null;
  external: boolean;
  status: string;
  blockReason: string | null;
  totpRequired: boolean;
  headOfficeId: string | null;
}
export interface Branch {
  id: string;
  organizationId: string;
  parentId: string | null;
  name: string;
  headOffice: boolean;
  depth: number;
  status: string;
  blockReason: string | null;
  children: Branch[];
}
export interface User {
  id: string;
  login: string;
  iin: string | null;
  email: string;
  fullName: string;
  status: string;
  language: string;
  totpEnabled: boolean;
  lastLoginAt: string | null;
  roles: Array<{ id: string; role: string; organizationId: string | null; branchId: string | null }>;
}

export { KINDS, STATUSES } from "../../../server/domain/shared/vocabulary.js";
import { defaultTitle } from "../../../server/domain/shared/vocabulary.js";
import type { MessageKey } from "../i18n/en.js";
import { formatDay, t } from "../i18n/i18n.js";

/**
 * A document's title as the reader reads it: the sender's own title as he wrote it, or — when he
 * gave none and the server composed its English default — the same facts in the reader's words.
 */
export function titleOf(d: Pick<DocumentView, "title" | "kind" | "fields" | "number" | "date">): {
  text: string;
  own: boolean;
} {
  const f = d.fields as { number?: string; date?: string };
  if (d.title && d.title !== defaultTitle(d.kind as Parameters<typeof defaultTitle>[0], f))
    return { text: d.title, own: true };
  const kind = t(`kind.${d.kind}` as MessageKey);
  const number = f.number ?? d.number;
  const date = f.date ?? d.date;
  if (number && date) return { text: t("form.heading", { kind, number, date: formatDay(date) }), own: false };
  return { text: number ? `${kind} ${number}` : kind, own: false };
}
export const ACCOUNTING_KINDS = ["invoice", "act_of_work", "waybill"];
/**
 * A date field's day (YYYY-MM-DD, the person's local day) as the API's period bound: its first
 * moment for `from`, its last for `to` (inclusive, as people read "to").
 */
export const dayBound = (day: string | null | undefined, end = false) =>
  day ? new Date(day + (end ? "T23:59:59.999" : "T00:00:00")).toISOString() : undefined;

/** Flattens a branch tree, parents before children. */
export const flattenBranches = (roots: Branch[]): Branch[] => roots.flatMap((b) => [b, ...flattenBranches(b.children)]);

/** The tone of a document's status badge: done, refused, waiting on someone, under way, or gone. */
export function statusTone(status: string): "good" | "bad" | "wait" | "info" | "quiet" {
  if (["signed_by_recipient", "accepted_by_silence", "approved"].includes(status)) return "good";
  if (["rejected", "annulled", "returned"].includes(status)) return "bad";
  if (["on_approval", "clarification_requested", "annulment_requested", "signing"].includes(status)) return "wait";
  if (["sent", "delivered"].includes(status)) return "info";
  return "quiet"; // draft, destroyed
}

/** The person's work queues among the boxes, counted by the server for the tabs and the menu. */
export type Queues = Record<"approval" | "signing" | "answer" | "deemed", number>;
export const NO_QUEUES: Queues = { approval: 0, signing: 0, answer: 0, deemed: 0 };
