// Reading documents: one by id, its files, and the boxes (SPEC R2.10) with keyset pagination.
import type { Tx } from "../../storage/db.js";
import type { Actor } from "../identity/roles.js";
import type { DocumentSides } from "./policy.js";
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

/** approval: documents whose current approval step waits for this person's own decision (a work queue) */
export type Box = "inbox" | "outbox" | "internal" | "drafts" | "approval";

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
}

/** The organizations and branch subtrees an actor's grants reach: [organizationId, pathPrefix | null]. */
function scopes(actor: Actor): Array<[string, string | null]> {
  return actor.grants.filter((g) => g.organizationId !== null).map((g) => [g.organizationId!, g.branchPath]);
}

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => "\\" + c);

/**
 * One box, newest first. The sender or recipient side's (organization, created_at, id) index
 * drives the scan in order; the branch subtree, status and text filters only thin it out.
 */
export async function boxPage(db: Tx, actor: Actor, f: BoxFilter): Promise<DocumentRow[]> {
  const side = f.box === "inbox" ? "recipient" : "sender";
  const mine = scopes(actor);
  if (mine.length === 0) return [];
  const q = db("documents").select("*");
  // Internal documents are listed to both the sending and the receiving branch.
  const sides = f.box === "internal" ? ["sender", "recipient"] : [side];
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
  if (f.box === "inbox") q.whereIn("status", DELIVERED_STATUSES).whereNot("direction", "internal");
  if (f.box === "outbox") q.whereIn("status", DELIVERED_STATUSES).where("direction", "outgoing");
  if (f.box === "internal") q.whereIn("status", DELIVERED_STATUSES).where("direction", "internal");
  if (f.box === "drafts") q.whereIn("status", DRAFT_STATUSES);
  if (f.box === "approval") q.where("status", "on_approval").whereExists(awaitingDecisionOf(db, actor));
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

/** How many documents wait for this person's approval decision (the menu's count). */
export async function approvalQueueCount(db: Tx, actor: Actor): Promise<number> {
  if (!actor.userId) return 0;
  const [row] = await db("documents")
    .where("status", "on_approval")
    .whereExists(awaitingDecisionOf(db, actor))
    .count({ n: "*" });
  return Number(row?.n ?? 0);
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
