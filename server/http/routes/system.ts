// Liveness, readiness, metrics, the OpenAPI document and cron job records.
import type { AppDeps } from "../../deps.js";
import { authorize } from "../../domain/identity/policy.js";
import { databasePing } from "../../storage/db.js";
import { pendingMigrations } from "../../storage/migrations.js";
import { notFound } from "../../errors.js";
import type { Api } from "../api.js";
import { openApiDocument } from "../api.js";
import { presentJob } from "../../jobs/registry.js";

export function systemRoutes(api: Api, deps: AppDeps) {
  api.add({
    method: "get",
    path: "/healthz",
    summary: "Liveness: the process answers",
    tag: "system",
    auth: "none",
    handler: async (ctx) => {
      ctx.body = { status: "ok" };
    },
  });
  api.add({
    method: "get",
    path: "/readyz",
    summary:
      "Readiness: database reachable, migrations current, and the HSM's system key signs (when an HSM is configured); mail without SMTP, and an audit log with neither HSM nor TSA, are reported degraded",
    tag: "system",
    auth: "none",
    responses: { 200: "Ready", 503: "Not ready" },
    handler: async (ctx) => {
      const checks: Record<string, { ok: boolean; detail?: string }> = {};
      try {
        await databasePing(deps.db);
        checks.database = { ok: true };
        const pending = await pendingMigrations(deps.db);
        checks.migrations = pending.length ? { ok: false, detail: `pending: ${pending.join(", ")}` } : { ok: true };
      } catch (e) {
        checks.database = { ok: false, detail: (e as Error).message };
      }
      // The HSM, when one is configured: the system key must sign (a test signature, nothing kept).
      if (deps.config.hsm.module) {
        const s = await deps.signer.status();
        checks.hsm = { ok: s.available, detail: s.detail };
      }
      const ready = Object.values(checks).every((c) => c.ok);
      // Mail does not make the appliance unready, but without SMTP nobody gets e-mail (SPEC R6.2):
      // it is reported degraded, with the reason, and notices wait in the outbox and the console.
      const mail = deps.mailer.configured
        ? { ok: true }
        : {
            ok: false,
            degraded: true,
            detail:
              "no SMTP host is configured (mail.smtp.host): notices stay queued and are shown only in the console",
          };
      // What protects the audit log beyond its MAC key (SPEC R5.7): an HSM signs checkpoints, a
      // TSA timestamps anchors; with neither, whoever holds this machine can rewrite it undetected
      // unless the anchor file was shipped elsewhere.
      const tsa = deps.config.tsa.url || deps.timestampAuthority;
      const audit = deps.config.hsm.module
        ? { ok: true, detail: "checkpoints signed by the HSM system key; anchors delivered outside the database" }
        : tsa
          ? { ok: true, detail: "anchors timestamped by the TSA and delivered outside the database" }
          : {
              ok: false,
              degraded: true,
              detail: `neither an HSM nor a TSA: the audit log is only tamper-evident against naive edits — its anchors (${deps.config.audit.anchorFile}) are untimestamped; ship them off this machine and configure tsa.url`,
            };
      // Several nodes: without its listener this node hears of another node's revocations only when
      // its cache expires (auth.sessionCacheSeconds) — degraded, not unready.
      const cluster = deps.bus.listening
        ? { ok: true, node: deps.config.cluster.nodeName }
        : {
            ok: false,
            degraded: true,
            node: deps.config.cluster.nodeName,
            detail: `the cluster listener is down: other nodes' sign-outs and revocations reach this node within ${deps.config.auth.sessionCacheSeconds} s instead of at once`,
          };
      ctx.status = ready ? 200 : 503;
      ctx.body = {
        status: !ready ? "not_ready" : mail.ok && audit.ok && cluster.ok ? "ready" : "degraded",
        checks: { ...checks, mail, audit, cluster },
      };
    },
  });
  api.add({
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics",
    tag: "system",
    auth: "none",
    handler: async (ctx) => {
      ctx.type = deps.metrics.registry.contentType;
      ctx.body = await deps.metrics.registry.metrics();
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/openapi.json",
    summary: "This API described in OpenAPI 3.1",
    tag: "system",
    auth: "none",
    handler: async (ctx) => {
      ctx.body = openApiDocument(api.routes, deps.version);
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/system/jobs",
    summary: "Cron jobs with their last run and outcome",
    tag: "system",
    auth: "user",
    handler: async (ctx) => {
      authorize(ctx.state.actor, "system.read", { type: "appliance" });
      ctx.body = { items: (await deps.jobs.list()).map(presentJob) };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/system/jobs/:name/run",
    summary: "Run a cron job now (system administrators); answers with its outcome and result",
    tag: "system",
    auth: "user",
    responses: {
      200: "Ran, or joined a run in progress or begun less than a second ago on any node (skipped_locked, runningOn)",
      404: "No such job",
    },
    handler: async (ctx) => {
      authorize(ctx.state.actor, "system.manage", { type: "appliance" });
      const name = (ctx as any).params.name as string;
      if (!(await deps.jobs.list()).some((j) => j.name === name)) throw notFound();
      ctx.body = await deps.jobs.runRequested(name);
    },
  });
}
