// API tokens for integrations (SPEC R1.7): created for a branch with a role an integration may hold,
// shown once, stored hashed; revoking one drops it from the token cache at once.
import { randomUUID } from "node:crypto";
import { ValidationError, notFound, StateConflictError } from "../../errors.js";
import type { Tx } from "../../storage/db.js";

import { audit, nowIso, type CommandContext } from "../context.js";

import { authorize, can } from "./policy.js";

import { TOKEN_ROLES, type Role } from "./roles.js";
import { newToken, sha256 } from "./secrets.js";
import { resolveGrant } from "./users.js";
export async function apiTokenCreator(
  ctx: CommandContext,
  p: { name: string; organizationId: string; branchId?: string; role: Role; expiresAt?: string },
) {
  if (!(TOKEN_ROLES as readonly string[]).includes(p.role))
    throw new ValidationError("role_not_for_tokens", `An API token may hold one of: ${TOKEN_ROLES.join(", ")}`, {
      field: "role",
    });
  const r = await resolveGrant(ctx, { role: p.role, organizationId: p.organizationId, branchId: p.branchId });
  authorize(ctx.actor, "api_token.manage", { type: "api_token", organizationId: r.organizationId!, path: r.path! });
  if (p.expiresAt && p.expiresAt <= nowIso(ctx))
    throw new ValidationError("expiry_in_past", "expiresAt must be in the future", { field: "expiresAt" });
  const token = newToken("qjt_");
  const id = randomUUID();
  await ctx.tx("api_tokens").insert({
    id,
    name: p.name,
    token_hash: sha256(token),
    prefix: token.slice(0, 10),
    organization_id: r.organizationId,
    branch_id: r.branchId,
    role: r.role,
    created_by: ctx.actor.id,
    created_at: nowIso(ctx),
    expires_at: p.expiresAt ?? null,
  });
  await audit(ctx, {
    action: "api_token.create",
    target: { type: "api_token", id },
    organizationId: r.organizationId,
    details: { name: p.name, role: r.role, branchId: r.branchId },
  });
  return { token, row: await ctx.tx("api_tokens").where({ id }).first() };
}

export async function apiTokenRevoker(ctx: CommandContext, p: { id: string }) {
  const row = await ctx
    .tx("api_tokens as t")
    .join("branches as b", "b.id", "t.branch_id")
    .where("t.id", p.id)
    .first("t.*", "b.path");
  if (!row) throw notFound();
  const res = { type: "api_token" as const, id: row.id, organizationId: row.organization_id, path: row.path };
  authorize(ctx.actor, "api_token.manage", res, can(ctx.actor, "api_token.manage", res));
  if (row.revoked_at) throw new StateConflictError("already_revoked", "The token is already revoked");
  await ctx
    .tx("api_tokens")
    .where({ id: p.id })
    .update({ revoked_at: nowIso(ctx) });
  for (const l of revokedTokenListeners) await l(p.id, ctx.tx);
  await audit(ctx, {
    action: "api_token.revoke",
    target: { type: "api_token", id: p.id },
    organizationId: row.organization_id,
  });
}

/** The auth cache subscribes here: at once in this process, on every node when the transaction commits. */
export const revokedTokenListeners = new Set<(tokenId: string, tx: Tx) => void | Promise<void>>();
