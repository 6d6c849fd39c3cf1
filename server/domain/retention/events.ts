// Retention events (SPEC R5.2): what some rules start from — a relationship with a counterparty
// ended, a dispute closed — and a participant's contract with the operator ending.
import { randomUUID } from "node:crypto";
import { z } from "zod";

import { notFound } from "../../errors.js";
import { type Tx } from "../../storage/db.js";
import { audit, nowIso, type CommandContext } from "../context.js";

import { organizationFactsWriter } from "../identity/records.js";
import { authorizeCompliance } from "./compliance.js";
import { bumpEpoch } from "./facts.js";
import { IsoDate } from "./policyVersions.js";
export const RetentionEvent = z.strictObject({
  event: z
    .string()
    .trim()
    .regex(/^[a-z][a-z0-9_]{1,63}$/, "snake_case, e.g. counterparty_relationship_ended"),
  organizationId: z.uuid(),
  counterpartyOrganizationId: z.uuid().optional(),
  occurredOn: IsoDate,
});

/** Records an event rules may start from (e.g. "the relationship with this counterparty ended"). */
export async function retentionEventRecorder(ctx: CommandContext, p: z.infer<typeof RetentionEvent>) {
  authorizeCompliance(ctx.actor, "retention.manage");
  for (const id of [p.organizationId, p.counterpartyOrganizationId].filter(Boolean) as string[]) {
    if (!(await ctx.tx("organizations").where({ id }).first("id"))) throw notFound();
  }
  const row = {
    id: randomUUID(),
    event: p.event,
    organization_id: p.organizationId,
    counterparty_organization_id: p.counterpartyOrganizationId ?? null,
    occurred_on: p.occurredOn,
    recorded_by: ctx.actor.id,
    created_at: nowIso(ctx),
  };
  await ctx.tx("retention_events").insert(row);
  await bumpEpoch(ctx.tx);
  await audit(ctx, {
    action: "retention.event",
    target: { type: "organization", id: p.organizationId },
    organizationId: p.organizationId,
    details: { event: p.event, counterpartyOrganizationId: row.counterparty_organization_id, occurredOn: p.occurredOn },
  });
  return {
    id: row.id,
    event: row.event,
    organizationId: row.organization_id,
    counterpartyOrganizationId: row.counterparty_organization_id,
    occurredOn: row.occurred_on,
    createdAt: row.created_at,
  };
}

/** R5.2: the participant's contract with the operator ended on `endedOn` (the billing job records it when a head office's subscription is terminated). */
export async function contractEndRecorder(ctx: CommandContext, p: { organizationId: string; endedOn: string | null }) {
  const n = await organizationFactsWriter(ctx.tx, p.organizationId, { contract_ended_on: p.endedOn }, nowIso(ctx));
  if (n !== 1) throw notFound();
  await bumpEpoch(ctx.tx);
  await audit(ctx, {
    action: "organization.contract_end",
    target: { type: "organization", id: p.organizationId },
    organizationId: p.organizationId,
    details: { endedOn: p.endedOn },
  });
}

/** Recorded retention events (a contract ended, a dispute opened…), newest first. */
export function retentionEventsListed(db: Tx, limit: number): Promise<Array<Record<string, any>>> {
  return db("retention_events").orderBy("created_at", "desc").limit(limit);
}
