// Signing (SPEC R2.5, R3.1, R3.2): either side posts a detached CMS over the content. It is checked
// cryptographically (structure, message digest = content hash, signature), then its certificate:
// chain to a trusted CA, validity, purpose, holder and authority (signatureValidation.ts). The
// report is kept with the signature. The first signature freezes the content (R2.3).
import { randomUUID } from "node:crypto";
import { ConflictError } from "../../errors.js";
import { verifyDetachedCms, type DetachedCmsCheck } from "../../pki/cms.js";
import type { BlobStore } from "../../storage/blobs.js";
import { assertCanSendOutgoing } from "../billing/gate.js";
import { nowIso, type CommandContext } from "../context.js";
import { sha256 } from "../identity/secrets.js";
import { illegal, loadDocument, MOVES, noticeAbout, transition } from "./lifecycle.js";
import type { Kind } from "../shared/kinds.js";
import { authorizeDocument, type Side } from "./policy.js";
import { powerOfAttorneyFor } from "./powersOfAttorney.js";
import {
  assertAcceptable,
  cmsValidator,
  crlEvidence,
  crlEvidenceRecorder,
  roleAuthority,
  timestamped,
  withParty,
  type CertificateServices,
  type ValidationReport,
} from "../signatures/validation.js";
import { documentSides, type DocumentRow } from "./queries.js";
import { organizationFactsOf } from "../identity/records.js";
import { userById } from "../identity/queries.js";

export interface SignatureRow {
  id: string;
  document_id: string;
  position: number;
  side: Side;
  organization_id: string;
  signer_type: string;
  signer_id: string;
  cms: Buffer;
  cms_sha256: string;
  content_sha256: string;
  digest_algorithm: string;
  signature_algorithm: string;
  signer_subject: string;
  signer_issuer: string;
  signer_serial: string;
  cert_not_before: string;
  cert_not_after: string;
  signing_time: string | null;
  created_at: string;
  signer_iin: string | null;
  signer_bin: string | null;
  cert_purpose: string | null;
  cert_roles: string | null;
  cert_fingerprint: string | null;
  /** JSON of the ValidationReport made when the signature was accepted */
  validation: string | null;
}

/** Who signed where: the columns of a signature its CMS check and validation report do not give. */
export type SignaturePlace = Pick<
  SignatureRow,
  | "document_id"
  | "position"
  | "side"
  | "organization_id"
  | "signer_type"
  | "signer_id"
  | "cms_sha256"
  | "content_sha256"
  | "created_at"
>;

/**
 * Records an accepted signature (a person's or an organization's seal): its row, with what its CMS
 * check and validation report say of the signer and certificate, and the CRL evidence the report
 * relies on.
 */
export async function signatureInserter(
  tx: CommandContext["tx"],
  accepted: { cms: Buffer; check: DetachedCmsCheck; report: ValidationReport; crl: ReturnType<typeof crlEvidence> },
  place: SignaturePlace,
): Promise<SignatureRow> {
  const { check, report } = accepted;
  const row: SignatureRow = {
    id: randomUUID(),
    ...place,
    cms: accepted.cms,
    digest_algorithm: check.digestAlgorithm,
    signature_algorithm: check.signatureAlgorithm,
    signer_subject: check.signer.subject,
    signer_issuer: check.signer.issuer,
    signer_serial: check.signer.serialNumber,
    cert_not_before: check.signer.notBefore,
    cert_not_after: check.signer.notAfter,
    signing_time: check.signingTime,
    signer_iin: report.certificate.iin ?? report.certificate.drfo,
    signer_bin: report.certificate.bin ?? report.certificate.edrpou,
    cert_purpose: report.certificate.purpose,
    cert_roles: JSON.stringify(report.certificate.roles),
    cert_fingerprint: report.certificate.fingerprint,
    validation: JSON.stringify(report),
  };
  await crlEvidenceRecorder(tx, accepted.crl, row.created_at);
  await tx("document_signatures").insert(row);
  return row;
}

export async function readAll(blobs: BlobStore, sha256: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of blobs.read(sha256)) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/** Which side signs now: the sender before sending, the recipient after receipt. */
function signingSide(doc: DocumentRow): Side | null {
  if ((MOVES.signAsSender as readonly string[]).includes(doc.status)) return "sender";
  if ((MOVES.signAsRecipient as readonly string[]).includes(doc.status)) return "recipient";
  return null;
}

export interface PreparedSignature {
  documentId: string;
  contentSha256: string;
  cms: Buffer;
  check: DetachedCmsCheck;
  /** the checks of the CMS and its certificate, revocation included (without the holder checks) */
  report: ValidationReport;
  /** the CRL the revocation check used, kept as evidence (null when OCSP answered) */
  crl: ReturnType<typeof crlEvidence>;
}

/** Which side may sign `doc` now, for this actor (403/409 otherwise). */
async function signingStep(ctx: CommandContext, doc: DocumentRow): Promise<Side> {
  authorizeDocument(ctx.actor, "document.read", documentSides(doc));
  const side = signingSide(doc);
  if (!side) throw illegal(doc, "signAsSender");
  authorizeDocument(ctx.actor, "document.sign", documentSides(doc), side);
  if (side === "sender")
    await assertCanSendOutgoing(
      ctx.tx,
      { organizationId: doc.sender_organization_id, branchId: doc.sender_branch_id, path: doc.sender_branch_path },
      ctx.clock.now(),
    );
  return side;
}

/**
 * Everything about a signature that needs no write: the state and the right to sign, the CMS over
 * the content, and the certificate's checks — OCSP and CRL fetches included, which is why this
 * runs before, not inside, the signing transaction (`ctx.tx` may be the read-only connection).
 */
export async function signaturePreparer(
  ctx: CommandContext,
  p: { documentId: string; cms: Buffer; blobs: BlobStore; pki: CertificateServices },
): Promise<PreparedSignature> {
  const doc = await loadDocument(ctx, p.documentId);
  await signingStep(ctx, doc);
  const check = await verifyDetachedCms(p.cms, {
    sha256: doc.content_sha256,
    read: () => readAll(p.blobs, doc.content_sha256),
  });
  const checked = await cmsValidator(p.pki, check, ctx.clock.now());
  const { cms, report } = await timestamped(p.pki, p.cms, checked);
  return { documentId: doc.id, contentSha256: doc.content_sha256, cms, check, report, crl: crlEvidence(p.pki, report) };
}

/** Stores a prepared signature after the checks that need the transaction: the holder and his authority. */
export async function documentSigner(
  ctx: CommandContext,
  prepared: PreparedSignature,
): Promise<{ document: DocumentRow; signature: SignatureRow; check: DetachedCmsCheck; report: ValidationReport }> {
  const doc = await loadDocument(ctx, prepared.documentId);
  const side = await signingStep(ctx, doc);
  if (doc.content_sha256 !== prepared.contentSha256) {
    throw new ConflictError(
      "content_changed",
      "The document's content changed while the signature was being checked; sign the current content",
    );
  }
  const { check } = prepared;
  const organizationId = side === "sender" ? doc.sender_organization_id : doc.recipient_organization_id!;
  const [person, organization] = await Promise.all([
    ctx.actor.userId ? userById(ctx.tx, ctx.actor.userId) : Promise.resolve(undefined),
    organizationFactsOf(ctx.tx, organizationId),
  ]);
  // A certificate without the right of signature may still sign under the head's power of attorney (R1.6).
  const cert = prepared.report.certificate;
  const powerOfAttorney =
    !roleAuthority(cert.roles, doc.kind as Kind) && ctx.actor.userId && cert.iin && cert.iin === person?.iin
      ? await powerOfAttorneyFor(ctx.tx, {
          organizationId,
          userId: ctx.actor.userId,
          iin: cert.iin,
          kind: doc.kind as Kind,
          at: nowIso(ctx),
          branchPath: side === "sender" ? doc.sender_branch_path : doc.recipient_branch_path!,
        })
      : null;
  const report = withParty(prepared.report, {
    iin: person?.iin ?? null,
    rnokpp: person?.rnokpp ?? null,
    organization: organization!,
    kind: doc.kind as Kind,
    powerOfAttorney,
  });
  assertAcceptable(report);
  const cmsSha = sha256(prepared.cms);
  const earlier: Array<Pick<SignatureRow, "cms_sha256" | "signer_id" | "side" | "signer_serial" | "signer_issuer">> =
    await ctx
      .tx("document_signatures")
      .where({ document_id: doc.id })
      .select("cms_sha256", "signer_id", "side", "signer_serial", "signer_issuer");
  if (earlier.some((s) => s.cms_sha256 === cmsSha))
    throw new ConflictError("already_signed", "This signature is already on the document");
  if (
    earlier.some(
      (s) =>
        s.side === side &&
        (s.signer_id === ctx.actor.id ||
          (s.signer_serial === check.signer.serialNumber && s.signer_issuer === check.signer.issuer)),
    )
  ) {
    throw new ConflictError("already_signed", "This signer has already signed the document for this side");
  }
  const now = nowIso(ctx);
  const signature = await signatureInserter(
    ctx.tx,
    { ...prepared, report },
    {
      document_id: doc.id,
      position: earlier.length + 1,
      side,
      organization_id: organizationId,
      signer_type: ctx.actor.type,
      signer_id: ctx.actor.id!,
      cms_sha256: cmsSha,
      content_sha256: doc.content_sha256,
      created_at: now,
    },
  );
  const document = await transition(ctx, {
    doc,
    move: side === "sender" ? "signAsSender" : "signAsRecipient",
    action: `document.sign`,
    to: side === "sender" ? "signing" : "signed_by_recipient",
    side,
    set: doc.frozen_at ? {} : { frozen_at: now },
    details: {
      signatureId: signature.id,
      cmsSha256: cmsSha,
      contentSha256: doc.content_sha256,
      signer: check.signer.subject,
      serial: check.signer.serialNumber,
    },
    notify:
      side === "recipient" && doc.status !== "signed_by_recipient"
        ? [noticeAbout(doc, "document.signed_by_recipient", "sender")]
        : [],
  });
  return { document, signature, check, report };
}

export async function signaturesOf(db: CommandContext["tx"], documentId: string): Promise<SignatureRow[]> {
  return db("document_signatures").where({ document_id: documentId }).orderBy("position");
}
