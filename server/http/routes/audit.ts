// Reading and verifying the audit log (SPEC R5.7, R5.8): system administrators and compliance
// officers see everything; an organization's administrators see their organization's entries.
import { z } from "zod";
import type { AppDeps } from "../../app.js";
import { auditEntries, auditVerifier, presentAuditEntry } from "../../domain/audit/queries.js";
import { authorize, can } from "../../domain/identity/policy.js";
import { organizationById } from "../../domain/identity/queries.js";
import type { Api } from "../api.js";
import { Uuid } from "./schemas.js";

export function auditRoutes(api: Api, deps: AppDeps) {
  api.add({
    method: "get", path: "/api/v1/audit", summary: "Audit entries, newest first (keyset paging by `before`)", tag: "audit", auth: "user",
    query: z.strictObject({
      organizationId: Uuid.optional(), actorId: Uuid.optional(), targetId: z.string().max(64).optional(), action: z.string().max(64).optional(),
      from: z.iso.datetime().optional(), to: z.iso.datetime().optional(), before: z.coerce.number().int().positive().optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
    handler: async (ctx, { query }) => {
      const actor = ctx.state.actor;
      let organizationIds: string[] | null = null;
      if (!can(actor, "audit.read", { type: "audit", organizationId: null, rootPath: null })) {
        const candidates = query.organizationId ? [query.organizationId] : [...new Set(actor.grants.map((g) => g.organizationId).filter((x): x is string => Boolean(x)))];
        organizationIds = [];
        for (const id of candidates) {
          const o = await organizationById(deps.db, id);
          if (o && can(actor, "audit.read", { type: "audit", organizationId: id, rootPath: o.root.path })) organizationIds.push(id);
        }
        if (organizationIds.length === 0) authorize(actor, "audit.read", { type: "audit", organizationId: query.organizationId ?? null, rootPath: null });
      } else if (query.organizationId) {
        organizationIds = [query.organizationId];
      }
      const rows = await auditEntries(deps.db, { ...query, beforeSeq: query.before, organizationIds });
      ctx.body = { items: rows.map(presentAuditEntry), next: rows.length === query.limit ? Number(rows[rows.length - 1].seq) : null };
    },
  });
  api.add({
    method: "get", path: "/api/v1/audit/verify", summary: "Recompute the hash chain; reports the first broken sequence number", tag: "audit", auth: "user",
    handler: async (ctx) => {
      authorize(ctx.state.actor, "audit.verify", { type: "audit", organizationId: null, rootPath: null });
      ctx.body = await auditVerifier(deps.db);
    },
  });
}
