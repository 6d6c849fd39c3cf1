// Password rules (SPEC R1.4): length, not the login or IIN, not one of the last ones used; stored as
// argon2 hashes with their history.

import { ValidationError } from "../../errors.js";

import { nowIso, type CommandContext } from "../context.js";

import { hashPassword, passwordProblems, verifyPassword } from "./secrets.js";
export async function assertPasswordAcceptable(
  ctx: CommandContext,
  password: string,
  user: { id?: string; login: string; iin?: string | null },
) {
  const problems = passwordProblems(password, ctx.config.auth.passwordMinLength, [user.login, user.iin]);
  if (user.id && ctx.config.auth.passwordHistory > 0) {
    const recent: Array<{ password_hash: string }> = await ctx
      .tx("password_history")
      .where({ user_id: user.id })
      .orderBy("id", "desc")
      .limit(ctx.config.auth.passwordHistory);
    for (const r of recent)
      if (await verifyPassword(r.password_hash, password)) {
        problems.push("recently_used");
        break;
      }
  }
  if (problems.length)
    throw new ValidationError("password_policy", "The password does not meet the password policy", {
      field: "password",
      rules: problems,
      minLength: ctx.config.auth.passwordMinLength,
    });
}

export async function passwordSetter(
  ctx: CommandContext,
  user: { id: string; login: string; iin: string | null },
  password: string,
) {
  await assertPasswordAcceptable(ctx, password, user);
  const hash = await hashPassword(password, ctx.config.auth.argon2);
  const now = nowIso(ctx);
  await ctx
    .tx("users")
    .where({ id: user.id })
    .update({ password_hash: hash, password_changed_at: now, updated_at: now });
  await ctx.tx("password_history").insert({ user_id: user.id, password_hash: hash, created_at: now });
}
