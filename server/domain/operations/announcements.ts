// Maintenance announcements (SPEC R6.1, R6.2): a system administrator announces a window; every
// signed-in user is shown the current and coming ones, and everyone is e-mailed.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { notFound, StateConflictError, ValidationError } from "../../errors.js";
import { notificationWriter } from "../../mail/outbox.js";
import type { Tx } from "../../storage/db.js";
import { audit, nowIso, type CommandContext } from "../context.js";
import { authorize } from "../identity/policy.js";
import { localMinute } from "../shared/zones.js";
import { displayName } from "../shared/text.js";

export interface AnnouncementRow {
  id: string;
  title: string;
  body: string;
  starts_at: string;
  ends_at: string;
  created_by: string | null;
  created_at: string;
  withdrawn_at: string | null;
}

export const AnnouncementInput = z.strictObject({
  title: displayName(200),
  body: z.string().trim().max(5000).default(""),
  startsAt: z.iso.datetime({ offset: true }),
  endsAt: z.iso.datetime({ offset: true }),
  /** e-mail everyone (default) */
  notify: z.boolean().default(true),
});

export const presentAnnouncement = (a: AnnouncementRow) => ({
  id: a.id,
  title: a.title,
  body: a.body,
  startsAt: a.starts_at,
  endsAt: a.ends_at,
  createdAt: a.created_at,
  withdrawnAt: a.withdrawn_at,
});

export async function announcementCreator(ctx: CommandContext, p: z.infer<typeof AnnouncementInput>) {
  authorize(ctx.actor, "announcement.manage", { type: "appliance" });
  const startsAt = new Date(p.startsAt).toISOString();
  const endsAt = new Date(p.endsAt).toISOString();
  if (endsAt <= startsAt)
    throw new ValidationError("invalid_period", "endsAt must be after startsAt", { field: "endsAt" });
  if (endsAt <= nowIso(ctx))
    throw new ValidationError("date_in_past", "The window has already ended", { field: "endsAt" });
  const row: AnnouncementRow = {
    id: randomUUID(),
    title: p.title,
    body: p.body,
    starts_at: startsAt,
    ends_at: endsAt,
    created_by: ctx.actor.userId,
    created_at: nowIso(ctx),
    withdrawn_at: null,
  };
  await ctx.tx("announcements").insert(row);
  if (p.notify) {
    // The window in the appliance's local time (004 §2.4.3: Saturday/Sunday 23:00–03:00 local).
    const fmt = (iso: string) => localMinute(new Date(iso), ctx.config.server.timeZone);
    await notificationWriter(ctx.tx, ctx.clock, [
      {
        topic: "maintenance.announcement",
        to: { everyone: true },
        payload: { title: p.title, body: p.body, startsAt: fmt(startsAt), endsAt: fmt(endsAt) },
      },
    ]);
  }
  await audit(ctx, {
    action: "announcement.create",
    target: { type: "announcement", id: row.id },
    details: { title: p.title, startsAt, endsAt },
  });
  return row;
}

export async function announcementWithdrawer(ctx: CommandContext, id: string) {
  authorize(ctx.actor, "announcement.manage", { type: "appliance" });
  const row: AnnouncementRow | undefined = await ctx.tx("announcements").where({ id }).first();
  if (!row) throw notFound();
  if (row.withdrawn_at) throw new StateConflictError("announcement_withdrawn", "Already withdrawn");
  await ctx
    .tx("announcements")
    .where({ id })
    .update({ withdrawn_at: nowIso(ctx) });
  await audit(ctx, { action: "announcement.withdraw", target: { type: "announcement", id } });
}

/** What every signed-in user is shown: windows not yet over, soonest first. */
export function currentAnnouncements(tx: Tx, now: Date): Promise<AnnouncementRow[]> {
  return tx("announcements")
    .whereNull("withdrawn_at")
    .where("ends_at", ">", now.toISOString())
    .orderBy("starts_at")
    .limit(20);
}
