// Users, their role grants, and API tokens for integrations (SPEC R1.2, R1.7).
import { z } from "zod";
import { apiTokensManagedBy } from "../../domain/identity/queries.js";
import type { AppDeps } from "../../deps.js";
import { assertUserQuota } from "../../domain/billing/metering.js";
import { readableOrganization } from "../../domain/identity/organizations.js";
import { roleGranter, roleRevoker, userCreator, userStatusSetter, userUpdater } from "../../domain/identity/users.js";
import { apiTokenCreator, apiTokenRevoker } from "../../domain/identity/apiTokens.js";
import { authorize } from "../../domain/identity/policy.js";
import { presentGrant, presentUser } from "../../domain/identity/presenters.js";
import { grantsOf, userResource, usersVisibleTo } from "../../domain/identity/queries.js";
import { TOKEN_ROLES } from "../../domain/identity/roles.js";
import { notFound } from "../../errors.js";
import type { Api } from "../api.js";
import { commandContext } from "../api.js";
import { GrantSchema, IinField, RnokppField, PasswordField, PersonSchema, Uuid } from "./schemas.js";
import { displayName } from "../../domain/shared/text.js";

const presentToken = (t: any) => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  organizationId: t.organization_id,
  branchId: t.branch_id,
  role: t.role,
  createdBy: t.created_by,
  createdAt: t.created_at,
  expiresAt: t.expires_at,
  lastUsedAt: t.last_used_at,
  revokedAt: t.revoked_at,
});

export function userRoutes(api: Api, deps: AppDeps) {
  api.add({
    method: "get",
    path: "/api/v1/users",
    summary: "Users the caller administers (all for system administrators)",
    tag: "users",
    auth: "user",
    query: z.strictObject({
      q: z.string().max(100).optional(),
      organizationId: Uuid.optional(),
      /** only the appliance's staff: people holding an appliance-wide role */
      scope: z.enum(["appliance"]).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(50),
      cursor: z.string().max(100).optional(),
    }),
    handler: async (ctx, { query }) => {
      const rows = await usersVisibleTo(deps.db, ctx.state.actor, {
        q: query.q,
        organizationId: query.organizationId,
        applianceWide: query.scope === "appliance",
        limit: query.limit,
        after: query.cursor,
      });
      const grants = await grantsOf(
        deps.db,
        rows.map((u) => u.id),
      );
      ctx.body = {
        items: rows.map((u) =>
          presentUser(
            u,
            grants.filter((g) => g.user_id === u.id),
          ),
        ),
        next: rows.length === query.limit ? rows[rows.length - 1].login : null,
      };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/users",
    summary: "Create a user with an initial password and roles",
    tag: "users",
    auth: "user",
    tx: true,
    body: z.strictObject({
      ...PersonSchema.shape,
      language: z.enum(["ru", "kk", "uk", "en"]).optional(),
      password: PasswordField,
      roles: z.array(GrantSchema).max(50).default([]),
    }),
    responses: { 201: "Created" },
    handler: async (ctx, { body }) => {
      const { user, grants } = await userCreator(commandContext(ctx, deps), body, assertUserQuota);
      ctx.status = 201;
      ctx.body = presentUser(user, grants);
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/users/:id",
    summary: "One user",
    tag: "users",
    auth: "user",
    handler: async (ctx, { params }) => {
      const found = await userResource(deps.db, params.id);
      if (!found) throw notFound();
      authorize(ctx.state.actor, "user.read", found.resource, false);
      ctx.body = presentUser(found.user, await grantsOf(deps.db, [params.id]));
    },
  });
  api.add({
    method: "patch",
    path: "/api/v1/users/:id",
    summary: "Change a user's e-mail, name, IIN or RNOKPP, or reset his password (his sessions end)",
    tag: "users",
    auth: "user",
    tx: true,
    body: z.strictObject({
      email: z.email().max(254).optional(),
      fullName: displayName(300).optional(),
      iin: IinField.nullable().optional(),
      rnokpp: RnokppField.nullable().optional(),
      password: PasswordField.optional(),
    }),
    handler: async (ctx, { body, params }) => {
      const { user, grants } = await userUpdater(commandContext(ctx, deps), { id: params.id, ...body });
      ctx.body = presentUser(user, grants);
    },
  });
  for (const [verb, status] of [
    ["disable", "disabled"],
    ["enable", "active"],
  ] as const) {
    api.add({
      method: "post",
      path: `/api/v1/users/:id/${verb}`,
      summary: verb === "disable" ? "Disable a user (dismissal); his sessions end" : "Re-enable a user",
      tag: "users",
      auth: "user",
      tx: true,
      body: z.strictObject({ reason: z.string().trim().max(1000).optional() }),
      handler: async (ctx, { body, params }) => {
        const { user, grants } = await userStatusSetter(commandContext(ctx, deps), {
          id: params.id,
          status,
          reason: body.reason,
        });
        deps.auth.invalidate();
        ctx.body = presentUser(user, grants);
      },
    });
  }
  api.add({
    method: "post",
    path: "/api/v1/users/:id/roles",
    summary: "Grant a role (appliance-wide, or in an organization's branch and its sub-branches)",
    tag: "users",
    auth: "user",
    tx: true,
    body: GrantSchema,
    responses: { 201: "Granted" },
    handler: async (ctx, { body, params }) => {
      const g = await roleGranter(commandContext(ctx, deps), { userId: params.id, ...body }, assertUserQuota);
      deps.auth.invalidate();
      ctx.status = 201;
      ctx.body = presentGrant(g);
    },
  });
  api.add({
    method: "delete",
    path: "/api/v1/users/:id/roles/:grantId",
    summary: "Revoke a role grant",
    tag: "users",
    auth: "user",
    tx: true,
    responses: { 204: "Revoked" },
    handler: async (ctx, { params }) => {
      await roleRevoker(commandContext(ctx, deps), { userId: params.id, grantId: params.grantId });
      deps.auth.invalidate();
      ctx.status = 204;
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/organizations/:id/api-tokens",
    summary: "An organization's API tokens (never the secrets)",
    tag: "api-tokens",
    auth: "user",
    handler: async (ctx, { params }) => {
      const o = await readableOrganization(deps.db, ctx.state.actor, params.id);
      ctx.body = { items: (await apiTokensManagedBy(deps.db, ctx.state.actor, o)).map(presentToken) };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/api-tokens",
    summary: "Create an API token for an integration; the secret is shown only in this response",
    tag: "api-tokens",
    auth: "user",
    tx: true,
    body: z.strictObject({
      name: displayName(200),
      organizationId: Uuid,
      branchId: Uuid.optional(),
      role: z.enum(TOKEN_ROLES),
      expiresAt: z.iso.datetime().optional(),
    }),
    responses: { 201: "Created" },
    handler: async (ctx, { body }) => {
      const { token, row } = await apiTokenCreator(commandContext(ctx, deps), body);
      ctx.status = 201;
      ctx.body = { ...presentToken(row), token };
    },
  });
  api.add({
    method: "delete",
    path: "/api/v1/api-tokens/:id",
    summary: "Revoke an API token",
    tag: "api-tokens",
    auth: "user",
    tx: true,
    responses: { 204: "Revoked" },
    handler: async (ctx, { params }) => {
      await apiTokenRevoker(commandContext(ctx, deps), { id: params.id });
      ctx.status = 204;
    },
  });
}
