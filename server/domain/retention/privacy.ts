// Personal data (SPEC R5.3, R5.6): what the appliance holds about a user, his export, his erasure,
// and the removal of accounts unused for retention.inactiveMonths.
//
// Removing or erasing an account pseudonymizes it: the row stays under its id — the stable
// pseudonymous id his signatures, audit entries and documents keep pointing to — while his name,
// login, e-mail, IIN, credentials, roles, sessions and sign-in history go. Documents are never
// touched: what he registered or signed is the organizations' record, kept under retention.
import { Readable } from "node:stream";
import yazl from "yazl";
import { DAY, type Clock } from "../../clock.js";
import type { Config } from "../../config/index.js";
import { notFound, StateConflictError } from "../../errors.js";
import type { Db, Tx } from "../../storage/db.js";
import { noticeDeliveredSince, notificationWriter } from "../../mail/outbox.js";
import { presentAuditEntry } from "../audit/queries.js";
import { audit, nowIso, type CommandContext } from "../context.js";
import { addDays, addMonths } from "../shared/days.js";
import { sessionsRevoker } from "../identity/sessionRevoker.js";
import { activeHolders } from "../identity/queries.js";
import { heldSql } from "./holds.js";
import { sessionsAnonymizer, userMarksWriter, userPseudonymWriter } from "../identity/records.js";

export type PseudonymizeReason = "inactivity" | "erasure";

/** Replaces the user's personal data by a pseudonym derived from his id; ends his sessions and roles. */
export async function pseudonymizer(ctx: CommandContext, userId: string, reason: PseudonymizeReason) {
  if (!(await userPseudonymWriter(ctx.tx, userId, reason, nowIso(ctx))))
    throw new StateConflictError("already_removed", "The account was already removed");
  await sessionsRevoker(ctx, { userId, reason: "removed" });
  await sessionsAnonymizer(ctx.tx, userId);
  await audit(ctx, { action: "user.pseudonymize", target: { type: "user", id: userId }, details: { reason } });
}

/** Organizations where the user is the only active administrator. */
export async function lastAdministratorOf(db: Tx, userId: string): Promise<string[]> {
  const mine: Array<{ organization_id: string }> = await db("role_grants")
    .where({ user_id: userId, role: "org_admin" })
    .distinct("organization_id");
  const out: string[] = [];
  for (const { organization_id } of mine) {
    if ((await activeHolders(db, "org_admin", { organizationId: organization_id, except: userId })).length === 0)
      out.push(organization_id);
  }
  return out;
}

/** Why the user's data cannot be erased now (empty: it can). */
export async function erasureObstacles(db: Tx, userId: string) {
  const reasons: Array<{ code: string; detail: string; [k: string]: unknown }> = [];
  const docs = () =>
    db("documents")
      .whereNot("documents.status", "destroyed")
      .where((w) =>
        w
          .where((a) => a.where("documents.created_by_type", "user").where("documents.created_by", userId))
          .orWhereExists(
            db("document_signatures")
              .whereRaw("document_signatures.document_id = documents.id")
              .where({ signer_type: "user", signer_id: userId }),
          )
          .orWhereExists(
            db("document_approvers")
              .whereRaw("document_approvers.document_id = documents.id")
              .where({ user_id: userId })
              .whereNotNull("decision"),
          ),
      );
  const duty = await docs().count({ n: "*" }).max({ until: "documents.retain_until" }).first();
  const pendingTrigger = await docs().whereNull("documents.retain_until").count({ n: "*" }).first();
  if (Number(duty?.n ?? 0) > 0) {
    reasons.push({
      code: "retention_duty",
      documents: Number(duty!.n),
      keptUntil: Number(pendingTrigger?.n ?? 0) > 0 ? null : duty!.until,
      detail: `${Number(duty!.n)} documents you registered, approved or signed are kept under retention${Number(pendingTrigger?.n ?? 0) > 0 ? "" : ` until ${duty!.until}`}; your name stays on them until then`,
    });
  }
  const held = await docs().whereRaw(heldSql()).count({ n: "*" }).first();
  if (Number(held?.n ?? 0) > 0)
    reasons.push({
      code: "legal_hold",
      documents: Number(held!.n),
      detail: `${Number(held!.n)} of those documents are under legal hold`,
    });
  const lastAdmin = await lastAdministratorOf(db, userId);
  if (lastAdmin.length)
    reasons.push({
      code: "last_administrator",
      organizations: lastAdmin,
      detail: "You are the last administrator of an organization: another administrator must be appointed first",
    });
  return reasons;
}

/** R5.6: erasure where no retention duty or hold applies; refused with the reasons where one does. */
export async function erasureRequester(ctx: CommandContext) {
  const userId = ctx.actor.userId!;
  const reasons = await erasureObstacles(ctx.tx, userId);
  if (reasons.length) {
    await audit(ctx, {
      action: "user.erasure_refused",
      target: { type: "user", id: userId },
      outcome: "failure",
      details: { reasons: reasons.map((r) => r.code) },
    });
    return { erased: false as const, reasons };
  }
  await pseudonymizer(ctx, userId, "erasure");
  return { erased: true as const, reasons: [] };
}

/** R5.6: withdraw or give consent to optional processing (notices about documents and announcements). */
export async function consentSetter(ctx: CommandContext, p: { notifications: boolean }) {
  await userMarksWriter(ctx.tx, ctx.actor.userId!, { notifications_consent: p.notifications }, nowIso(ctx));
  await audit(ctx, {
    action: "user.consent",
    target: { type: "user", id: ctx.actor.userId! },
    details: { notifications: p.notifications },
  });
  return { notifications: p.notifications };
}

/** Everything held about the user, as one JSON object (also what the export ZIP carries). */
export async function personalData(db: Tx, userId: string) {
  const user = await db("users").where({ id: userId }).first();
  if (!user) throw notFound();
  const [grants, sessions, logins, authored, signatures, approvals, auditRows, holdsOwned] = await Promise.all([
    db("role_grants")
      .leftJoin("organizations", "organizations.id", "role_grants.organization_id")
      .leftJoin("branches", "branches.id", "role_grants.branch_id")
      .where({ "role_grants.user_id": userId })
      .select(
        "role_grants.id",
        "role_grants.role",
        "role_grants.organization_id",
        "organizations.name as organization_name",
        "role_grants.branch_id",
        "branches.name as branch_name",
        "role_grants.created_at",
      ),
    db("sessions")
      .where({ user_id: userId })
      .orderBy("created_at", "desc")
      .select(
        "id",
        "method",
        "ip",
        "user_agent",
        "created_at",
        "last_seen_at",
        "expires_at",
        "revoked_at",
        "revoked_reason",
        "reported_not_me",
      ),
    db("login_events")
      .where({ user_id: userId })
      .orderBy("id", "desc")
      .select("login", "outcome", "reason", "method", "ip", "user_agent", "at"),
    db("documents")
      .where({ created_by_type: "user", created_by: userId })
      .orderBy("created_at")
      .select(
        "id",
        "kind",
        "number",
        "title",
        "status",
        "doc_date",
        "sender_organization_id",
        "recipient_organization_id",
        "content_sha256",
        "created_at",
        "retain_until",
      ),
    db("document_signatures")
      .where({ signer_type: "user", signer_id: userId })
      .orderBy("created_at")
      .select(
        "id",
        "document_id",
        "side",
        "organization_id",
        "signer_subject",
        "signer_serial",
        "signing_time",
        "created_at",
      ),
    db("document_approvers")
      .where({ user_id: userId })
      .whereNotNull("decision")
      .select("document_id", "decision", "comment", "decided_at"),
    db("audit_log")
      .where((w) => w.where({ actor_id: userId }).orWhere({ target_id: userId }))
      .orderBy("seq"),
    db("legal_holds").where({ owner_user_id: userId }).select("id", "name", "status", "created_at"),
  ]);
  const { password_hash, totp_secret, pending_totp_secret, ...profile } = user;
  return {
    format: "qujat.personal-data/1",
    profile: {
      id: profile.id,
      login: profile.login,
      fullName: profile.full_name,
      email: profile.email,
      iin: profile.iin,
      status: profile.status,
      language: profile.language ?? null,
      totpEnabled: Boolean(profile.totp_enabled),
      passwordSet: Boolean(password_hash),
      hasTotpSecret: Boolean(totp_secret || pending_totp_secret),
      notificationsConsent: Boolean(profile.notifications_consent),
      lastLoginAt: profile.last_login_at,
      createdAt: profile.created_at,
      updatedAt: profile.updated_at,
      pseudonymizedAt: profile.pseudonymized_at,
    },
    memberships: grants,
    sessions,
    loginHistory: logins,
    documentsAuthored: authored,
    signatures,
    approvals,
    legalHoldsOwned: holdsOwned,
    auditEntries: auditRows.map((r) => presentAuditEntry(r)),
  };
}

/** The export: a ZIP with data.json and a short README. */
export function personalDataZip(data: unknown, at: Date): Readable {
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(JSON.stringify(data, null, 2)), "data.json", { mtime: at });
  zip.addBuffer(
    Buffer.from(
      [
        "Personal data held by this Qujat appliance about one user (SPEC R5.6).",
        "data.json: profile, memberships (roles), sessions, sign-in history, documents he registered (metadata),",
        "his signatures and approval decisions (metadata), legal holds he owns, and every audit entry by or about him.",
        "Document content belongs to the organizations and is not part of this export.",
        "",
      ].join("\n"),
    ),
    "README.txt",
    { mtime: at },
  );
  zip.end();
  return zip.outputStream as unknown as Readable;
}

// ---------- inactive accounts (R5.3) ----------

/**
 * The daily step: users without a sign-in (or, never signed in, since their creation) for
 * inactiveMonths less warningDays are warned; warned ones still inactive after inactiveMonths are
 * pseudonymized. The last administrator of an organization is not: the system administrators are
 * asked (e-mail) and one of them decides (inactivityRemovalDecider).
 */
export async function inactiveAccountsStep(db: Db, clock: Clock, config: Config) {
  const now = clock.now();
  const today = now.toISOString().slice(0, 10);
  const removeBefore = addMonths(today, -config.retention.inactiveMonths);
  const warnBefore = addDays(removeBefore, config.retention.inactivityWarningDays);
  const seen = "coalesce(last_login_at, created_at)";
  const lastSeenSql = `case when inactivity_reset_at > ${seen} then inactivity_reset_at else ${seen} end`;
  const lastSeen = db.raw(lastSeenSql);
  const ctx = (tx: Tx): CommandContext => ({
    tx,
    actor: { type: "system", id: null, userId: null, grants: [] },
    clock,
    config,
    meta: { ip: null, requestId: null },
  });
  const out = { warned: 0, removed: 0, askedAdmins: 0 };
  const toWarn: Array<{ id: string; last: string }> = await db("users")
    .where({ status: "active" })
    .whereNull("pseudonymized_at")
    .where(lastSeen, "<", warnBefore)
    .where((w) => w.whereNull("inactivity_warned_at").orWhere("inactivity_warned_at", "<", lastSeen))
    .select("id", db.raw(`${lastSeenSql} as last`));
  for (const u of toWarn) {
    await db.transaction(async (tx) => {
      const removeOn = addMonths(u.last.slice(0, 10), config.retention.inactiveMonths);
      await userMarksWriter(tx, u.id, { inactivity_warned_at: now.toISOString() });
      await notificationWriter(tx, clock, [
        {
          topic: "account.inactive_warning",
          ref: `user:${u.id}`,
          to: { userId: u.id },
          payload: { lastLoginAt: u.last.slice(0, 10), removeOn: removeOn < today ? today : removeOn },
        },
      ]);
      await audit(ctx(tx), {
        action: "user.inactivity_warning",
        target: { type: "user", id: u.id },
        details: { lastSeen: u.last, removeOn },
      });
    });
    out.warned += 1;
  }
  const warnedLongAgo = new Date(now.getTime() - config.retention.inactivityWarningDays * DAY).toISOString();
  const candidates: Array<{ id: string; removal_pending_since: string | null; inactivity_warned_at: string }> =
    await db("users")
      .where({ status: "active" })
      .whereNull("pseudonymized_at")
      .where(lastSeen, "<", removeBefore)
      .whereNotNull("inactivity_warned_at")
      .where("inactivity_warned_at", ">=", lastSeen)
      .where("inactivity_warned_at", "<=", warnedLongAgo)
      .select("id", "removal_pending_since", "inactivity_warned_at");
  // SPEC R5.6, R6.2: the warning period runs from the warning's delivery (mail, or shown in the
  // console), not from its queueing: a warning nobody received removes nobody.
  const toRemove = [];
  for (const u of candidates) {
    const delivered = await noticeDeliveredSince(
      db,
      "account.inactive_warning",
      `user:${u.id}`,
      u.inactivity_warned_at,
    );
    if (delivered && delivered <= warnedLongAgo) toRemove.push(u);
  }
  for (const u of toRemove) {
    await db.transaction(async (tx) => {
      const orgs = await lastAdministratorOf(tx, u.id);
      const otherSystemAdmins = await activeHolders(tx, "system_admin", { except: u.id });
      const lastSystemAdmin =
        otherSystemAdmins.length === 0 &&
        Boolean(await tx("role_grants").where({ user_id: u.id, role: "system_admin" }).first("id"));
      if (orgs.length || lastSystemAdmin) {
        if (u.removal_pending_since) return;
        await userMarksWriter(tx, u.id, { removal_pending_since: now.toISOString() });
        await notificationWriter(
          tx,
          clock,
          otherSystemAdmins.map((id) => ({
            topic: "account.removal_approval",
            to: { userId: id },
            payload: { userId: u.id, organizations: orgs.join(", ") || "—" },
          })),
        );
        await audit(ctx(tx), {
          action: "user.removal_pending",
          target: { type: "user", id: u.id },
          details: { lastAdministratorOf: orgs, lastSystemAdmin },
        });
        out.askedAdmins += 1;
        return;
      }
      await pseudonymizer(ctx(tx), u.id, "inactivity");
      out.removed += 1;
    });
  }
  return out;
}

/** A system administrator decides on an inactive last administrator: remove now, or keep (the inactivity clock starts again). */
export async function inactivityRemovalDecider(ctx: CommandContext, userId: string, remove: boolean) {
  const u = await ctx.tx("users").where({ id: userId }).first("id", "removal_pending_since");
  if (!u) throw notFound();
  if (!u.removal_pending_since)
    throw new StateConflictError("not_pending", "No removal of this account waits for a decision");
  if (remove) {
    await pseudonymizer(ctx, userId, "inactivity");
  } else {
    await userMarksWriter(ctx.tx, userId, {
      removal_pending_since: null,
      inactivity_warned_at: null,
      inactivity_reset_at: nowIso(ctx),
    });
    await audit(ctx, { action: "user.removal_kept", target: { type: "user", id: userId } });
  }
  return { removed: remove };
}
