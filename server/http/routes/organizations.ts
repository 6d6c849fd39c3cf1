// Organizations (participants and external counterparties) and their branch trees.
import { z } from "zod";
import { Bin, Edrpou, ParticipantKindField, Rnokpp } from "../../domain/shared/identifiers.js";
import { isTimeZone } from "../../domain/shared/zones.js";

const TimeZoneField = z.string().max(64).refine(isTimeZone, "an IANA time zone such as Asia/Almaty or Europe/Kyiv");
import {
  AcceptancePolicy,
  Holidays,
  acceptancePolicyOf,
  acceptancePolicySetter,
  holidaysSetter,
} from "../../domain/documents/calendar.js";
import type { AppDeps } from "../../deps.js";
import { defaultPlanSubscriber } from "../../domain/billing/subscriptions.js";
import { systemActor } from "../../domain/identity/roles.js";
import { bumpEpoch } from "../../domain/retention/facts.js";
import { sealSetter } from "../../domain/documents/seals.js";
import {
  organizationBlocker,
  organizationCreator,
  organizationUpdater,
  readableOrganization,
} from "../../domain/identity/organizations.js";
import { branchBlocker, branchCreator, branchUpdater } from "../../domain/identity/branches.js";
import { can } from "../../domain/identity/policy.js";
import type { Actor } from "../../domain/identity/roles.js";
import { presentBranch, presentBranchTree, presentOrganization } from "../../domain/identity/presenters.js";
import { branchResource, branchesOf, organizationsVisibleTo } from "../../domain/identity/queries.js";
import type { Api } from "../api.js";
import { commandContext } from "../api.js";
import { Uuid } from "./schemas.js";
import { displayName } from "../../domain/shared/text.js";

const Name = displayName(300);
const Reason = z.strictObject({ reason: z.string().trim().min(3).max(1000) });

export function organizationRoutes(api: Api, deps: AppDeps) {
  const visibleOrg = (actor: Actor, id: string) => readableOrganization(deps.db, actor, id);

  api.add({
    method: "get",
    path: "/api/v1/organizations",
    summary: "Organizations the caller may see (own ones and external counterparties)",
    tag: "organizations",
    auth: "any",
    query: z.strictObject({
      q: z.string().max(100).optional(),
      external: z.enum(["true", "false"]).optional(),
      limit: z.coerce.number().int().min(1).max(500).default(50),
      cursor: Uuid.optional(),
    }),
    handler: async (ctx, { query }) => {
      const rows = await organizationsVisibleTo(deps.db, ctx.state.actor, {
        q: query.q,
        external: query.external === undefined ? undefined : query.external === "true",
        limit: query.limit,
        after: query.cursor,
      });
      ctx.body = {
        items: rows.map((o) => presentOrganization(o)),
        next: rows.length === query.limit ? rows[rows.length - 1].id : null,
      };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/organizations",
    summary: "Register an organization (or an external counterparty) with its head office",
    tag: "organizations",
    auth: "user",
    tx: true,
    responses: { 201: "Created" },
    body: z.strictObject({
      name: Name,
      country: z.enum(["KZ", "UA"]),
      kind: ParticipantKindField.optional(),
      bin: Bin.optional(),
      edrpou: Edrpou.optional(),
      rnokpp: Rnokpp.optional(),
      timeZone: TimeZoneField.optional(),
      external: z.boolean().optional(),
      headOfficeName: Name.optional(),
      totpRequired: z.boolean().optional(),
    }),
    handler: async (ctx, { body }) => {
      const c = commandContext(ctx, deps);
      const o = await organizationCreator(c, body);
      // SPEC R4.1: on the default plan (Demo) until the operator chooses another — everyone is metered.
      await defaultPlanSubscriber({ ...c, actor: systemActor }, o.org.id);
      ctx.status = 201;
      ctx.body = presentOrganization(o.org, o.root);
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/organizations/:id",
    summary: "One organization",
    tag: "organizations",
    auth: "any",
    handler: async (ctx, { params }) => {
      const o = await visibleOrg(ctx.state.actor, params.id);
      ctx.body = presentOrganization(o.org, o.root);
    },
  });
  api.add({
    method: "patch",
    path: "/api/v1/organizations/:id",
    summary: "Rename, make TOTP mandatory for its users, or set its time zone (null: the appliance's)",
    tag: "organizations",
    auth: "user",
    tx: true,
    body: z.strictObject({
      name: Name.optional(),
      totpRequired: z.boolean().optional(),
      timeZone: TimeZoneField.nullable().optional(),
    }),
    handler: async (ctx, { body, params }) => {
      const c = commandContext(ctx, deps);
      const o = await organizationUpdater(c, { id: params.id, ...body });
      // A party's zone decides its documents' registration days: retention's facts move on (R5.1).
      if (body.timeZone !== undefined) await bumpEpoch(c.tx);
      deps.auth.invalidate();
      ctx.body = presentOrganization(o.org, o.root);
    },
  });
  api.add({
    method: "put",
    path: "/api/v1/organizations/:id/seal",
    tag: "organizations",
    auth: "user",
    tx: true,
    summary:
      "Server-side sealing: the HSM key (label) whose certificate is issued to this organization seals every outgoing document at sending; null turns it off",
    body: z.strictObject({ keyLabel: z.string().min(1).max(100).nullable() }),
    responses: {
      200: "Set",
      422: "The key's certificate is not this organization's signing certificate",
      503: "No HSM, or no such key",
    },
    handler: async (ctx, { params, body }) => {
      ctx.body = await sealSetter(commandContext(ctx, deps), { organizationId: params.id, keyLabel: body.keyLabel });
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/organizations/:id/acceptance-policy",
    tag: "organizations",
    auth: "any",
    summary:
      "How long recipients have to answer this organization's acts before they are deemed accepted, and its holidays",
    handler: async (ctx, { params }) => {
      await visibleOrg(ctx.state.actor, params.id);
      ctx.body = await acceptancePolicyOf(deps.db, deps.config, params.id);
    },
  });
  api.add({
    method: "put",
    path: "/api/v1/organizations/:id/acceptance-policy",
    tag: "organizations",
    auth: "user",
    tx: true,
    body: AcceptancePolicy,
    summary:
      "Choose calendar days (default 7) or working days (default 5, skipping weekends and holidays) for deemed acceptance",
    handler: async (ctx, { body, params }) => {
      ctx.body = await acceptancePolicySetter(commandContext(ctx, deps), { organizationId: params.id, ...body });
    },
  });
  api.add({
    method: "put",
    path: "/api/v1/organizations/:id/holidays",
    tag: "organizations",
    auth: "user",
    tx: true,
    body: Holidays,
    summary: "Replace the organization's holiday calendar (days that working-day periods skip)",
    handler: async (ctx, { body, params }) => {
      ctx.body = await holidaysSetter(commandContext(ctx, deps), { organizationId: params.id, ...body });
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/organizations/:id/block",
    summary: "Block a participant (e.g. false registration data), with a reason",
    tag: "organizations",
    auth: "user",
    tx: true,
    body: Reason,
    handler: async (ctx, { body, params }) => {
      const o = await organizationBlocker(commandContext(ctx, deps), {
        id: params.id,
        blocked: true,
        reason: body.reason,
      });
      ctx.body = presentOrganization(o.org, o.root);
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/organizations/:id/unblock",
    summary: "Lift an organization's block",
    tag: "organizations",
    auth: "user",
    tx: true,
    handler: async (ctx, { params }) => {
      const o = await organizationBlocker(commandContext(ctx, deps), { id: params.id, blocked: false });
      ctx.body = presentOrganization(o.org, o.root);
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/organizations/:id/branches",
    summary: "The branch tree the caller may see (a branch-scoped role sees its subtree)",
    tag: "organizations",
    auth: "any",
    handler: async (ctx, { params }) => {
      await visibleOrg(ctx.state.actor, params.id);
      const rows = (await branchesOf(deps.db, params.id)).filter((b) =>
        can(ctx.state.actor, "branch.read", branchResource(b)),
      );
      ctx.body = { items: presentBranchTree(rows) };
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/organizations/:id/branches",
    summary: "Create a branch under a parent branch",
    tag: "organizations",
    auth: "user",
    tx: true,
    body: z.strictObject({ name: Name, parentId: Uuid }),
    responses: { 201: "Created" },
    handler: async (ctx, { body, params }) => {
      ctx.status = 201;
      ctx.body = presentBranch(await branchCreator(commandContext(ctx, deps), { organizationId: params.id, ...body }));
    },
  });
  api.add({
    method: "patch",
    path: "/api/v1/branches/:id",
    summary: "Rename a branch or move it under another parent",
    tag: "organizations",
    auth: "user",
    tx: true,
    body: z.strictObject({ name: Name.optional(), parentId: Uuid.optional() }),
    handler: async (ctx, { body, params }) => {
      const b = await branchUpdater(commandContext(ctx, deps), { id: params.id, ...body });
      deps.auth.invalidate();
      ctx.body = presentBranch(b);
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/branches/:id/block",
    summary: "Block a branch with a reason",
    tag: "organizations",
    auth: "user",
    tx: true,
    body: Reason,
    handler: async (ctx, { body, params }) => {
      ctx.body = presentBranch(
        await branchBlocker(commandContext(ctx, deps), { id: params.id, blocked: true, reason: body.reason }),
      );
    },
  });
  api.add({
    method: "post",
    path: "/api/v1/branches/:id/unblock",
    summary: "Lift a branch's block",
    tag: "organizations",
    auth: "user",
    tx: true,
    handler: async (ctx, { params }) => {
      ctx.body = presentBranch(await branchBlocker(commandContext(ctx, deps), { id: params.id, blocked: false }));
    },
  });
}
