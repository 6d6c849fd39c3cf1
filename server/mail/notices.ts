// The notice centre (SPEC R6.2): every notice a person gets by mail is also his to see in the
// console, with its read state — and its first display counts as its delivery, so whatever counts
// from a notice (a block 3 days after the overdue notice, SPEC R4.4) counts from the moment it
// really reached someone: the SMTP server took it, or it was shown on screen.
import type { Clock } from "../clock.js";
import type { Tx } from "../storage/db.js";
import { rolesFor } from "./dispatcher.js";
import type { OutboxRow } from "./outbox.js";
import { LANGUAGES, render, type Language } from "./templates.js";

/** Payload fields the console never shows (the invitation link is a secret of its addressee's mail). */
const HIDDEN = ["token", "link"];

export interface NoticeView {
  id: number;
  topic: string;
  /** the mail's subject and text in the person's language (without the mail's links) */
  subject: string;
  text: string;
  documentId: string | null;
  payload: Record<string, unknown>;
  createdAt: string;
  deliveredAt: string | null;
  shownAt: string | null;
  readAt: string | null;
}

/**
 * The notices addressed to this user, newest first: to him by id, to everyone, or to a branch his
 * grant reaches (its own or an ancestor's) with a role the topic concerns — as the dispatcher
 * resolves them. Mail to outside addresses (invitations) is not anyone's here.
 */
export async function noticesFor(db: Tx, userId: string, limit: number): Promise<NoticeView[]> {
  const user: { language: string } | undefined = await db("users").where({ id: userId }).first("language");
  const language = (LANGUAGES as readonly string[]).includes(user?.language ?? "")
    ? (user!.language as Language)
    : "ru";
  const grants: Array<{ organization_id: string | null; role: string; path: string | null }> = await db(
    "role_grants as g",
  )
    .leftJoin("branches as b", "b.id", "g.branch_id")
    .where("g.user_id", userId)
    .select("g.organization_id", "g.role", "b.path");
  const orgs = [...new Set(grants.map((g) => g.organization_id).filter((o): o is string => Boolean(o)))];
  const rows: Array<OutboxRow & { branch_path: string | null; shown_at: string | null; read_at: string | null }> =
    await db("outbox as o")
      .leftJoin("branches as nb", "nb.id", "o.branch_id")
      .leftJoin("notice_views as v", (j) => j.on("v.outbox_id", "o.id").andOnVal("v.user_id", userId))
      .whereNull("o.email")
      .where((w) => {
        w.where("o.user_id", userId)
          .orWhere((e) => e.whereNull("o.user_id").whereNull("o.organization_id").whereNull("o.branch_id"))
          .orWhereIn("o.organization_id", orgs);
      })
      .orderBy("o.id", "desc")
      .limit(limit * 4)
      .select("o.*", "nb.path as branch_path", "v.shown_at", "v.read_at");
  const mine = rows.filter((r) => {
    if (r.user_id) return r.user_id === userId;
    if (!r.organization_id) return true;
    const roles = rolesFor(r.topic);
    return grants.some(
      (g) =>
        g.organization_id === r.organization_id &&
        roles.includes(g.role) &&
        (g.path === null || (r.branch_path ?? "").startsWith(g.path)),
    );
  });
  return mine.slice(0, limit).map((r) => {
    const payload = Object.fromEntries(Object.entries(JSON.parse(r.payload)).filter(([k]) => !HIDDEN.includes(k)));
    let subject = r.topic;
    let text = "";
    try {
      const m = render(r.topic, language, { ...payload, link: "" });
      subject = m.subject;
      text = m.text
        .split("\n")
        .filter((l) => l.trim() !== "")
        .join("\n");
    } catch {
      /* a topic without a template shows its name */
    }
    return {
      id: r.id,
      topic: r.topic,
      subject,
      text,
      documentId: r.document_id,
      payload,
      createdAt: r.created_at,
      deliveredAt: r.delivered_at,
      shownAt: r.shown_at,
      readAt: r.read_at,
    };
  });
}

/** These notices were shown to the user: each one's first display is kept, and delivers it if mail has not. */
export async function noticesShownRecorder(tx: Tx, clock: Clock, userId: string, ids: number[]): Promise<number> {
  const visible = new Set((await noticesFor(tx, userId, 500)).map((n) => n.id));
  const fresh = ids.filter((id) => visible.has(id));
  if (fresh.length === 0) return 0;
  const now = clock.now().toISOString();
  const seen: number[] = await tx("notice_views")
    .where({ user_id: userId })
    .whereIn("outbox_id", fresh)
    .pluck("outbox_id");
  const rows = fresh
    .filter((id) => !seen.includes(id))
    .map((id) => ({ outbox_id: id, user_id: userId, shown_at: now }));
  if (rows.length) await tx("notice_views").insert(rows);
  await tx("outbox").whereIn("id", fresh).whereNull("delivered_at").update({ delivered_at: now });
  return rows.length;
}

/** Marks one notice read (shown too, if it was not); false when it is not this user's. */
export async function noticeReader(tx: Tx, clock: Clock, userId: string, id: number): Promise<boolean> {
  if ((await noticesShownRecorder(tx, clock, userId, [id])) === 0) {
    const view = await tx("notice_views").where({ outbox_id: id, user_id: userId }).first();
    if (!view) return false;
  }
  await tx("notice_views")
    .where({ outbox_id: id, user_id: userId })
    .whereNull("read_at")
    .update({ read_at: clock.now().toISOString() });
  return true;
}

/** How many of the user's notices he has not read. */
export async function unreadNotices(db: Tx, userId: string): Promise<number> {
  return (await noticesFor(db, userId, 200)).filter((n) => !n.readAt).length;
}
