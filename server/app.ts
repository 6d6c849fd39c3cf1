// createApp(deps) → a Koa app. Everything with a side effect (clock, mailer, signer, blobs, db) is
// passed in, so tests build the same app with a controllable clock and real parts.
import Koa from "koa";
import path from "node:path";
import { readFileSync } from "node:fs";
import { buffer } from "node:stream/consumers";

import { projectRoot } from "./config/index.js";
import { AuditJournal } from "./domain/audit/journal.js";
import { AuthService } from "./domain/identity/authService.js";
import { headTakenAt, registrationWriter } from "./domain/documents/registration/writer.js";
import PromClient from "prom-client";
import { registrationScript } from "./domain/documents/registration/sqliteScript.js";
import { DirectoryCache } from "./domain/documents/directoryCache.js";
import { GroupCommit } from "./storage/groupCommit.js";
import { oneAtATime } from "./storage/oneAtATime.js";
import { TrustStore } from "./pki/trust.js";
import { RevocationChecker } from "./pki/revocation.js";
import { TimestampAuthority, timestampSource, TsaClient } from "./pki/tsa.js";
import { crlRefreshJob } from "./jobs/crlRefresh.js";
import { auditCheckpointJob } from "./jobs/auditCheckpoint.js";
import type { CertificateServices } from "./domain/signatures/validation.js";
import { trustRoutes } from "./http/routes/trust.js";
import { powerOfAttorneyRoutes } from "./http/routes/powersOfAttorney.js";
import { Api } from "./http/api.js";
import { consoleStatic } from "./http/console.js";
import { identify } from "./http/middleware/auth.js";
import { createMetrics, jsonBody, requestContext } from "./http/middleware/basics.js";
import { errorMiddleware } from "./http/middleware/errors.js";
import { auditRoutes } from "./http/routes/audit.js";
import { authRoutes } from "./http/routes/auth.js";
import { meRoutes } from "./http/routes/me.js";
import { organizationRoutes } from "./http/routes/organizations.js";
import { systemRoutes } from "./http/routes/system.js";
import { userRoutes } from "./http/routes/users.js";
import { JobRegistry } from "./jobs/registry.js";
import { sessionsPurgeJob } from "./jobs/sessionsPurge.js";
import { blobSweepJob } from "./jobs/blobSweep.js";
import { documentRoutes } from "./http/routes/documents.js";
import { documentWorkflowRoutes } from "./http/routes/documentWorkflow.js";
import { invitationRoutes } from "./http/routes/invitations.js";
import { setApplianceZone } from "./domain/shared/zones.js";
import { actDocumentsPublisher } from "./domain/processes/actPublishing.js";
import { noticeRoutes } from "./http/routes/notices.js";
import { deemedAcceptanceJob } from "./jobs/deemedAcceptance.js";
import { billingDailyJob } from "./jobs/billingDaily.js";
import { invoiceDocumentsPublisher } from "./domain/processes/invoicePublishing.js";
import { OutboxDispatcher } from "./mail/dispatcher.js";
import { billingRoutes } from "./http/routes/billing.js";
import { operationsRoutes } from "./http/routes/operations.js";
import { retentionRoutes } from "./http/routes/retention.js";
import { privacyRoutes } from "./http/routes/privacy.js";
import { retentionDailyJob } from "./jobs/retentionDaily.js";
import { RetentionFactsCache } from "./domain/retention/facts.js";
import { retentionAssigner } from "./domain/retention/assignment.js";
import { documentRecords } from "./domain/documents/retentionRecords.js";

import { createReader } from "./storage/db.js";
import { createBus } from "./storage/bus.js";

export type { AppDeps, AppInput } from "./deps.js";
import type { AppDeps, AppInput } from "./deps.js";
import { bindAuditKey, loadAuditKey } from "./domain/audit/key.js";
import { auditAnchorJob } from "./jobs/auditAnchor.js";

export const VERSION: string = JSON.parse(readFileSync(path.join(projectRoot, "package.json"), "utf8")).version;

export function createApp(input: AppInput) {
  // The day billing, the gate and the jobs work on is the appliance's local one (SPEC R2.6, R4.4).
  setApplianceZone(input.config.server.timeZone);
  // Every audit entry written through this database carries a MAC under the key kept outside it.
  bindAuditKey(input.db, loadAuditKey(input.config.audit.keyFile));
  const jobs = new JobRegistry(
    { db: input.db, clock: input.clock, logger: input.logger },
    input.config.jobs.staleLockMinutes,
    input.config.server.timeZone,
    input.config.cluster.nodeName,
  );
  jobs.register(sessionsPurgeJob(input.config));
  jobs.register(blobSweepJob(input.config, input.blobs));
  jobs.register(deemedAcceptanceJob(input.config));
  const reader = createReader(input.config, input.db);
  const bus = input.bus ?? createBus(input.db, input.config.database.directUrl, input.logger);
  const trust = new TrustStore(input.config.pki.trustDir);
  const { required, ...revocationOptions } = input.config.pki.revocation;
  const tsa = input.config.tsa;
  const pki: CertificateServices = {
    trust,
    revocation: new RevocationChecker({ ...revocationOptions, dataDir: input.config.dataDir }),
    revocationRequired: required,
    timestamps: tsa.url
      ? { client: new TsaClient({ url: tsa.url, timeoutMs: tsa.timeoutMs, trust }), allowWithout: tsa.allowWithout }
      : null,
  };
  // The internal TSA (POST /tsa), signed by the HSM key tsa.keyLabel.
  const timestampAuthority =
    tsa.serve && input.signer.hsm
      ? new TimestampAuthority(input.signer.hsm, tsa.keyLabel, tsa.policy, () => input.clock.now())
      : null;
  const node = input.config.cluster.nodeName;
  jobs.register(
    crlRefreshJob(input.config, pki.revocation, async (urls) => {
      for (const url of urls) {
        const crl = pki.revocation.cachedCrl(url);
        if (!crl) continue;
        await input.blobs.put(crl.der);
        await bus.publish("pki.crl", { url, sha256: crl.sha256, node });
      }
    }),
  );
  // Duties of every node after one node's run or request: the CRLs it fetched, the trust store it reloaded.
  bus.subscribe("pki.crl", async (m: { url: string; sha256: string; node: string }) => {
    if (m.node === node) return;
    const r = await pki.revocation.adopt(m.url, await buffer(input.blobs.read(m.sha256)));
    if (r.problem) input.logger.warn({ url: m.url, problem: r.problem }, "CRL from another node: kept the cached CRL");
  });
  bus.subscribe("pki.trust_reload", async (m: { node: string }) => {
    if (m.node === node) return;
    const loaded = await trust.reload(input.clock.now());
    input.logger.info({ by: m.node, anchors: loaded.anchors }, "trust store reloaded, as another node did");
  });
  jobs.register(auditCheckpointJob(input.config, input.signer));
  // Anchors are timestamped by the configured TSA, else by the appliance's own (with an HSM).
  jobs.register(
    auditAnchorJob(input.config, () =>
      timestampSource(pki.timestamps?.client ?? null, timestampAuthority, trust, tsa.timeoutMs),
    ),
  );
  // One publishing run at a time, so an API call and the daily job never publish one invoice twice;
  // a call during a run makes it go round once more (for invoices issued after the run looked).
  const invoicePublisher = oneAtATime(
    async () => {
      const invoices = await invoiceDocumentsPublisher({ ...input, pki });
      const acts = await actDocumentsPublisher({ ...input, pki });
      return { published: invoices.published + acts.published, failed: invoices.failed + acts.failed };
    },
    (t, r) => ({ published: (t?.published ?? 0) + r.published, failed: (t?.failed ?? 0) + r.failed }),
  );
  jobs.register(billingDailyJob(input.config, invoicePublisher));
  const outbox = new OutboxDispatcher({ ...input, reader });
  // One assignment at a time; a change during a run makes it go round once more.
  const retentionAssign = oneAtATime(() => retentionAssigner(input.db, input.config, documentRecords));
  const retentionFacts = new RetentionFactsCache();
  const directory = new DirectoryCache();
  const registrationHeadHeld = { ms: 0 };
  const deps: AppDeps = {
    ...input,
    reader,
    trust,
    pki,
    timestampAuthority,
    documentRecords,
    auth: new AuthService({ ...input, reader }, bus),
    auditJournal: new AuditJournal(input.db, input.clock),
    registrar: new GroupCommit(
      input.db,
      (tx, items) => registrationWriter(tx, input.clock, items, retentionFacts, directory),
      64,
      (items) => registrationScript(input.db, input.clock, items, retentionFacts, directory),
      (tx) => {
        const at = headTakenAt.get(tx);
        if (at !== undefined) registrationHeadHeld.ms += performance.now() - at;
      },
    ),
    directory,
    jobs,
    outbox,
    invoicePublisher,
    retentionAssign,
    bus,
    metrics: createMetrics(),
    version: VERSION,
  };

  jobs.register(retentionDailyJob(input.config, deps, retentionAssign));

  // How long registrations held the audit chain's head, from its lock to their commit: what
  // serializes registrations across nodes (docs/performance.md, "Several nodes").
  new PromClient.Counter({
    name: "qujat_registration_audit_head_held_seconds_total",
    help: "Time registration transactions held the audit head's row lock (PostgreSQL), lock to commit",
    registers: [deps.metrics.registry],
    collect() {
      this.reset();
      this.inc(registrationHeadHeld.ms / 1000);
    },
  });

  const api = new Api(deps);
  systemRoutes(api, deps);
  authRoutes(api, deps);
  meRoutes(api, deps);
  organizationRoutes(api, deps);
  userRoutes(api, deps);
  auditRoutes(api, deps);
  documentRoutes(api, deps);
  documentWorkflowRoutes(api, deps);
  invitationRoutes(api, deps);
  noticeRoutes(api, deps);
  trustRoutes(api, deps);
  powerOfAttorneyRoutes(api, deps);
  billingRoutes(api, deps);
  operationsRoutes(api, deps);
  retentionRoutes(api, deps);
  privacyRoutes(api, deps);

  // Behind a proxy the client's address is counted from the right of its header: entries further
  // left were written by the client and prove nothing (SPEC R1.4's per-address throttle).
  const app = new Koa({
    proxy: input.config.server.trustProxy,
    proxyIpHeader: input.config.server.proxyHeader,
    maxIpsCount: input.config.server.proxyHops,
  });
  app.silent = true;
  app.use(requestContext(deps, deps.metrics));
  app.use(errorMiddleware(deps));
  app.use(consoleStatic(path.join(projectRoot, "console", "dist")));
  app.use(jsonBody(input.config.server.bodyLimitBytes));
  app.use(identify(deps));
  app.use(api.middleware());

  return {
    app,
    deps,
    api,
    close: async () => {
      await outbox.stop();
      await invoicePublisher.running();
      await retentionAssign.running();
      await deps.registrar.flush();
      await deps.auditJournal.flush();
      deps.auth.close();
      if (!input.bus) await bus.close();
      await input.blobs.close();
      if (reader !== input.db) await reader.destroy();
    },
  };
}
