// Reading documents: one by id, its files, and the boxes (SPEC R2.10) with keyset pagination.
import { DAY } from "../../clock.js";
import type { Tx } from "../../storage/db.js";
import type { Actor, Role } from "../identity/roles.js";
import { RESPONDER_ROLES, SIGNER_ROLES, type DocumentSides } from "./policy.js";
import type { EventRow, ReceiptRow } from "./presenters.js";

export interface DocumentRow {
  id: string;
  kind: string;
  direction: string;
  status: string;
  title: string;
  number: string | null;
  doc_date: string | null;
  doc_year: number | null;
  currency: string | null;
  total: string | null;
  fields: string;
  sender_organization_id: string;
  sender_branch_id: string;
  sender_branch_path: string;
  sender_name: string;
  recipient_organization_id: string | null;
  recipient_branch_id: string | null;
  recipient_branch_path: string | null;
  recipient_name: string | null;
  content_sha256: string;
  content_name: string;
  content_type: string;
  content_size: number | string;
  total_bytes: number | string;
  created_by_type: string;
  created_by: string;
  created_at: string;
  updated_at: string;
  sent_at: string | null;
  frozen_at: string | null;
  version: number;
  respond_by: string | null;
  annulment_prior_status: string | null;
  annulment_requested_by: string | null;
  recipient_email: string | null;
  retain_until?: string | null;
  retention_version_id?: string | null;
  retention_action?: string;
  /** the lowercased text a box's search matches, per side (registration writes them) */
  search_as_sender?: string;
  search_as_recipient?: string;
}

export interface DocumentFileRow {
  id: string;
  document_id: string;
  role: "content" | "attachment";
  position: number;
  name: string;
  media_type: string;
  size: number | string;
  sha256: string;
}

/** Statuses in which the recipient side has the document (it has been sent). */
export const DELIVERED_STATUSES = [
  "sent",
  "delivered",
  "signed_by_recipient",
  "rejected",
  "clarification_requested",
  "accepted_by_silence",
  "annulment_requested",
  "annulled",
];
export const DRAFT_STATUSES = ["draft", "on_approval", "returned", "approved", "signing"];

export function documentSides(d: DocumentRow): DocumentSides {
  const reached = d.recipient_organization_id !== null && DELIVERED_STATUSES.includes(d.status);
  return {
    id: d.id,
    sender: { organizationId: d.sender_organization_id, branchPath: d.sender_branch_path },
    recipient: reached ? { organizationId: d.recipient_organization_id!, branchPath: d.recipient_branch_path! } : null,
  };
}

export async function documentById(db: Tx, id: string): Promise<DocumentRow | null> {
  return (await db("documents").where({ id }).first()) ?? null;
}

export async function documentFiles(db: Tx, documentId: string): Promise<DocumentFileRow[]> {
  return db("document_files")
    .where({ document_id: documentId })
    .orderBy([{ column: "role", order: "desc" }, { column: "position" }]);
}

export async function documentFilesOf(db: Tx, ids: string[]): Promise<Map<string, DocumentFileRow[]>> {
  const rows: DocumentFileRow[] = ids.length
    ? await db("document_files").whereIn("document_id", ids).orderBy("position")
    : [];
  const map = new Map<string, DocumentFileRow[]>();
  for (const r of rows) (map.get(r.document_id) ?? map.set(r.document_id, []).get(r.document_id)!).push(r);
  return map;
}

export async function numberTaken(
  db: Tx,
  organizationId: string,
  kind: string,
  year: number,
  number: string,
): Promise<boolean> {
  return Boolean(
    await db("documents").where({ sender_organization_id: organizationId, kind, doc_year: year, number }).first("id"),
  );
}

/**
 * The boxes, and the person's work queues among them:
 * - approval: documents whose current approval step waits for this person's own decision;
 * - signing: approved documents of a branch he signs for (SPEC R1.2) that nobody has signed yet
 *   (the first signature moves a document on to "signing", and out of every signer's queue);
 * - answer: received documents waiting for his side's signature or reasoned refusal (R2.5), where
 *   he may answer for the receiving branch — also while it waits for a clarification it asked for;
 * - deemed: the part of those deemed accepted by silence within DEEMED_WARNING_DAYS (R2.6).
 */
export const BOXES = ["inbox", "outbox", "internal", "drafts", "approval", "signing", "answer", "deemed"] as const;
export type Box = (typeof BOXES)[number];
export type Queue = "approval" | "signing" | "answer" | "deemed";

/** How close a deemed-acceptance deadline must be for the document to enter the "deemed" queue. */
export const DEEMED_WARNING_DAYS = 3;
const ANSWER_STATUSES = ["sent", "delivered", "clarification_requested"];

export interface BoxFilter {
  box: Box;
  status?: string;
  kind?: string;
  counterparty?: string; // organization id
  from?: string;
  to?: string;
  q?: string;
  after?: { createdAt: string; id: string };
  limit: number;
  /** the request's time, for the deemed queue's horizon */
  now?: Date;
}

/**
 * The organizations and branch subtrees an actor's grants reach: [organizationId, pathPrefix | null];
 * with `roles`, only through those roles (a queue is the work of those who may do it).
 */
function scopes(actor: Actor, roles?: readonly Role[]): Array<[string, string | null]> {
  return actor.grants
    .filter((g) => g.organizationId !== null && (!roles || roles.includes(g.role)))
    .map((g) => [g.organizationId!, g.branchPath]);
}

/** Which roles a box is restricted to, and which side of the document it looks at. */
const QUEUE_SCOPE: Partial<Record<Box, { roles: readonly Role[]; side: "sender" | "recipient" }>> = {
  signing: { roles: SIGNER_ROLES, side: "sender" },
  answer: { roles: RESPONDER_ROLES, side: "recipient" },
  deemed: { roles: RESPONDER_ROLES, side: "recipient" },
};
const sideOf = (box: Box) => QUEUE_SCOPE[box]?.side ?? (box === "inbox" ? "recipient" : "sender");

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => "\\" + c);

/**
 * One box, newest first. The sender or recipient side's (organization, created_at, id) index
 * drives the scan in order; the branch subtree, status and text filters only thin it out.
 */
export async function boxPage(db: Tx, actor: Actor, f: BoxFilter): Promise<DocumentRow[]> {
  const side = sideOf(f.box);
  const q = boxQuery(db, actor, f.box, f.now ?? new Date());
  if (!q) return [];
  q.select("documents.*");
  if (f.status) q.where("status", f.status);
  if (f.kind) q.where("kind", f.kind);
  if (f.counterparty)
    q.where(side === "sender" ? "recipient_organization_id" : "sender_organization_id", f.counterparty);
  if (f.from) q.where("created_at", ">=", f.from);
  if (f.to) q.where("created_at", "<", f.to);
  // Number, title and the other side's name, lower-cased in JavaScript at write time (SQLite's
  // lower() knows only ASCII, and names here are Kazakh, Russian and Ukrainian).
  if (f.q) q.whereRaw(`search_as_${side} like ? escape '\\'`, ["%" + escapeLike(f.q.toLocaleLowerCase()) + "%"]);
  if (f.after) {
    const { createdAt, id } = f.after;
    q.where((w) =>
      w.where("created_at", "<", createdAt).orWhere((e) => e.where("created_at", createdAt).where("id", "<", id)),
    );
  }
  return q
    .orderBy([
      { column: "created_at", order: "desc" },
      { column: "id", order: "desc" },
    ])
    .limit(f.limit);
}

/** The documents of one box for this actor, before filters and order; null when he has no place to look. */
function boxQuery(db: Tx, actor: Actor, box: Box, now: Date) {
  const scope = QUEUE_SCOPE[box];
  const mine = scopes(actor, scope?.roles);
  if (mine.length === 0) return null;
  const side = sideOf(box);
  const q = db("documents");
  // Internal documents are listed to both the sending and the receiving branch.
  const sides = box === "internal" ? ["sender", "recipient"] : [side];
  q.where((w) => {
    for (const s of sides) {
      for (const [org, path] of mine) {
        w.orWhere((c) => {
          c.where(`${s}_organization_id`, org);
          if (path) c.where(`${s}_branch_path`, "like", escapeLike(path) + "%");
        });
      }
    }
  });
  switch (box) {
    case "inbox":
      return q.whereIn("status", DELIVERED_STATUSES).whereNot("direction", "internal");
    case "outbox":
      return q.whereIn("status", DELIVERED_STATUSES).where("direction", "outgoing");
    case "internal":
      return q.whereIn("status", DELIVERED_STATUSES).where("direction", "internal");
    case "drafts":
      return q.whereIn("status", DRAFT_STATUSES);
    case "approval":
      return q.where("status", "on_approval").whereExists(awaitingDecisionOf(db, actor));
    case "signing":
      return q.where("status", "approved");
    case "answer":
      return q.whereIn("status", ANSWER_STATUSES);
    case "deemed": {
      const horizon = new Date(now.getTime() + DEEMED_WARNING_DAYS * DAY).toISOString();
      return q.whereIn("status", ANSWER_STATUSES).whereNotNull("respond_by").where("respond_by", "<=", horizon);
    }
  }
}

/** The person's undecided place on a document's active approval step (for a documents query). */
function awaitingDecisionOf(db: Tx, actor: Actor) {
  return db("document_approvers as a")
    .join("document_approval_steps as s", "s.id", "a.step_id")
    .whereRaw("a.document_id = documents.id")
    .where("a.user_id", actor.userId ?? "")
    .whereNull("a.decision")
    .where("s.status", "active")
    .select(db.raw("1"));
}

/** How many documents wait in each of this person's work queues (the menu's counts). */
export async function queueCounts(db: Tx, actor: Actor, now: Date): Promise<Record<Queue, number>> {
  const counts: Record<Queue, number> = { approval: 0, signing: 0, answer: 0, deemed: 0 };
  if (!actor.userId) return counts;
  for (const queue of Object.keys(counts) as Queue[]) {
    const q = boxQuery(db, actor, queue, now);
    if (!q) continue;
    const [row] = await q.count({ n: "*" });
    counts[queue] = Number(row?.n ?? 0);
  }
  return counts;
}

export const receiptsOf = (db: Tx, documentId: string): Promise<ReceiptRow[]> =>
  db("document_receipts").where({ document_id: documentId }).orderBy("at");
export const eventsOf = (db: Tx, documentId: string): Promise<EventRow[]> =>
  db("document_events").where({ document_id: documentId }).orderBy("id");

/** Whether any document's file is these bytes (a refused upload may remove only bytes nobody has). */
export const fileReferenced = (db: Tx, sha256: string) =>
  db("document_files")
    .where({ sha256 })
    .first("id")
    .then((row: unknown) => Boolean(row));

/** The organizations these ones last sent documents to, most recent first, with when (the picker's "recently used"). */
export async function recentRecipients(
  db: Tx,
  organizationIds: string[],
  limit: number,
): Promise<Array<{ organizationId: string; lastAt: string }>> {
  if (!organizationIds.length) return [];
  const rows: Array<{ id: string; last: string }> = await db("documents")
    .whereIn("sender_organization_id", organizationIds)
    .whereNotNull("recipient_organization_id")
    .whereNotIn("recipient_organization_id", organizationIds)
    .groupBy("recipient_organization_id")
    .select("recipient_organization_id as id", db.raw("max(created_at) as last"))
    .orderBy("last", "desc")
    .limit(limit);
  return rows.map((r) => ({ organizationId: r.id, lastAt: r.last }));
}
