// The first run (SPEC R1.9): a one-time setup token printed at start while there is no administrator,
// and creating the first system administrator with it (or from the CLI).

import type { Clock } from "../../clock.js";
import type { Config } from "../../config/index.js";
import { ConflictError, ForbiddenError } from "../../errors.js";
import { isPostgres, type Db } from "../../storage/db.js";

import { audit, nowIso, type CommandContext } from "../context.js";

import { applianceRolesOnly, userCreator } from "./users.js";

import { hasSystemAdmin } from "./queries.js";

import { newToken, sha256 } from "./secrets.js";
/** Another node's setup link, still valid: this node prints none. */
export interface SetupLinkElsewhere {
  node: string;
  expiresAt: string;
}

/**
 * Issues a fresh one-time setup token when no system administrator exists. One link at a time: a
 * valid one another node printed stays the only one (`elsewhere` is told whose it is); this node's
 * own earlier ones and expired ones die. Decided under a transaction-scoped lock on PostgreSQL, so
 * nodes starting together cannot each print their own.
 */
export async function setupTokenIssuer(deps: {
  db: Db;
  clock: Clock;
  config: Config;
  elsewhere?: (link: SetupLinkElsewhere) => void;
}): Promise<string | null> {
  const node = deps.config.cluster.nodeName;
  const found = await deps.db.transaction(async (tx) => {
    if (isPostgres(tx)) await tx.raw("select pg_advisory_xact_lock(?)", [SETUP_LOCK]);
    if (await hasSystemAdmin(tx)) return null;
    const now = deps.clock.now();
    const other = await tx("setup_tokens")
      .whereNull("used_at")
      .where("expires_at", ">", now.toISOString())
      .whereNotNull("node")
      .whereNot("node", node)
      .first("node", "expires_at");
    if (other) return { node: other.node as string, expiresAt: other.expires_at as string };
    const token = newToken();
    await tx("setup_tokens")
      .whereNull("used_at")
      .where((w) => w.whereNull("node").orWhere("node", node).orWhere("expires_at", "<=", now.toISOString()))
      .delete();
    await tx("setup_tokens").insert({
      token_hash: sha256(token),
      node,
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + deps.config.auth.setupTokenMinutes * 60_000).toISOString(),
    });
    return token;
  });
  if (found && typeof found === "object") {
    deps.elsewhere?.(found);
    return null;
  }
  return found;
}

/** The transaction lock setup links are issued under (an arbitrary constant: "qujat-setup"). */
const SETUP_LOCK = 0x71756a73;

export interface FirstAdminProps {
  login: string;
  email: string;
  fullName: string;
  iin?: string;
  password: string;
}

/** Creates a system administrator: through the setup link (`setupToken`) or from the shell (no token). */
export async function systemAdminCreator(ctx: CommandContext, p: FirstAdminProps & { setupToken?: string }) {
  if (p.setupToken !== undefined) {
    if (await hasSystemAdmin(ctx.tx))
      throw new ConflictError("setup_complete", "The appliance already has an administrator");
    const row = await ctx
      .tx("setup_tokens")
      .where({ token_hash: sha256(p.setupToken) })
      .whereNull("used_at")
      .first();
    if (!row || row.expires_at <= nowIso(ctx))
      throw new ForbiddenError(
        "setup_token_invalid",
        "The setup link is invalid or expired; restart the appliance for a new one",
      );
    await ctx
      .tx("setup_tokens")
      .where({ token_hash: row.token_hash })
      .update({ used_at: nowIso(ctx) });
  }
  const { setupToken, ...props } = p;
  const created = await userCreator(ctx, { ...props, roles: [{ role: "system_admin" }] }, applianceRolesOnly);
  await audit(ctx, {
    action: "setup.system_admin",
    target: { type: "user", id: created.user.id },
    details: { via: setupToken !== undefined ? "setup_link" : "cli" },
  });
  return created;
}
