// Reading and verifying the audit log (SPEC R5.7, R5.8): system administrators and compliance
// officers see everything; an organization's administrators see their organization's entries.
import { z } from "zod";
import type { AppDeps } from "../../deps.js";
import {
  auditCheckpoints,
  auditCheckpointWriter,
  latestCheckpoint,
  presentCheckpoint,
} from "../../domain/audit/checkpoints.js";
import { UnavailableError } from "../../errors.js";
import { auditEntries, auditExport, auditVerifier, presentAuditEntry } from "../../domain/audit/queries.js";
import { authorize, can } from "../../domain/identity/policy.js";
import { organizationById, organizationNames, userNames } from "../../domain/identity/queries.js";
import type { Api } from "../api.js";
import { Uuid } from "./schemas.js";

export function auditRoutes(api: Api, deps: AppDeps) {
  api.add({
    method: "get",
    path: "/api/v1/audit",
    summary: "Audit entries, newest first (keyset paging by `before`)",
    tag: "audit",
    auth: "user",
    query: z.strictObject({
      organizationId: Uuid.optional(),
      actorId: Uuid.optional(),
      targetId: z.string().max(64).optional(),
      action: z.string().max(64).optional(),
      from: z.iso.datetime().optional(),
      to: z.iso.datetime().optional(),
      before: z.coerce.number().int().positive().optional(),
      limit: z.coerce.number().int().min(1).max(1000).default(100),
    }),
    handler: async (ctx, { query }) => {
      const actor = ctx.state.actor;
      let organizationIds: string[] | null = null;
      if (!can(actor, "audit.read", { type: "audit", organizationId: null, rootPath: null })) {
        const candidates = query.organizationId
          ? [query.organizationId]
          : [...new Set(actor.grants.map((g) => g.organizationId).filter((x): x is string => Boolean(x)))];
        organizationIds = [];
        for (const id of candidates) {
          const o = await organizationById(deps.db, id);
          if (o && can(actor, "audit.read", { type: "audit", organizationId: id, rootPath: o.root.path }))
            organizationIds.push(id);
        }
        if (organizationIds.length === 0)
          authorize(actor, "audit.read", {
            type: "audit",
            organizationId: query.organizationId ?? null,
            rootPath: null,
          });
      } else if (query.organizationId) {
        organizationIds = [query.organizationId];
      }
      const rows = await auditEntries(deps.db, { ...query, beforeSeq: query.before, organizationIds });
      // People and organizations by name, so an entry reads as a sentence (the ids stay for search and export).
      const people = new Set<string>();
      const organizations = new Set<string>();
      for (const r of rows) {
        if (r.actor_type === "user" && r.actor_id) people.add(r.actor_id);
        if (r.target_type === "user" && r.target_id) people.add(r.target_id);
        if (r.target_type === "organization" && r.target_id) organizations.add(r.target_id);
      }
      const names = new Map<string, string>([
        ...(people.size ? await userNames(deps.db, [...people]) : []),
        ...(organizations.size ? await organizationNames(deps.db, [...organizations]) : []),
      ]);
      ctx.body = {
        items: rows.map((r) => presentAuditEntry(r, names)),
        next: rows.length === query.limit ? Number(rows[rows.length - 1].seq) : null,
      };
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/audit/verify",
    summary: "Recompute the hash chain; reports the first broken sequence number",
    tag: "audit",
    auth: "user",
    handler: async (ctx) => {
      authorize(ctx.state.actor, "audit.verify", { type: "audit", organizationId: null, rootPath: null });
      ctx.body = await auditVerifier(deps.db);
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/audit/export",
    tag: "audit",
    auth: "user",
    summary:
      "Export audit entries (oldest first) as JSON or CSV with the chain's verification and the latest signed checkpoint it was verified against (compliance officers)",
    query: z.strictObject({
      format: z.enum(["json", "csv"]).default("json"),
      organizationId: Uuid.optional(),
      actorId: Uuid.optional(),
      targetId: z.string().max(64).optional(),
      action: z.string().max(64).optional(),
      from: z.iso.datetime().optional(),
      to: z.iso.datetime().optional(),
      limit: z.coerce.number().int().min(1).max(1_000_000).default(100_000),
    }),
    handler: async (ctx, { query }) => {
      authorize(ctx.state.actor, "audit.verify", { type: "audit", organizationId: null, rootPath: null });
      const verification = await auditVerifier(deps.reader);
      const latest = await latestCheckpoint(deps.reader);
      const checkpoint = latest ? { ...presentCheckpoint(latest.checkpoint), matchesChain: latest.matchesChain } : null;
      const rows = await auditEntries(deps.reader, {
        ...query,
        organizationIds: query.organizationId ? [query.organizationId] : null,
        ascending: true,
      });
      await deps.auditJournal.record(
        {
          actor: { type: ctx.state.actor.type, id: ctx.state.actor.id },
          ip: ctx.ip || null,
          requestId: ctx.state.requestId,
        },
        [
          {
            action: "audit.export",
            target: { type: "audit", id: null },
            details: {
              format: query.format,
              entries: rows.length,
              verified: verification.ok,
              checkpoint: latest ? latest.checkpoint.id : null,
            },
          },
        ],
      );
      ctx.type = query.format === "json" ? "application/json" : "text/csv; charset=utf-8";
      ctx.set(
        "Content-Disposition",
        `attachment; filename="audit-${deps.clock.now().toISOString().slice(0, 10)}.${query.format}"`,
      );
      ctx.body = auditExport(query.format, rows, verification, checkpoint);
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/audit/checkpoints",
    summary:
      "Signed audit checkpoints, newest first: the chain's head (seq, hash) signed hourly by the HSM system key (detached CMS over body)",
    tag: "audit",
    auth: "user",
    handler: async (ctx) => {
      authorize(ctx.state.actor, "audit.verify", { type: "audit", organizationId: null, rootPath: null });
      const rows = await auditCheckpoints(deps.db, 100);
      ctx.body = { items: rows.map(presentCheckpoint) };
    },
  });

  api.add({
    method: "post",
    path: "/api/v1/audit/checkpoints",
    summary: "Sign a checkpoint of the audit chain's head now (besides the hourly job); 503 without a working HSM",
    tag: "audit",
    auth: "user",
    responses: { 201: "Signed and stored", 503: "No HSM, or it cannot sign now; nothing stored" },
    handler: async (ctx) => {
      authorize(ctx.state.actor, "audit.verify", { type: "audit", organizationId: null, rootPath: null });
      if (!deps.config.hsm.module)
        throw new UnavailableError(
          "hsm_not_configured",
          "No HSM is configured (hsm.module): the appliance has no system key to sign checkpoints with",
        );
      const c = await auditCheckpointWriter(
        deps.db,
        deps.clock,
        deps.signer,
        deps.config.server.publicUrl || deps.config.server.host,
      ).catch((err: Error) => {
        throw err instanceof UnavailableError
          ? err
          : new UnavailableError("hsm_unavailable", `The HSM cannot sign now: ${err.message}`);
      });
      ctx.status = 201;
      ctx.body = presentCheckpoint(c);
    },
  });
}
