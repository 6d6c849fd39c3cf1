// Changing one's own password (SPEC R1.4): the current one first; the other sessions end.

import { ValidationError } from "../../errors.js";

import { audit, type CommandContext } from "../context.js";
import { passwordSetter } from "./passwords.js";

import { sessionsRevoker } from "./sessionRevoker.js";

import { type UserRow } from "./queries.js";

import { verifyPassword } from "./secrets.js";
export async function ownPasswordChanger(ctx: CommandContext, p: { currentPassword: string; newPassword: string }) {
  const user: UserRow = (await ctx.tx("users").where({ id: ctx.actor.userId! }).first())!;
  if (!(await verifyPassword(user.password_hash, p.currentPassword))) {
    throw new ValidationError("wrong_current_password", "The current password is wrong", { field: "currentPassword" });
  }
  await passwordSetter(ctx, user, p.newPassword);
  const revoked = await sessionsRevoker(ctx, {
    userId: user.id,
    reason: "password_change",
    exceptSessionId: ctx.actor.sessionId,
  });
  await audit(ctx, {
    action: "user.password_change",
    target: { type: "user", id: user.id },
    details: { sessionsRevoked: revoked.length },
  });
}
