// The document lifecycle over HTTP (SPEC R2.5-R2.8): approval, signatures, sending, receipt, the
// recipient's answers, annulment, the history, the evidence package, and content replacement in a
// draft. Each state change is one command in one transaction; an illegal one answers 409 with the
// current state.
import { z } from "zod";
import type { AppDeps } from "../../deps.js";
import { actorRef } from "../../domain/context.js";
import {
  ApprovalDecision,
  ApprovalRoute,
  approvalDecider,
  approvalSubmitter,
  eligibleApprovers,
} from "../../domain/documents/approval.js";
import { contentAccess, readableDocument } from "../../domain/documents/access.js";
import { contentReplacer, contentReplacementPreparer } from "../../domain/documents/contentReplacement.js";
import { StaffReason } from "./documents.js";
import { evidencePackage } from "../../domain/documents/evidence.js";
import { releasedAfter, streamBody, unreadable } from "../delivery.js";
import { approvalSeenBy, internalsSeenBy, visibleStep } from "../../domain/documents/history.js";
import {
  AnnulmentAnswer,
  Reason,
  Receipt,
  annulmentAnswerer,
  annulmentRequester,
  documentSender,
  receiptRecorder,
  recipientAnswerer,
  sendPreparer,
} from "../../domain/documents/exchange.js";
import { presentDocument, presentEvent, presentReceipt, presentSignature } from "../../domain/documents/presenters.js";
import { documentFiles, eventsOf, fileReferenced, receiptsOf } from "../../domain/documents/queries.js";
import { documentSigner, signaturePreparer, signaturesOf } from "../../domain/documents/signing.js";
import { notFound, UnavailableError, ValidationError } from "../../errors.js";
import { signatureProtocolPdf } from "../../domain/documents/protocol.js";
import type { Api, Ctx } from "../api.js";
import { commandContext } from "../api.js";
import { readUpload } from "../upload.js";

const SignatureBody = z.strictObject({
  /** the detached CMS: base64 of its DER, or its PEM text */
  cms: z.string().min(16).max(700_000),
});

export function cmsFrom(text: string): Buffer {
  if (text.trimStart().startsWith("-----BEGIN")) return Buffer.from(text, "latin1");
  if (!/^[A-Za-z0-9+/=\s]+$/.test(text))
    throw new ValidationError("cms_malformed", "cms must be base64 of the DER signature or its PEM text");
  return Buffer.from(text, "base64");
}

export function documentWorkflowRoutes(api: Api, deps: AppDeps) {
  const withDocument = async (ctx: Ctx, id: string) => {
    const { document, files } = await readableDocument({ tx: ctx.state.tx ?? deps.db, actor: ctx.state.actor }, id);
    return presentDocument(document, files);
  };
  const move = (
    path: string,
    summary: string,
    body: z.ZodType | undefined,
    run: (ctx: Ctx, id: string, body: any) => Promise<unknown>,
  ) =>
    api.add({
      method: "post",
      path: `/api/v1/documents/:id/${path}`,
      summary,
      tag: "document lifecycle",
      auth: "any",
      tx: true,
      body,
      responses: {
        200: "The document after the step",
        409: "Not allowed in the document's current state (the body names it)",
      },
      handler: async (ctx, { params, body: b }) => {
        await run(ctx, params.id, b);
        ctx.body = await withDocument(ctx, params.id);
      },
    });

  move(
    "approval",
    "Route a draft for approval: ordered steps, each with approvers of whom any or all must approve",
    ApprovalRoute,
    (ctx, id, b) => approvalSubmitter(commandContext(ctx, deps), { documentId: id, ...b }),
  );
  move(
    "approval/decisions",
    "The current step's approver approves, or returns the document with a comment",
    ApprovalDecision,
    (ctx, id, b) => approvalDecider(commandContext(ctx, deps), { documentId: id, ...b }),
  );
  api.add({
    method: "post",
    path: "/api/v1/documents/:id/send",
    tag: "document lifecycle",
    auth: "any",
    summary:
      "Send a signed document to its recipient (invites it by e-mail when it has nobody on the appliance); an organization with server-side sealing gets its HSM seal added first",
    responses: {
      200: "The document after the step",
      409: "Not allowed in the document's current state (the body names it)",
      503: "The seal cannot be made now (HSM or revocation); nothing sent",
    },
    handler: async (ctx, { params }) => {
      const c = commandContext(ctx, deps);
      const seal = await sendPreparer({ ...c, tx: deps.reader }, { documentId: params.id, pki: deps.pki });
      await deps.db.transaction((tx) => documentSender({ ...c, tx }, { documentId: params.id, seal }));
      ctx.body = await withDocument(ctx, params.id);
    },
  });
  move(
    "receipt",
    "The recipient's system acknowledges receipt of exactly the content with this SHA-256",
    Receipt,
    (ctx, id, b) => receiptRecorder(commandContext(ctx, deps), { documentId: id, contentSha256: b.contentSha256 }),
  );
  move("rejection", "The recipient refuses the document, with a reason", Reason, (ctx, id, b) =>
    recipientAnswerer(commandContext(ctx, deps), { documentId: id, answer: "reject", reason: b.reason }),
  );
  move(
    "clarification-request",
    "The recipient asks the sender to clarify or correct the document",
    Reason,
    (ctx, id, b) =>
      recipientAnswerer(commandContext(ctx, deps), { documentId: id, answer: "clarify", reason: b.reason }),
  );
  move(
    "annulment-request",
    "Either side asks to annul a sent document; the other side must agree",
    Reason,
    (ctx, id, b) => annulmentRequester(commandContext(ctx, deps), { documentId: id, reason: b.reason }),
  );
  move(
    "annulment-answer",
    "The other side agrees to the annulment (annulled) or declines it (back to where it was)",
    AnnulmentAnswer,
    (ctx, id, b) => annulmentAnswerer(commandContext(ctx, deps), { documentId: id, ...b }),
  );

  api.add({
    method: "post",
    path: "/api/v1/documents/:id/signatures",
    tag: "document lifecycle",
    auth: "any",
    body: SignatureBody,
    summary:
      "Sign: post a detached CMS over the content (the sender before sending, the recipient after receipt); the first signature freezes the content",
    responses: {
      201: "Signature checked and stored",
      409: "Not signable in the current state, or already signed",
      422: "Does not sign this content, does not verify, or its certificate fails a check (every failed check is named)",
      503: "The certificate's revocation status could not be established now (no OCSP responder or CRL answered); nothing stored, try again later",
    },
    handler: async (ctx, { params, body }) => {
      const c = commandContext(ctx, deps);
      // The checks that may wait on an OCSP responder run before the transaction, on the reader.
      const prepared = await signaturePreparer(
        { ...c, tx: deps.reader },
        { documentId: params.id, cms: cmsFrom(body.cms), blobs: deps.blobs, pki: deps.pki },
      );
      const r = await deps.db.transaction((tx) => documentSigner({ ...c, tx }, prepared));
      ctx.status = 201;
      ctx.body = {
        signature: presentSignature(r.signature),
        document: presentDocument(r.document, await documentFiles(deps.db, params.id)),
      };
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/documents/:id/signatures",
    summary: "The document's signatures, each with its certificate and the validation report made when it was accepted",
    tag: "document lifecycle",
    auth: "any",
    handler: async (ctx, { params }) => {
      await readableDocument({ tx: deps.db, actor: ctx.state.actor }, params.id);
      ctx.body = { items: (await signaturesOf(deps.db, params.id)).map(presentSignature) };
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/documents/:id/signatures/:signatureId",
    summary: "Download one signature (DER, application/pkcs7-signature)",
    tag: "document lifecycle",
    auth: "any",
    handler: async (ctx, { params }) => {
      await readableDocument({ tx: deps.db, actor: ctx.state.actor }, params.id);
      const s = (await signaturesOf(deps.db, params.id)).find((x) => x.id === params.signatureId);
      if (!s) throw notFound();
      ctx.type = "application/pkcs7-signature";
      ctx.set("Content-Disposition", `attachment; filename="${s.id}.p7s"`);
      ctx.body = Buffer.from(s.cms);
    },
  });

  const protocol = async (ctx: Ctx, id: string) => {
    const { document } = await readableDocument({ tx: deps.db, actor: ctx.state.actor }, id);
    return signatureProtocolPdf({ document, signatures: await signaturesOf(deps.db, id), verifyUrl: publicUrl(ctx) });
  };
  const publicUrl = (ctx: Ctx) => deps.config.server.publicUrl || `${ctx.protocol}://${ctx.host}`;
  api.add({
    method: "get",
    path: "/api/v1/documents/:id/signature-protocol",
    tag: "document lifecycle",
    auth: "any",
    summary:
      "The signature protocol as PDF: the document, its hash, each signer (IIN/BIN, certificate, signing and timestamp time, validation result) and a QR reference to check it",
    handler: async (ctx, { params }) => {
      ctx.type = "application/pdf";
      ctx.set("Content-Disposition", `inline; filename="${params.id}-signature-protocol.pdf"`);
      ctx.body = await protocol(ctx, params.id);
    },
  });
  api.add({
    method: "get",
    path: "/api/v1/documents/:id/signature-protocol.p7s",
    tag: "document lifecycle",
    auth: "any",
    summary:
      "The appliance's detached CMS (HSM system key) over exactly the PDF the signature-protocol route returns now",
    responses: { 200: "application/pkcs7-signature", 503: "No HSM, or it cannot sign now" },
    handler: async (ctx, { params }) => {
      const pdf = await protocol(ctx, params.id);
      if (!deps.config.hsm.module)
        throw new UnavailableError(
          "hsm_not_configured",
          "No HSM is configured: the appliance has no system key to sign the protocol with",
        );
      const cms = await deps.signer.signSystem(pdf).catch((err: Error) => {
        throw new UnavailableError("hsm_unavailable", `The HSM cannot sign now: ${err.message}`);
      });
      ctx.type = "application/pkcs7-signature";
      ctx.set("Content-Disposition", `attachment; filename="${params.id}-signature-protocol.pdf.p7s"`);
      ctx.body = cms;
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/documents/:id/approvers",
    summary:
      "Whom the route's author may put on an approval route: active people with a writing role over the sending branch (anyone who may route the document may ask)",
    tag: "document lifecycle",
    auth: "user",
    handler: async (ctx, { params }) => {
      ctx.body = { items: await eligibleApprovers({ ...commandContext(ctx, deps), tx: deps.reader }, params.id) };
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/documents/:id/history",
    summary: "Approval route, signatures, receipts and every step taken, in order",
    tag: "document lifecycle",
    auth: "any",
    handler: async (ctx, { params }) => {
      const read = await readableDocument({ tx: deps.db, actor: ctx.state.actor }, params.id);
      const seen = internalsSeenBy(ctx.state.actor, read.document, read.staff);
      const [approval, signatures, receipts, events] = await Promise.all([
        approvalSeenBy(deps.db, params.id, seen),
        signaturesOf(deps.db, params.id),
        receiptsOf(deps.db, params.id),
        eventsOf(deps.db, params.id),
      ]);
      ctx.body = {
        approval,
        signatures: signatures.map(presentSignature),
        receipts: receipts.map(presentReceipt),
        events: events.filter((e) => visibleStep(e, seen)).map(presentEvent),
      };
    },
  });

  api.add({
    method: "get",
    path: "/api/v1/documents/:id/evidence",
    summary:
      "Evidence package: ZIP of content, attachments, signatures, receipts, history, audit extract and a manifest of hashes (staff give a reason)",
    tag: "document lifecycle",
    auth: "any",
    query: StaffReason,
    handler: async (ctx, { params, query }) => {
      const read = await readableDocument({ tx: deps.db, actor: ctx.state.actor }, params.id);
      const { document, files } = read;
      await contentAccess(
        deps.auditJournal,
        deps.config,
        read,
        ctx.state.actor,
        { ip: ctx.ip || null, requestId: ctx.state.requestId },
        query.reason,
      );
      const by = actorRef(ctx.state.actor);
      const pkg = await evidencePackage({
        db: deps.db,
        blobs: deps.blobs,
        document,
        files,
        generatedAt: deps.clock.now().toISOString(),
        generatedBy: by,
        verifyUrl: publicUrl(ctx),
        signer: deps.config.hsm.module ? deps.signer : null,
        seen: internalsSeenBy(ctx.state.actor, document, read.staff),
      }).catch((err) => unreadable(deps, ctx, err));
      // Audited once the whole package was produced, before its last bytes go out.
      const audit = () =>
        deps.auditJournal
          .record({ actor: by, ip: ctx.ip || null, requestId: ctx.state.requestId }, [
            {
              action: "document.evidence_download",
              target: { type: "document", id: document.id },
              organizationId: document.sender_organization_id,
              details: {},
            },
          ])
          .then(() => undefined);
      ctx.type = "application/zip";
      ctx.set("Content-Disposition", `attachment; filename="${pkg.fileName}"`);
      ctx.set("Cache-Control", "private, no-store");
      streamBody(deps, ctx, releasedAfter(pkg.stream, audit));
    },
  });

  api.add({
    method: "put",
    path: "/api/v1/documents/:id/content",
    tag: "documents",
    auth: "any",
    upload: true,
    summary:
      "Replace a draft's content (multipart `content`, or JSON base64); refused once the document is signed (content frozen)",
    responses: { 200: "Replaced", 409: "Frozen by a signature, or not a draft" },
    handler: async (ctx, { params }) => {
      const c = commandContext(ctx, deps);
      const { limit } = await contentReplacementPreparer(c, { documentId: params.id });
      const max = ctx.is("multipart/form-data") ? limit : Math.min(limit, deps.config.documents.jsonMaxBytes);
      const upload = await readUpload(ctx, deps.blobs, max, false);
      try {
        if (upload.files.length !== 1 || upload.files[0].role !== "content") {
          throw new ValidationError("content_only", "Send exactly one file, the new content");
        }
        const f = upload.files[0];
        const file = {
          role: "content" as const,
          name: f.name,
          mediaType: f.mediaType,
          sha256: f.staged.sha256,
          size: f.staged.size,
        };
        await contentReplacementPreparer(c, { documentId: params.id, file });
        await upload.commit();
        await deps.db.transaction(async (tx) => {
          await contentReplacer({ ...c, tx }, { documentId: params.id, file });
        });
        await upload.discard(); // kept: only lets go of the file
      } catch (err) {
        await upload.withdraw((sha256) => fileReferenced(deps.db, sha256)); // refused input keeps nothing
        throw err;
      }
      ctx.body = await withDocument(ctx, params.id);
    },
  });
}
