// Retention, legal holds and disposition over HTTP (SPEC R5.1, R5.2, R5.4, R5.5), for compliance
// officers (system administrators read). Commands that change what decides retain-until dates
// commit first; the documents' dates are then brought up to date (deps.retentionAssign) before the
// answer, so a preview right after sees them.
import { Readable } from "node:stream";
import { buffer } from "node:stream/consumers";
import { z } from "zod";
import { dispositionBatch, dispositionBatches } from "../../domain/retention/disposition.js";
import { retentionEventsListed } from "../../domain/retention/events.js";
import { earlyDestructionRequests } from "../../domain/retention/earlyDestruction.js";
import type { AppDeps } from "../../deps.js";
import type { CommandContext } from "../../domain/context.js";
import {
  dispositionCounts,
  dispositionDecider,
  dispositionExecutor,
  dispositionPreviewer,
  presentBatch,
  type BatchRow,
} from "../../domain/retention/disposition.js";
import { HoldInput, holdById, holdCreator, holdReleaser, holdsList } from "../../domain/retention/holds.js";
import { authorizeCompliance } from "../../domain/retention/compliance.js";
import {
  Decision,
  policiesList,
  policyById,
  policyChanger,
  policyCreator,
  policyDecider,
  PolicyChange,
  PolicyInput,
} from "../../domain/retention/policyVersions.js";
import { contractEndRecorder, RetentionEvent, retentionEventRecorder } from "../../domain/retention/events.js";
import {
  EarlyDestructionRequest,
  earlyDestructionDecider,
  earlyDestructionRequester,
  presentEarlyDestruction,
} from "../../domain/retention/earlyDestruction.js";
import { authorize } from "../../domain/identity/policy.js";
import { notFound } from "../../errors.js";
import type { Api, Ctx } from "../api.js";
import { commandContext } from "../api.js";

export function retentionRoutes(api: Api, deps: AppDeps) {
  /** Runs the command in its own transaction, then re-assigns retain-until dates. */
  const changing = async <T>(ctx: Ctx, run: (c: CommandContext) => Promise<T>): Promise<T> => {
    const out = await deps.db.transaction((tx) => run({ ...commandContext(ctx, deps), tx }));
    await deps.retentionAssign();
    return out;
  };
  const meta = (ctx: Ctx) => ({ ip: ctx.ip || null, requestId: ctx.state.requestId as string | null });
  const read = (ctx: Ctx) => authorizeCompliance(ctx.state.actor, "retention.read", true);

  // ---------- policies ----------
  api.add({
    method: "get",
    path: "/api/v1/retention/policies",
    tag: "retention",
    auth: "user",
    summary:
      "Retention policies with their versions. When several rules match a document the longest retention wins (the latest date; a rule still waiting for its trigger beats every date); with none, the default rule (retention.defaultMonths from registration)",
    handler: async (ctx) => {
      read(ctx);
      ctx.body = { items: await policiesList(deps.reader), defaultMonths: deps.config.retention.defaultMonths };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/retention/policies",
    tag: "retention",
    auth: "user",
    body: PolicyInput,
    responses: { 201: "Created; in force at once, or pending a second officer when it could shorten retention" },
    summary:
      "Create a retention rule by kind, organization and trigger (registration, document_date, contract_end, event) with a period and an end action (destroy, review)",
    handler: async (ctx, { body }) => {
      ctx.status = 201;
      ctx.body = await changing(ctx, (c) => policyCreator(c, body));
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/retention/policies/:id",
    tag: "retention",
    auth: "user",
    summary: "One policy with every version",
    handler: async (ctx, { params }) => {
      read(ctx);
      ctx.body = await policyById(deps.reader, params.id);
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/retention/policies/:id/versions",
    tag: "retention",
    auth: "user",
    body: PolicyChange,
    responses: { 201: "New version: active, or pending a second officer" },
    summary:
      "Change a policy (a new version; shortening waits for a second compliance officer; a locked policy only extends); retire: true ends the rule",
    handler: async (ctx, { params, body }) => {
      ctx.status = 201;
      ctx.body = await changing(ctx, (c) => policyChanger(c, params.id, body));
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/retention/policies/:id/versions/:version/decision",
    tag: "retention",
    auth: "user",
    body: Decision,
    summary: "Approve or reject a pending version (another compliance officer than the proposer: 403 same_officer)",
    handler: async (ctx, { params, body }) => {
      if (!/^\d{1,6}$/.test(params.version)) throw notFound();
      ctx.body = await changing(ctx, (c) => policyDecider(c, params.id, Number(params.version), body));
    },
  });

  // ---------- events, contract ends, early destruction ----------
  api.add({
    method: "post",
    path: "/api/v1/retention/events",
    tag: "retention",
    auth: "user",
    body: RetentionEvent,
    responses: { 201: "Recorded; rules with this event as trigger now have a date" },
    summary:
      "Record an event retention rules may start from, e.g. counterparty_relationship_ended (with the counterparty)",
    handler: async (ctx, { body }) => {
      ctx.status = 201;
      ctx.body = await changing(ctx, (c) => retentionEventRecorder(c, body));
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/retention/events",
    tag: "retention",
    auth: "user",
    summary: "Recorded retention events, newest first",
    handler: async (ctx) => {
      read(ctx);
      const rows = await retentionEventsListed(deps.reader, 1000);
      ctx.body = {
        items: rows.map((e) => ({
          id: e.id,
          event: e.event,
          organizationId: e.organization_id,
          counterpartyOrganizationId: e.counterparty_organization_id,
          occurredOn: e.occurred_on,
          recordedBy: e.recorded_by,
          createdAt: e.created_at,
        })),
      };
    },
  });
  api.add({
    method: "put",
    path: "/api/v1/organizations/:id/contract-end",
    tag: "retention",
    auth: "user",
    body: z.strictObject({ endedOn: z.iso.date().nullable() }),
    summary:
      "Record (or clear) the end of a participant's contract with the operator (R5.2): its documents stay readable for retention.afterContractMonths, then fall to retention. Set by the billing job when a head office's subscription is terminated",
    handler: async (ctx, { params, body }) => {
      authorize(ctx.state.actor, "billing.manage", { type: "appliance" });
      await changing(ctx, (c) => contractEndRecorder(c, { organizationId: params.id, endedOn: body.endedOn }));
      ctx.body = { organizationId: params.id, contractEndedOn: body.endedOn };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/organizations/:id/early-destruction",
    tag: "retention",
    auth: "user",
    body: EarlyDestructionRequest,
    tx: true,
    responses: { 201: "Requested; a compliance officer decides" },
    summary:
      "A participant (its administrator or head) asks that its documents be destroyed before their retention ends (R5.2); a compliance officer decides, then a disposition destroys them",
    handler: async (ctx, { params, body }) => {
      ctx.status = 201;
      ctx.body = await earlyDestructionRequester(commandContext(ctx, deps), {
        organizationId: params.id,
        reason: body.reason,
      });
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/retention/early-destruction",
    tag: "retention",
    auth: "user",
    summary: "Early destruction requests, newest first",
    handler: async (ctx) => {
      read(ctx);
      ctx.body = { items: (await earlyDestructionRequests(deps.reader, 1000)).map(presentEarlyDestruction) };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/retention/early-destruction/:id/decision",
    tag: "retention",
    auth: "user",
    body: Decision,
    summary: "Approve or reject an early destruction request (a compliance officer other than the requester)",
    handler: async (ctx, { params, body }) => {
      ctx.body = await changing(ctx, (c) => earlyDestructionDecider(c, params.id, body));
    },
  });

  // ---------- legal holds ----------
  api.add({
    method: "get",
    path: "/api/v1/retention/holds",
    tag: "retention",
    auth: "user",
    summary: "Legal holds, newest first",
    query: z.strictObject({ status: z.enum(["active", "released"]).optional() }),
    handler: async (ctx, { query }) => {
      read(ctx);
      ctx.body = { items: await holdsList(deps.reader, query.status) };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/retention/holds",
    tag: "retention",
    auth: "user",
    body: HoldInput,
    tx: true,
    responses: { 201: "Placed" },
    summary:
      "Place a legal hold on an organization, a set of documents, a kind, or a query (organization, counterparty, kind, registration period): nothing it covers may be destroyed, altered or erased",
    handler: async (ctx, { body }) => {
      ctx.status = 201;
      ctx.body = await holdCreator(commandContext(ctx, deps), body);
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/retention/holds/:id",
    tag: "retention",
    auth: "user",
    summary: "One legal hold",
    handler: async (ctx, { params }) => {
      read(ctx);
      ctx.body = await holdById(deps.reader, params.id);
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/retention/holds/:id/release",
    tag: "retention",
    auth: "user",
    tx: true,
    body: z.strictObject({ reason: z.string().trim().min(1).max(2000) }),
    summary: "Release a legal hold (audited with the reason)",
    handler: async (ctx, { params, body }) => {
      ctx.body = await holdReleaser(commandContext(ctx, deps), params.id, body.reason);
    },
  });

  // ---------- disposition ----------
  api.add({
    method: "get",
    path: "/api/v1/retention/due",
    tag: "retention",
    auth: "user",
    query: z.strictObject({ asOf: z.iso.date().optional() }),
    summary:
      "What is due on a day (default today) without making a batch: to destroy, held, for review — per organization and kind",
    handler: async (ctx, { query }) => {
      read(ctx);
      const asOf = query.asOf ?? deps.clock.now().toISOString().slice(0, 10);
      ctx.body = { asOf, ...(await dispositionCounts(deps.reader, asOf)) };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/retention/disposition",
    tag: "retention",
    auth: "user",
    body: z.strictObject({ asOf: z.iso.date().optional() }),
    responses: { 201: "Previewed" },
    summary:
      "Preview a disposition batch as of a day (default today): counts per organization and kind, bytes, oldest/newest, what holds skip and what waits for review. Replaces an earlier preview not yet approved",
    handler: async (ctx, { body }) => {
      ctx.status = 201;
      ctx.body = await dispositionPreviewer(deps, ctx.state.actor, meta(ctx), body);
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/retention/disposition",
    tag: "retention",
    auth: "user",
    summary: "Disposition batches, newest first",
    handler: async (ctx) => {
      read(ctx);
      const rows = await dispositionBatches(deps.reader, 200);
      ctx.body = { items: rows.map((b) => presentBatch({ ...b, certificate_body: null, certificate_cms: null })) };
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/retention/disposition/:id",
    tag: "retention",
    auth: "user",
    summary: "One disposition batch with its preview and progress",
    handler: async (ctx, { params }) => {
      read(ctx);
      const b = await dispositionBatch(deps.reader, params.id);
      if (!b) throw notFound();
      ctx.body = presentBatch(b);
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/retention/disposition/:id/approve",
    tag: "retention",
    auth: "user",
    summary:
      "Approve a previewed batch (a second compliance officer: 403 same_officer; 409 preview_stale when retention rules changed since the preview)",
    handler: async (ctx, { params }) => {
      ctx.body = await dispositionDecider(deps, ctx.state.actor, meta(ctx), params.id, true);
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/retention/disposition/:id/cancel",
    tag: "retention",
    auth: "user",
    summary: "Cancel a batch not yet executing",
    handler: async (ctx, { params }) => {
      ctx.body = await dispositionDecider(deps, ctx.state.actor, meta(ctx), params.id, false);
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/retention/disposition/:id/execute",
    tag: "retention",
    auth: "user",
    body: z.strictObject({ maxSteps: z.number().int().min(1).max(1_000_000).optional() }),
    summary:
      "Execute (or resume) an approved batch now — the daily job does it otherwise. maxSteps bounds the write transactions of this call; the answer shows the progress. 503 without an HSM or a TSA: nothing is destroyed without a signed, timestamped certificate",
    handler: async (ctx, { params, body }) => {
      ctx.body = await dispositionExecutor(deps, ctx.state.actor, meta(ctx), params.id, { maxSteps: body.maxSteps });
    },
  });
  const certificateOf = async (ctx: Ctx, id: string) => {
    read(ctx);
    const b = await dispositionBatch(deps.reader, id);
    if (!b) throw notFound();
    if (!b.certificate_cms || !b.certificate_sha256) throw notFound();
    return b;
  };
  /** The body exactly as signed: in the blob store under its hash (earlier batches: in the row). */
  const certificateBody = (b: BatchRow) =>
    b.certificate_body !== null
      ? Readable.from([Buffer.from(b.certificate_body)])
      : deps.blobs.read(b.certificate_sha256!);
  api.add({
    method: "get",
    path: "/api/v1/retention/disposition/:id/certificate",
    tag: "retention",
    auth: "user",
    summary:
      "The disposition certificate: body (JSON listing every destroyed document's hashes) and its detached CMS by the HSM system key with a signature timestamp (base64)",
    handler: async (ctx, { params }) => {
      const b = await certificateOf(ctx, params.id);
      ctx.body = {
        batchId: b.id,
        sha256: b.certificate_sha256,
        timestampedAt: b.timestamped_at,
        body: (await buffer(certificateBody(b))).toString("utf8"),
        cms: Buffer.from(b.certificate_cms!).toString("base64"),
      };
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/retention/disposition/:id/certificate.json",
    tag: "retention",
    auth: "user",
    summary: "The certificate's body exactly as signed",
    handler: async (ctx, { params }) => {
      const b = await certificateOf(ctx, params.id);
      ctx.type = "application/json";
      ctx.set("Content-Disposition", `attachment; filename="disposition-${b.id}.json"`);
      ctx.body = certificateBody(b);
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/retention/disposition/:id/certificate.p7s",
    tag: "retention",
    auth: "user",
    summary:
      "The certificate's detached CMS (DER): `openssl cms -verify -binary -inform DER -in certificate.p7s -content certificate.json -CAfile <CA>`",
    handler: async (ctx, { params }) => {
      const b = await certificateOf(ctx, params.id);
      ctx.type = "application/pkcs7-signature";
      ctx.set("Content-Disposition", `attachment; filename="disposition-${b.id}.p7s"`);
      ctx.body = Buffer.from(b.certificate_cms!);
    },
  });
}
