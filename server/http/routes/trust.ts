// Trust and verification over HTTP (SPEC R3.2, R3.3): the CA certificates this appliance trusts,
// reloading them after an administrator changed config/trust/, and a verification service that
// checks any detached CMS against content someone holds, without storing either.
import { z } from "zod";
import type { AppDeps } from "../../deps.js";
import { audit } from "../../domain/context.js";
import { presentReport } from "../../domain/documents/presenters.js";
import { signatureValidator } from "../../domain/signatures/validation.js";
import { authorize } from "../../domain/identity/policy.js";
import { NotFoundError, UnavailableError, UnsupportedMediaTypeError, ValidationError } from "../../errors.js";
import { verifyDetachedCms } from "../../pki/cms.js";
import { sha256 } from "../../domain/identity/secrets.js";
import type { Api } from "../api.js";
import { commandContext } from "../api.js";
import { cmsFrom } from "./documentWorkflow.js";

const Base64 = z.string().regex(/^[A-Za-z0-9+/=\s]*$/, "base64");

export function trustRoutes(api: Api, deps: AppDeps) {
  api.add({
    method: "get",
    path: "/api/v1/trust",
    summary:
      "Trusted CA certificates (subject, validity, SHA-256 fingerprint, what they carry) and files that could not be read",
    tag: "trust",
    auth: "user",
    handler: async (ctx) => {
      authorize(ctx.state.actor, "trust.read", { type: "appliance" });
      await deps.trust.ensureLoaded();
      ctx.body = deps.trust.list();
    },
  });

  api.add({
    method: "post",
    path: "/api/v1/trust/reload",
    summary:
      "Read the trust directory again (after CA certificates were added or removed), on every node; no restart needed",
    tag: "trust",
    auth: "user",
    tx: true,
    handler: async (ctx) => {
      const c = commandContext(ctx, deps);
      authorize(c.actor, "trust.manage", { type: "appliance" });
      await deps.trust.ensureLoaded();
      const before = new Set(deps.trust.list().anchors.map((a) => a.fingerprint));
      const loaded = await deps.trust.reload(deps.clock.now());
      const now = deps.trust.list();
      const after = new Set(now.anchors.map((a) => a.fingerprint));
      await audit(c, {
        action: "trust.reload",
        target: { type: "trust", id: null },
        details: {
          anchors: loaded.anchors,
          added: now.anchors.filter((a) => !before.has(a.fingerprint)).map((a) => a.subject),
          removed: [...before].filter((f) => !after.has(f)).length,
          problems: loaded.problems,
        },
      });
      // Every other node reads its trust directory again when this transaction commits.
      await deps.bus.publish("pki.trust_reload", { node: deps.config.cluster.nodeName }, c.tx);
      ctx.body = now;
    },
  });

  api.add({
    method: "post",
    path: "/api/v1/signatures/verify",
    summary:
      "Verify a detached CMS over content you hold (both base64, up to the JSON body limit): the signature, the chain to a trusted CA, validity and purpose; nothing is stored",
    tag: "trust",
    auth: "any",
    body: z.strictObject({ cms: z.string().min(16), content: Base64 }),
    responses: {
      200: "The validation report (valid true or false)",
      422: "The CMS does not sign this content or does not verify",
    },
    handler: async (ctx, { body }) => {
      const content = Buffer.from(body.content, "base64");
      if (content.length === 0) throw new ValidationError("content_empty", "content is empty");
      const check = await verifyDetachedCms(cmsFrom(body.cms), { sha256: sha256(content), read: async () => content });
      const report = await signatureValidator(deps.pki, check, null, deps.clock.now());
      ctx.body = {
        contentSha256: sha256(content),
        digestAlgorithm: check.digestAlgorithm,
        signatureAlgorithm: check.signatureAlgorithm,
        signingTime: check.signingTime,
        certificate: report.certificate,
        ...presentReport(report),
      };
    },
  });

  api.add({
    method: "post",
    path: "/tsa",
    tag: "trust",
    auth: "none",
    summary:
      "The appliance's own RFC 3161 timestamp authority (tsa.serve): a DER TimeStampReq (application/timestamp-query) in, a TimeStampResp out, signed by the HSM key tsa.keyLabel",
    responses: {
      200: "application/timestamp-reply: granted, or rejected with the reason (failInfo)",
      404: "The internal TSA is not enabled",
      503: "The HSM cannot sign now",
    },
    handler: async (ctx) => {
      if (!deps.timestampAuthority)
        throw new NotFoundError(
          "tsa_not_served",
          "This appliance does not serve a TSA (tsa.serve, with an HSM key tsa.keyLabel)",
        );
      const body = (ctx.request as { body?: unknown }).body;
      if (!Buffer.isBuffer(body))
        throw new UnsupportedMediaTypeError(
          "unsupported_media_type",
          "Send a DER TimeStampReq as application/timestamp-query",
        );
      const reply = await deps.timestampAuthority.respond(body).catch((err: Error) => {
        throw new UnavailableError("hsm_unavailable", `The TSA cannot sign now: ${err.message}`);
      });
      ctx.type = "application/timestamp-reply";
      ctx.body = reply;
    },
  });
}
