// TOTP (SPEC R1.4): enrolment (a secret confirmed by a first code), recovery codes, and turning it off
// where no organization requires it.

import { ForbiddenError, StateConflictError, ValidationError } from "../../errors.js";

import { audit, nowIso, type CommandContext } from "../context.js";

import { type UserRow } from "./queries.js";

import {
  newRecoveryCodes,
  newTotpSecret,
  normalizeRecoveryCode,
  sha256,
  totpUri,
  totpValid,
  verifyPassword,
} from "./secrets.js";
import { totpRequiredByOrganization } from "./passwordSignIn.js";
export async function totpEnroller(ctx: CommandContext) {
  const user: UserRow = (await ctx.tx("users").where({ id: ctx.actor.userId! }).first())!;
  if (user.totp_enabled) throw new StateConflictError("totp_already_enabled", "TOTP is already enabled");
  const secret = newTotpSecret();
  await ctx
    .tx("users")
    .where({ id: user.id })
    .update({ pending_totp_secret: secret, updated_at: nowIso(ctx) });
  await audit(ctx, { action: "totp.enrol_start", target: { type: "user", id: user.id } });
  return { secret, otpauthUri: totpUri(ctx.config.auth.totpIssuer, user.login, secret) };
}

export async function totpConfirmer(ctx: CommandContext, p: { code: string }) {
  const user: UserRow = (await ctx.tx("users").where({ id: ctx.actor.userId! }).first())!;
  if (user.totp_enabled) throw new StateConflictError("totp_already_enabled", "TOTP is already enabled");
  if (!user.pending_totp_secret) throw new StateConflictError("totp_not_started", "Start the enrolment first");
  if (!(await totpValid(user.pending_totp_secret, p.code, ctx.clock.now(), ctx.config.auth.totpWindowSteps))) {
    throw new ValidationError("invalid_totp", "The one-time code is wrong", { field: "code" });
  }
  await ctx
    .tx("users")
    .where({ id: user.id })
    .update({
      totp_secret: user.pending_totp_secret,
      pending_totp_secret: null,
      totp_enabled: true,
      updated_at: nowIso(ctx),
    });
  const codes = await recoveryCodesReplacer(ctx, user.id);
  await audit(ctx, { action: "totp.enable", target: { type: "user", id: user.id } });
  return codes;
}

async function recoveryCodesReplacer(ctx: CommandContext, userId: string) {
  const codes = newRecoveryCodes(ctx.config.auth.recoveryCodes);
  await ctx.tx("recovery_codes").where({ user_id: userId }).delete();
  await ctx
    .tx("recovery_codes")
    .insert(codes.map((c) => ({ user_id: userId, code_hash: sha256(normalizeRecoveryCode(c)) })));
  return codes;
}

export async function recoveryCodesRegenerator(ctx: CommandContext, p: { password: string }) {
  const user: UserRow = (await ctx.tx("users").where({ id: ctx.actor.userId! }).first())!;
  if (!user.totp_enabled) throw new StateConflictError("totp_not_enabled", "TOTP is not enabled");
  if (!(await verifyPassword(user.password_hash, p.password)))
    throw new ValidationError("wrong_current_password", "The password is wrong", { field: "password" });
  const codes = await recoveryCodesReplacer(ctx, user.id);
  await audit(ctx, { action: "totp.recovery_codes_regenerate", target: { type: "user", id: user.id } });
  return codes;
}

export async function totpDisabler(ctx: CommandContext, p: { password: string; code: string }) {
  const user: UserRow = (await ctx.tx("users").where({ id: ctx.actor.userId! }).first())!;
  if (!user.totp_enabled) throw new StateConflictError("totp_not_enabled", "TOTP is not enabled");
  if (await totpRequiredByOrganization(ctx.tx, user.id))
    throw new ForbiddenError("totp_mandatory", "Your organization requires TOTP");
  if (!(await verifyPassword(user.password_hash, p.password)))
    throw new ValidationError("wrong_current_password", "The password is wrong", { field: "password" });
  if (!(await totpValid(user.totp_secret!, p.code, ctx.clock.now(), ctx.config.auth.totpWindowSteps)))
    throw new ValidationError("invalid_totp", "The one-time code is wrong", { field: "code" });
  await ctx
    .tx("users")
    .where({ id: user.id })
    .update({ totp_secret: null, totp_enabled: false, updated_at: nowIso(ctx) });
  await ctx.tx("recovery_codes").where({ user_id: user.id }).delete();
  await audit(ctx, { action: "totp.disable", target: { type: "user", id: user.id } });
}
