// Invitations (SPEC R2.7): the link's token leads only to registering the invited organization's
// first user. Neither route shows a document.
import type { AppDeps } from "../../deps.js";
import {
  CertificateInvitationAcceptance,
  InvitationAcceptance,
  certificateInvitationAccepter,
  invitationAccepter,
  invitationReader,
} from "../../domain/documents/invitations.js";
import { sessionCreator } from "../../domain/identity/sessions.js";
import { authCertificateReport, challengeSpender, validChallenge } from "../../domain/identity/certificateSignIn.js";
import { setSessionCookies } from "../middleware/auth.js";
import { cmsFrom } from "./documentWorkflow.js";
import type { Api } from "../api.js";
import { commandContext } from "../api.js";

const TOKEN = /^inv_[A-Za-z0-9_-]{43}$/;

export function invitationRoutes(api: Api, deps: AppDeps) {
  const token = (t: string) => (TOKEN.test(t) ? t : "inv_invalid");
  api.add({
    method: "get",
    path: "/api/v1/invitations/:token",
    summary: "Who invites whom and until when (no document is shown)",
    tag: "invitations",
    auth: "none",
    responses: { 200: "Usable", 404: "Unknown token", 410: "Used or expired" },
    handler: async (ctx, { params }) => {
      ctx.body = await invitationReader({ tx: deps.db, clock: deps.clock }, token(params.token));
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/invitations/:token/accept",
    tag: "invitations",
    auth: "none",
    tx: true,
    body: InvitationAcceptance,
    summary:
      "Register the invited organization's first user (its administrator and head); then sign in to see the document",
    responses: { 201: "Registered", 409: "Already registered: sign in", 410: "Used or expired" },
    handler: async (ctx, { params, body }) => {
      ctx.status = 201;
      ctx.body = {
        ...(await invitationAccepter(commandContext(ctx, deps), { token: token(params.token), ...body })),
        next: "sign_in",
      };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/invitations/:token/accept-with-certificate",
    tag: "invitations",
    auth: "none",
    body: CertificateInvitationAcceptance,
    summary:
      "Register the invited organization's first user with his AUTH certificate (a signed challenge): IIN and name come from the certificate, which must carry the organization's BIN/EDRPOU; signed in at once",
    responses: {
      201: "Registered and signed in",
      401: "Challenge or certificate refused",
      409: "Already registered: sign in",
      410: "Used or expired",
      422: "The certificate is not the invited organization's",
    },
    handler: async (ctx, { params, body }) => {
      const meta = { ip: ctx.ip || null, requestId: ctx.state.requestId, userAgent: ctx.get("user-agent") || null };
      const { nonce, expiry } = await validChallenge(deps, body.challenge);
      const report = await authCertificateReport(deps, nonce, cmsFrom(body.cms)); // network (OCSP): before the transaction
      const c = commandContext(ctx, deps);
      const r = await deps.db.transaction(async (tx) => {
        await challengeSpender(tx, deps, nonce, expiry);
        const accepted = await certificateInvitationAccepter(
          { ...c, tx },
          { token: token(params.token), login: body.login, email: body.email, password: body.password, report },
        );
        const session = await sessionCreator(tx, deps, accepted.userId, "certificate", meta);
        return { accepted, session };
      });
      setSessionCookies(ctx, r.session.token, r.session.csrfToken, r.session.session.expires_at, deps.clock.now());
      ctx.status = 201;
      ctx.body = {
        ...r.accepted,
        token: r.session.token,
        csrfToken: r.session.csrfToken,
        sessionExpiresAt: r.session.session.expires_at,
        certificate: { subject: report.certificate.subject, serialNumber: report.certificate.serialNumber },
      };
    },
  });
}
