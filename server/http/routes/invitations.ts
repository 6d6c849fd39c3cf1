// Invitations (SPEC R2.7): the link's token leads only to registering the invited organization's
// first user. Neither route shows a document.
import type { AppDeps } from "../../app.js";
import { InvitationAcceptance, invitationAccepter, invitationReader } from "../../domain/documents/invitations.js";
import type { Api } from "../api.js";
import { commandContext } from "../api.js";

const TOKEN = /^inv_[A-Za-z0-9_-]{43}$/;

export function invitationRoutes(api: Api, deps: AppDeps) {
  const token = (t: string) => (TOKEN.test(t) ? t : "inv_invalid");
  api.add({
    method: "get", path: "/api/v1/invitations/:token", summary: "Who invites whom and until when (no document is shown)", tag: "invitations", auth: "none",
    responses: { 200: "Usable", 404: "Unknown token", 410: "Used or expired" },
    handler: async (ctx, { params }) => {
      ctx.body = await invitationReader({ tx: deps.db, clock: deps.clock }, token(params.token));
    },
  });
  api.add({
    method: "post", path: "/api/v1/invitations/:token/accept", tag: "invitations", auth: "none", tx: true, body: InvitationAcceptance,
    summary: "Register the invited organization's first user (its administrator and head); then sign in to see the document",
    responses: { 201: "Registered", 409: "Already registered: sign in", 410: "Used or expired" },
    handler: async (ctx, { params, body }) => {
      ctx.status = 201;
      ctx.body = { ...(await invitationAccepter(commandContext(ctx, deps), { token: token(params.token), ...body })), next: "sign_in" };
    },
  });
}
