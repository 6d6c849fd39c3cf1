// The first run (SPEC R1.9): a one-time setup token printed at start while there is no administrator,
// and creating the first system administrator with it (or from the CLI).

import type { Clock } from "../../clock.js";
import type { Config } from "../../config/index.js";
import { ConflictError, ForbiddenError } from "../../errors.js";
import type { Db } from "../../storage/db.js";

import { audit, nowIso, type CommandContext } from "../context.js";

import { applianceRolesOnly, userCreator } from "./users.js";

import { hasSystemAdmin } from "./queries.js";

import { newToken, sha256 } from "./secrets.js";
/** Issues a fresh one-time setup token when no system administrator exists (older unused ones die). */
export async function setupTokenIssuer(deps: { db: Db; clock: Clock; config: Config }): Promise<string | null> {
  return deps.db.transaction(async (tx) => {
    if (await hasSystemAdmin(tx)) return null;
    const token = newToken();
    const now = deps.clock.now();
    await tx("setup_tokens").whereNull("used_at").delete();
    await tx("setup_tokens").insert({
      token_hash: sha256(token),
      created_at: now.toISOString(),
      expires_at: new Date(now.getTime() + deps.config.auth.setupTokenMinutes * 60_000).toISOString(),
    });
    return token;
  });
}

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
