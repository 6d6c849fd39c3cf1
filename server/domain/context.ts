// What every command receives: the transaction, who acts, the clock and config, and request meta
// for the audit entry written in the same transaction.
import type { Clock } from "../clock.js";
import type { Signer } from "../pki/signer.js";
import type { Config } from "../config/index.js";
import type { Tx } from "../storage/db.js";
import { auditAppender, type AuditEvent } from "./audit/commands.js";
import type { Actor } from "./identity/roles.js";

export interface RequestMeta {
  ip: string | null;
  requestId: string | null;
  userAgent?: string | null;
}

export interface CommandContext {
  tx: Tx;
  actor: Actor;
  clock: Clock;
  config: Config;
  meta: RequestMeta;
  /** the appliance's system key (receipts, disposition records); absent in jobs and the CLI */
  signer?: Signer;
}

export const actorRef = (a: Actor) => ({ type: a.type, id: a.id });

export function audit(ctx: CommandContext, ...events: AuditEvent[]) {
  return auditAppender(ctx.tx, ctx.clock, { actor: actorRef(ctx.actor), ...ctx.meta }, events);
}

export const nowIso = (ctx: { clock: Clock }) => ctx.clock.now().toISOString();
