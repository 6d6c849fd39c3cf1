// Personal-data rights over HTTP (SPEC R5.3, R5.6): a user views and exports what is held about
// him, withdraws consent to optional notices, asks for erasure; system administrators decide on an
// inactive last administrator.
import { z } from "zod";
import { usersPendingRemoval } from "../../domain/identity/queries.js";
import type { AppDeps } from "../../deps.js";
import { authorize } from "../../domain/identity/policy.js";
import {
  consentSetter,
  erasureRequester,
  inactivityRemovalDecider,
  personalData,
  personalDataZip,
} from "../../domain/retention/privacy.js";
import { StateConflictError } from "../../errors.js";
import type { Api } from "../api.js";
import { commandContext } from "../api.js";

export function privacyRoutes(api: Api, deps: AppDeps) {
  api.add({
    method: "get",
    path: "/api/v1/me/data",
    tag: "me",
    auth: "user",
    summary:
      "Everything held about me: profile, memberships, sessions, sign-in history, documents I registered or signed (metadata), approvals, audit entries about me",
    handler: async (ctx) => {
      ctx.body = await personalData(deps.reader, ctx.state.actor.userId!);
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/me/data/export",
    tag: "me",
    auth: "user",
    summary: "The same as a ZIP (data.json and README.txt)",
    handler: async (ctx) => {
      const data = await personalData(deps.reader, ctx.state.actor.userId!);
      await deps.auditJournal.record(
        { actor: { type: "user", id: ctx.state.actor.userId }, ip: ctx.ip || null, requestId: ctx.state.requestId },
        [{ action: "user.data_export", target: { type: "user", id: ctx.state.actor.userId } }],
      );
      ctx.type = "application/zip";
      ctx.set("Content-Disposition", `attachment; filename="personal-data-${ctx.state.actor.userId}.zip"`);
      ctx.set("Cache-Control", "private, no-store");
      ctx.body = personalDataZip(data, deps.clock.now());
    },
  });
  api.add({
    method: "put",
    path: "/api/v1/me/consents",
    tag: "me",
    auth: "user",
    tx: true,
    body: z.strictObject({ notifications: z.boolean() }),
    summary:
      "Give or withdraw consent to optional processing: e-mail notices about documents and maintenance (billing, security and account notices always go)",
    handler: async (ctx, { body }) => {
      ctx.body = await consentSetter(commandContext(ctx, deps), body);
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/me/erasure",
    tag: "me",
    auth: "user",
    responses: {
      200: "Erased: personal data replaced by a pseudonym, sessions ended",
      409: "Refused, with the reasons (erasure_refused)",
    },
    summary:
      "Erase my personal data where no retention duty or legal hold applies; refused with the reasons where one does",
    handler: async (ctx) => {
      // The refusal is audited too: the transaction commits, then the refusal is answered.
      const r = await deps.db.transaction((tx) => erasureRequester({ ...commandContext(ctx, deps), tx }));
      if (!r.erased)
        throw new StateConflictError("erasure_refused", r.reasons.map((x) => x.detail).join("; "), {
          reasons: r.reasons,
        });
      ctx.body = r;
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/users/removal-pending",
    tag: "users",
    auth: "user",
    summary:
      "Inactive accounts whose removal waits for a system administrator (the last administrator of an organization)",
    handler: async (ctx) => {
      authorize(ctx.state.actor, "system.manage", { type: "appliance" });
      const rows = await usersPendingRemoval(deps.reader);
      ctx.body = {
        items: rows.map((u) => ({
          id: u.id,
          login: u.login,
          fullName: u.full_name,
          lastLoginAt: u.last_login_at,
          pendingSince: u.removal_pending_since,
        })),
      };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/users/:id/inactivity-removal",
    tag: "users",
    auth: "user",
    tx: true,
    body: z.strictObject({ remove: z.boolean() }),
    summary:
      "Decide on an inactive last administrator: remove (pseudonymize) now, or keep the account (its inactivity counts from today)",
    handler: async (ctx, { params, body }) => {
      authorize(ctx.state.actor, "system.manage", { type: "appliance" });
      ctx.body = await inactivityRemovalDecider(commandContext(ctx, deps), params.id, body.remove);
    },
  });
}
