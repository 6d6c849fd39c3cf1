// Powers of attorney over HTTP (SPEC R1.6): ask for the body to sign, give (with the head's
// signature), list, read, revoke.
import { z } from "zod";
import type { AppDeps } from "../../deps.js";
import {
  PowerOfAttorneyInput,
  powerOfAttorneyBody,
  powerOfAttorneyCreator,
  powerOfAttorneyPreparer,
  powerOfAttorneyRevoker,
  presentPowerOfAttorney,
  powersOfAttorneyVisibleTo,
  readablePowerOfAttorney,
} from "../../domain/documents/powersOfAttorney.js";

import { sha256 } from "../../domain/identity/secrets.js";
import { readableOrganization } from "../../domain/identity/organizations.js";

import type { Api } from "../api.js";
import { commandContext } from "../api.js";
import { cmsFrom } from "./documentWorkflow.js";

export function powerOfAttorneyRoutes(api: Api, deps: AppDeps) {
  api.add({
    method: "post",
    path: "/api/v1/organizations/:id/powers-of-attorney/body",
    tag: "powers of attorney",
    auth: "user",
    body: PowerOfAttorneyInput,
    summary: "The exact bytes the head signs to give this power of attorney (canonical JSON; also base64)",
    handler: async (ctx, { params, body }) => {
      const text = await powerOfAttorneyBody({ ...commandContext(ctx, deps), tx: deps.reader }, params.id, body);
      ctx.body = { body: text, base64: Buffer.from(text).toString("base64"), sha256: sha256(Buffer.from(text)) };
    },
  });

  api.add({
    method: "post",
    path: "/api/v1/organizations/:id/powers-of-attorney",
    tag: "powers of attorney",
    auth: "user",
    body: PowerOfAttorneyInput.extend({ cms: z.string().min(16).max(700_000) }),
    summary:
      "The head gives a power of attorney: the input and his detached CMS over its body, made with his first-head certificate of this organization",
    responses: {
      201: "Given",
      422: "The signature is not the head's valid first-head signature over this body (every failed check named)",
      503: "Revocation status cannot be established now",
    },
    handler: async (ctx, { params, body }) => {
      const { cms, ...input } = body;
      const c = commandContext(ctx, deps);
      const prepared = await powerOfAttorneyPreparer(
        { ...c, tx: deps.reader },
        { organizationId: params.id, input, cms: cmsFrom(cms), pki: deps.pki },
      );
      const row = await deps.db.transaction((tx) =>
        powerOfAttorneyCreator({ ...c, tx }, { organizationId: params.id, input, cms: cmsFrom(cms), prepared }),
      );
      ctx.status = 201;
      ctx.body = presentPowerOfAttorney(row);
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/organizations/:id/powers-of-attorney",
    tag: "powers of attorney",
    auth: "any",
    summary: "Powers of attorney of the organization in the caller's reach (branch subtree), newest first",
    query: z.strictObject({ status: z.enum(["active", "revoked"]).optional(), attorneyUserId: z.uuid().optional() }),
    handler: async (ctx, { params, query }) => {
      await readableOrganization(deps.db, ctx.state.actor, params.id);
      ctx.body = {
        items: (await powersOfAttorneyVisibleTo(deps.db, ctx.state.actor, params.id, query)).map(
          presentPowerOfAttorney,
        ),
      };
    },
  });

  api.add({
    method: "post",
    path: "/api/v1/powers-of-attorney/:id/revocation",
    tag: "powers of attorney",
    auth: "user",
    tx: true,
    body: z.strictObject({ reason: z.string().trim().min(3).max(1000) }),
    summary:
      "Revoke a power of attorney (the head or an organization administrator); signatures made under it before stay valid",
    responses: { 200: "Revoked", 409: "Already revoked" },
    handler: async (ctx, { params, body }) => {
      ctx.body = presentPowerOfAttorney(
        await powerOfAttorneyRevoker(commandContext(ctx, deps), { id: params.id, reason: body.reason }),
      );
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/powers-of-attorney/:id",
    tag: "powers of attorney",
    auth: "any",
    summary: "One power of attorney with its signed body and the head's CMS",
    handler: async (ctx, { params }) => {
      ctx.body = presentPowerOfAttorney(await readablePowerOfAttorney(deps.db, ctx.state.actor, params.id));
    },
  });
}
