// The administrator's view of the notification outbox (SPEC R7): what was sent or failed, and
// sending a failed notification again. The outbox itself is mail's (server/mail/outbox.ts).
import { notFound } from "../../errors.js";
import { outboxEntries, outboxRetrier } from "../../mail/outbox.js";
import type { Tx } from "../../storage/db.js";
import { audit, type CommandContext } from "../context.js";
import { authorize } from "../identity/policy.js";
import type { Actor } from "../identity/roles.js";

export function outboxListed(db: Tx, actor: Actor, f: Parameters<typeof outboxEntries>[1]) {
  authorize(actor, "system.read", { type: "appliance" });
  return outboxEntries(db, f);
}

/** A failed notification back in the queue, now (audited); 404 when there is no failed one with that number. */
export async function notificationRetrier(ctx: CommandContext, seq: string): Promise<void> {
  authorize(ctx.actor, "announcement.manage", { type: "appliance" });
  if (!/^\d{1,15}$/.test(seq)) throw notFound();
  if (!(await outboxRetrier(ctx.tx, ctx.clock, Number(seq)))) throw notFound();
  await audit(ctx, { action: "outbox.retry", target: { type: "outbox", id: seq } });
}
