// Legal holds (SPEC R5.4). A hold is named, has a reason and an owner, and covers either the
// documents it lists or every document matching all of its criteria: an organization (as either
// party), a counterparty, a kind, a registration period. A document may be under many holds. While
// any active hold covers it nothing destroys, alters or erases it: disposition skips it, content
// replacement and personal-data erasure are refused. `heldSql` is the one definition every path uses.
import { randomUUID } from "node:crypto";
import { z } from "zod";
import { notFound, StateConflictError, ValidationError } from "../../errors.js";
import { type Tx } from "../../storage/db.js";
import { inSlices } from "../../storage/statements.js";
import { audit, nowIso, type CommandContext } from "../context.js";
import { KINDS } from "../shared/kinds.js";
import { authorizeCompliance } from "./compliance.js";
import { displayName } from "../shared/text.js";

export const HoldInput = z
  .strictObject({
    name: displayName(200),
    reason: z.string().trim().min(1).max(2000),
    /** the user answerable for the hold; default the officer placing it */
    ownerUserId: z.uuid().optional(),
    scope: z.enum(["organization", "documents", "kind", "query"]),
    organizationId: z.uuid().optional(),
    counterpartyOrganizationId: z.uuid().optional(),
    kind: z.enum(KINDS).optional(),
    registeredFrom: z.iso.datetime().optional(),
    registeredTo: z.iso.datetime().optional(),
    documentIds: z.array(z.uuid()).min(1).max(10_000).optional(),
  })
  .superRefine((h, c) => {
    const need = (field: string, ok: boolean, message: string) => {
      if (!ok) c.addIssue({ code: "custom", path: [field], message });
    };
    if (h.scope === "organization")
      need("organizationId", Boolean(h.organizationId), "an organization hold names the organization");
    if (h.scope === "kind") need("kind", Boolean(h.kind), "a kind hold names the kind");
    if (h.scope === "documents")
      need("documentIds", Boolean(h.documentIds?.length), "a documents hold lists the documents");
    if (h.scope !== "documents") need("documentIds", !h.documentIds, "only a documents hold lists documents");
    if (h.scope === "query") {
      need(
        "organizationId",
        Boolean(h.organizationId || h.counterpartyOrganizationId || h.kind || h.registeredFrom || h.registeredTo),
        "a query hold has at least one criterion (organizationId, counterpartyOrganizationId, kind, registeredFrom, registeredTo)",
      );
    }
    if (h.registeredFrom && h.registeredTo)
      need("registeredTo", h.registeredFrom < h.registeredTo, "registeredTo is after registeredFrom");
  });
export type HoldInput = z.infer<typeof HoldInput>;

export interface HoldRow {
  id: string;
  name: string;
  reason: string;
  owner_user_id: string;
  scope: string;
  organization_id: string | null;
  counterparty_organization_id: string | null;
  kind: string | null;
  registered_from: string | null;
  registered_to: string | null;
  status: string;
  created_by: string | null;
  created_at: string;
  released_by: string | null;
  released_at: string | null;
  release_reason: string | null;
}

/**
 * SQL true when the active hold aliased `h` covers the document row aliased `d`: it lists the
 * document, or the document matches every criterion it has. The one definition of "covers".
 */
const coversSql = (h: string, d: string) => `${h}.status = 'active' and (case when ${h}.scope = 'documents'
  then exists (select 1 from legal_hold_documents hd where hd.hold_id = ${h}.id and hd.document_id = ${d}.id)
  else (${h}.organization_id is null or ${h}.organization_id = ${d}.sender_organization_id or ${h}.organization_id = ${d}.recipient_organization_id)
    and (${h}.counterparty_organization_id is null or ${h}.counterparty_organization_id = ${d}.sender_organization_id or ${h}.counterparty_organization_id = ${d}.recipient_organization_id)
    and (${h}.kind is null or ${h}.kind = ${d}.kind)
    and (${h}.registered_from is null or ${d}.created_at >= ${h}.registered_from)
    and (${h}.registered_to is null or ${d}.created_at < ${h}.registered_to) end)`;

/** SQL true when the document row aliased `d` is under an active hold (holds are few; listed documents go through the (hold_id, document_id) key). */
export const heldSql = (d = "documents") => `exists (select 1 from legal_holds h where ${coversSql("h", d)})`;

/** Of `ids`, those under an active hold. */
export async function heldDocumentIds(db: Tx, ids: string[]): Promise<Set<string>> {
  const rows = await inSlices(
    ids,
    500,
    (slice) => db("documents").whereIn("id", slice).whereRaw(heldSql()).select("id") as Promise<Array<{ id: string }>>,
  );
  return new Set(rows.map((r) => r.id));
}

/** The active holds covering one document (for refusals that name them). */
export async function holdsOn(db: Tx, documentId: string): Promise<Array<{ id: string; name: string }>> {
  return db("legal_holds as h")
    .join("documents as d", "d.id", db.raw("?", [documentId]))
    .whereRaw(coversSql("h", "d"))
    .orderBy("h.created_at")
    .select("h.id", "h.name");
}

/** Refuses (409 legal_hold) when a hold covers the document. */
export async function assertNotHeld(db: Tx, documentId: string, what: string): Promise<void> {
  const holds = await holdsOn(db, documentId);
  if (holds.length)
    throw new StateConflictError(
      "legal_hold",
      `${what} is refused: the document is under legal hold (${holds.map((h) => h.name).join(", ")})`,
      { holds },
    );
}

export async function holdCreator(ctx: CommandContext, h: HoldInput) {
  authorizeCompliance(ctx.actor, "retention.hold");
  for (const id of [h.organizationId, h.counterpartyOrganizationId].filter(Boolean) as string[]) {
    if (!(await ctx.tx("organizations").where({ id }).first("id"))) throw notFound();
  }
  const owner = h.ownerUserId ?? ctx.actor.userId;
  if (!owner || !(await ctx.tx("users").where({ id: owner }).first("id")))
    throw new ValidationError("invalid_owner", "The hold's owner must be an existing user", { field: "ownerUserId" });
  if (h.documentIds) {
    const ids = [...new Set(h.documentIds)];
    const found = new Set(
      (
        await inSlices(
          ids,
          500,
          (slice) => ctx.tx("documents").whereIn("id", slice).select("id") as Promise<Array<{ id: string }>>,
        )
      ).map((r) => r.id),
    );
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length)
      throw new ValidationError("unknown_documents", `${missing.length} of the listed documents do not exist`, {
        field: "documentIds",
        missing: missing.slice(0, 20),
      });
  }
  const row: HoldRow = {
    id: randomUUID(),
    name: h.name,
    reason: h.reason,
    owner_user_id: owner,
    scope: h.scope,
    organization_id: h.organizationId ?? null,
    counterparty_organization_id: h.counterpartyOrganizationId ?? null,
    kind: h.kind ?? null,
    registered_from: h.registeredFrom ?? null,
    registered_to: h.registeredTo ?? null,
    status: "active",
    created_by: ctx.actor.id,
    created_at: nowIso(ctx),
    released_by: null,
    released_at: null,
    release_reason: null,
  };
  await ctx.tx("legal_holds").insert(row);
  const ids = [...new Set(h.documentIds ?? [])];
  await inSlices(ids, 500, async (slice) => {
    await ctx.tx("legal_hold_documents").insert(slice.map((document_id) => ({ hold_id: row.id, document_id })));
  });
  await audit(ctx, {
    action: "retention.hold_place",
    target: { type: "legal_hold", id: row.id },
    organizationId: row.organization_id,
    details: {
      name: row.name,
      reason: row.reason,
      scope: row.scope,
      kind: row.kind,
      counterpartyOrganizationId: row.counterparty_organization_id,
      documents: ids.length,
    },
  });
  return presentHold(row, await heldCount(ctx.tx, row));
}

export async function holdReleaser(ctx: CommandContext, id: string, reason: string) {
  authorizeCompliance(ctx.actor, "retention.hold");
  const h: HoldRow | undefined = await ctx.tx("legal_holds").where({ id }).first();
  if (!h) throw notFound();
  if (h.status !== "active")
    throw new StateConflictError("hold_released", "The hold was already released", { releasedAt: h.released_at });
  await ctx
    .tx("legal_holds")
    .where({ id })
    .update({ status: "released", released_by: ctx.actor.id, released_at: nowIso(ctx), release_reason: reason });
  await audit(ctx, {
    action: "retention.hold_release",
    target: { type: "legal_hold", id },
    organizationId: h.organization_id,
    details: { name: h.name, reason },
  });
  return holdById(ctx.tx, id);
}

/**
 * How many documents a hold keeps now: the ones it lists, or — for a hold by organization, kind,
 * counterparty or period — every kept document matching it (the same "covers" as destruction
 * obeys). A released hold keeps none.
 */
async function heldCount(db: Tx, h: HoldRow): Promise<number> {
  if (h.status !== "active") return 0;
  const rows: Array<{ n: number | string }> = await db
    .raw(
      `select count(*) as n from documents d, legal_holds h where h.id = ? and d.status <> 'destroyed' and ${coversSql("h", "d")}`,
      [h.id],
    )
    .then((r: any) => (Array.isArray(r) ? r : r.rows));
  return Number(rows[0]?.n ?? 0);
}

export async function holdById(db: Tx, id: string) {
  const h: HoldRow | undefined = await db("legal_holds").where({ id }).first();
  if (!h) throw notFound();
  return presentHold(h, await heldCount(db, h));
}

export async function holdsList(db: Tx, status?: string) {
  const q = db("legal_holds").orderBy("created_at", "desc");
  if (status) q.where({ status });
  const rows: HoldRow[] = await q;
  const counts = await Promise.all(rows.map((h) => heldCount(db, h)));
  return rows.map((h, i) => presentHold(h, counts[i]));
}

export const presentHold = (h: HoldRow, documents: number) => ({
  id: h.id,
  name: h.name,
  reason: h.reason,
  ownerUserId: h.owner_user_id,
  scope: h.scope,
  organizationId: h.organization_id,
  counterpartyOrganizationId: h.counterparty_organization_id,
  kind: h.kind,
  registeredFrom: h.registered_from,
  registeredTo: h.registered_to,
  documents,
  status: h.status,
  createdBy: h.created_by,
  createdAt: h.created_at,
  releasedBy: h.released_by,
  releasedAt: h.released_at,
  releaseReason: h.release_reason,
});
