// Counterparty invitations (SPEC R2.7, seed 000 §10.6): a document sent to an organization that has
// nobody on the appliance invites it by e-mail. The link carries a single-use token (kept only as
// its hash) that leads to registration and nothing else: it never shows the document, whose
// content is served only to an authenticated session or API token. Once registered, the
// organization finds the document in its inbox.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { DAY } from "../../clock.js";
import { organizationIdentifiers, participantHimself, type ValidationReport } from "../signatures/validation.js";
import { ConflictError, GoneError, NotFoundError, UnprocessableError, ValidationError } from "../../errors.js";
import { notificationWriter } from "../../mail/outbox.js";
import { audit, nowIso, type CommandContext } from "../context.js";
import { assertUserQuota } from "../billing/metering.js";
import { userCreator } from "../identity/users.js";
import { hasActiveMembers, organizationById } from "../identity/queries.js";
import { newToken, sha256 } from "../identity/secrets.js";
import { systemActor } from "../identity/roles.js";
import type { DocumentRow } from "./queries.js";
import { organizationFactsOf } from "../identity/records.js";
import { displayName } from "../shared/text.js";

export interface InvitationRow {
  id: string;
  token_hash: string;
  email: string;
  organization_id: string;
  document_id: string;
  inviter_organization_id: string;
  invited_by_type: string;
  invited_by: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  used_by: string | null;
}

export const InvitationAcceptance = z.strictObject({
  login: z
    .string()
    .trim()
    .min(3)
    .max(64)
    .regex(/^[A-Za-z0-9._@-]+$/),
  fullName: displayName(200),
  // A Kazakh person gives his IIN, a Ukrainian one his RNOKPP (SPEC R1.2): one of the two.
  iin: z
    .string()
    .regex(/^\d{12}$/)
    .optional(),
  rnokpp: z
    .string()
    .regex(/^\d{10}$/)
    .optional(),
  email: z.email().max(254).optional(),
  password: z.string().min(1).max(1024),
});
export type InvitationAcceptance = z.infer<typeof InvitationAcceptance>;

export async function invitationCreator(
  ctx: CommandContext,
  doc: DocumentRow,
): Promise<{ id: string; email: string; expiresAt: string }> {
  const token = newToken("inv_");
  const now = ctx.clock.now();
  const expiresAt = new Date(now.getTime() + ctx.config.documents.invitationDays * DAY).toISOString();
  const id = randomUUID();
  const email = doc.recipient_email!;
  await ctx.tx("invitations").insert({
    id,
    token_hash: sha256(token),
    email,
    organization_id: doc.recipient_organization_id!,
    document_id: doc.id,
    inviter_organization_id: doc.sender_organization_id,
    invited_by_type: ctx.actor.type,
    invited_by: ctx.actor.id,
    created_at: now.toISOString(),
    expires_at: expiresAt,
    used_at: null,
    used_by: null,
  });
  const base = ctx.config.server.publicUrl.replace(/\/$/, "");
  // The mail carries the only copy of the token; the dispatcher clears the payload once it is sent.
  await notificationWriter(ctx.tx, ctx.clock, [
    {
      topic: "invitation",
      documentId: doc.id,
      to: { email },
      payload: {
        invitationId: id,
        link: `${base}/invitations/${token}`,
        token,
        inviter: doc.sender_name,
        organization: doc.recipient_name,
        expiresAt,
      },
    },
  ]);
  await audit(ctx, {
    action: "invitation.create",
    target: { type: "invitation", id },
    organizationId: doc.sender_organization_id,
    details: { email, invitedOrganizationId: doc.recipient_organization_id, documentId: doc.id, expiresAt },
  });
  return { id, email, expiresAt };
}

/** The invitation behind a token, if it can still be used. */
async function usableInvitation(ctx: Pick<CommandContext, "tx" | "clock">, token: string): Promise<InvitationRow> {
  const inv: InvitationRow | undefined = await ctx
    .tx("invitations")
    .where({ token_hash: sha256(token) })
    .first();
  if (!inv) throw new NotFoundError("invitation_not_found", "This invitation link is not valid");
  if (inv.used_at) throw new GoneError("invitation_used", "This invitation has already been used; sign in instead");
  if (inv.expires_at <= ctx.clock.now().toISOString())
    throw new GoneError("invitation_expired", "This invitation has expired; ask the sender for a new one");
  return inv;
}

/** What the invitee may see before registering: who invites whom, and until when. Never the document. */
export async function invitationReader(ctx: Pick<CommandContext, "tx" | "clock">, token: string) {
  const inv = await usableInvitation(ctx, token);
  const [org, inviter] = await Promise.all([
    organizationFactsOf(ctx.tx, inv.organization_id),
    organizationFactsOf(ctx.tx, inv.inviter_organization_id),
  ]);
  return { organization: org!.name, invitedBy: inviter!.name, email: inv.email, expiresAt: inv.expires_at };
}

/**
 * Registers the invited organization's first user (its administrator and head) and spends the
 * token. An organization someone has already registered is not taken over: its people sign in.
 */
export async function invitationAccepter(ctx: CommandContext, p: { token: string } & InvitationAcceptance) {
  if (!p.iin === !p.rnokpp)
    throw new ValidationError("identifier_required", "Give your IIN (Kazakhstan) or your RNOKPP (Ukraine)", {
      field: "iin",
    });
  const inv = await usableInvitation(ctx, p.token);
  if (await hasActiveMembers(ctx.tx, inv.organization_id))
    throw new ConflictError(
      "organization_already_registered",
      "This organization is already registered; sign in to see its documents",
      { next: "sign_in" },
    );
  const root = (await organizationById(ctx.tx, inv.organization_id))!.root;
  const spent = await ctx
    .tx("invitations")
    .where({ id: inv.id })
    .whereNull("used_at")
    .update({ used_at: nowIso(ctx) });
  if (spent !== 1) throw new GoneError("invitation_used", "This invitation has already been used; sign in instead");
  const asSystem = { ...ctx, actor: systemActor };
  const { user } = await userCreator(
    asSystem,
    {
      login: p.login,
      email: p.email ?? inv.email,
      fullName: p.fullName,
      iin: p.iin,
      rnokpp: p.rnokpp,
      password: p.password,
      roles: [
        { role: "org_admin", organizationId: inv.organization_id, branchId: root.id },
        { role: "head", organizationId: inv.organization_id, branchId: root.id },
      ],
    },
    assertUserQuota,
  );
  await ctx.tx("invitations").where({ id: inv.id }).update({ used_by: user.id });
  await audit(ctx, {
    action: "invitation.accept",
    target: { type: "invitation", id: inv.id },
    organizationId: inv.organization_id,
    details: { userId: user.id, documentId: inv.document_id },
  });
  return { userId: user.id, organizationId: inv.organization_id, login: user.login };
}

export const CertificateInvitationAcceptance = z.strictObject({
  login: z
    .string()
    .trim()
    .min(3)
    .max(64)
    .regex(/^[A-Za-z0-9._@-]+$/),
  email: z.email().max(254).optional(),
  password: z.string().min(1).max(1024),
  /** a challenge from POST /api/v1/auth/challenge, and the detached CMS over its bytes by the person's AUTH certificate */
  challenge: z.string().min(16).max(200),
  cms: z.string().min(16).max(700_000),
});

/**
 * The same registration, proven with the person's AUTH certificate (R1.3): his IIN and name come
 * from the checked certificate, which must be the invited organization's (its BIN or EDRPOU).
 * `report` is the certificate's check, made before the transaction.
 */
export async function certificateInvitationAccepter(
  ctx: CommandContext,
  p: { token: string; login: string; email?: string; password: string; report: ValidationReport },
) {
  const inv = await usableInvitation(ctx, p.token);
  const org = (await organizationFactsOf(ctx.tx, inv.organization_id))!;
  const cert = p.report.certificate;
  const { orgId, certOrgId } = organizationIdentifiers(org, cert);
  if (!cert.iin && !cert.drfo)
    throw new UnprocessableError("certificate_without_iin", "The certificate carries no IIN or RNOKPP");
  // A person who is the participant (a sole proprietor, an individual) accepts with his own certificate.
  if (!participantHimself(org, cert) && certOrgId !== orgId) {
    throw new UnprocessableError(
      "certificate_not_for_organization",
      `The certificate is issued to ${certOrgId ?? "a person, not an organization"}; the invitation is for ${org.name} (${orgId})`,
    );
  }
  return invitationAccepter(ctx, {
    token: p.token,
    login: p.login,
    email: p.email,
    password: p.password,
    ...(cert.iin ? { iin: cert.iin } : { rnokpp: cert.drfo! }),
    fullName: cert.commonName ?? p.login,
  });
}
