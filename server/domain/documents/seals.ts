// Organization seals (SPEC R3.1): an organization that chose server-side sealing names a key in
// the appliance's HSM whose certificate is issued to it (its BIN or EDRPOU); every outgoing
// document it sends gets a CAdES-BES seal by that key over the content, checked like any other
// signature (chain, validity, revocation, purpose, organization) and stored with the signatures.

import { UnavailableError, UnprocessableError, ValidationError, notFound } from "../../errors.js";
import { parseCertificate } from "../../pki/certificates.js";
import { verifyDetachedCms } from "../../pki/cms.js";
import type { Signer } from "../../pki/signer.js";
import { audit, nowIso, type CommandContext } from "../context.js";
import { authorize, can } from "../identity/policy.js";
import { organizationById, organizationResource } from "../identity/queries.js";
import { sha256 } from "../identity/secrets.js";
import {
  assertAcceptable,
  cmsValidator,
  crlEvidence,
  organizationIdentifiers,
  timestamped,
  type CertificateServices,
  type ValidationReport,
} from "../signatures/validation.js";
import type { DocumentRow } from "./queries.js";
import { signatureInserter, type SignatureRow } from "./signing.js";
import { organizationFactsOf, organizationFactsWriter } from "../identity/records.js";

function hsmOf(signer: Signer | undefined) {
  if (!signer?.hsm)
    throw new UnavailableError(
      "hsm_not_configured",
      "No HSM is configured (hsm.module): organization seals are kept in the HSM",
    );
  return signer.hsm;
}

/** Sets (or clears, with null) the organization's seal key; the key's certificate must be issued to the organization. */
export async function sealSetter(ctx: CommandContext, p: { organizationId: string; keyLabel: string | null }) {
  const found = await organizationById(ctx.tx, p.organizationId);
  if (!found || found.org.external) throw notFound();
  const resource = organizationResource(found);
  // 403 only to who may see the organization; to anyone else it does not exist (SPEC R7.2)
  authorize(ctx.actor, "organization.update", resource, can(ctx.actor, "organization.read", resource));
  let certificate = null;
  if (p.keyLabel !== null) {
    const hsm = hsmOf(ctx.signer);
    if (!hsm.listKeys().some((k) => k.label === p.keyLabel))
      throw new ValidationError(
        "seal_key_missing",
        `The HSM token "${hsm.token.label}" has no key labelled "${p.keyLabel}"`,
      );
    const key = hsm.key(p.keyLabel);
    if (!key.certificate)
      throw new ValidationError(
        "seal_certificate_missing",
        `The HSM key "${p.keyLabel}" has no certificate on the token`,
      );
    const info = (await parseCertificate(key.certificate)).info;
    const { orgId, certOrgId } = organizationIdentifiers(found.org, info);
    if (certOrgId !== orgId) {
      throw new UnprocessableError(
        "seal_not_for_organization",
        `The certificate of "${p.keyLabel}" is issued to ${certOrgId ?? "no organization"}, not ${found.org.name} (${orgId})`,
      );
    }
    if (info.purpose !== "sign")
      throw new UnprocessableError(
        "seal_not_for_signing",
        `The certificate of "${p.keyLabel}" is not a signing certificate`,
      );
    certificate = { subject: info.subject, serialNumber: info.serialNumber, notAfter: info.notAfter };
  }
  await organizationFactsWriter(ctx.tx, found.org.id, { seal_key_label: p.keyLabel }, nowIso(ctx));
  await audit(ctx, {
    action: "organization.seal",
    target: { type: "organization", id: found.org.id },
    organizationId: found.org.id,
    details: { keyLabel: p.keyLabel, certificate },
  });
  return { keyLabel: p.keyLabel, certificate };
}

export interface PreparedSeal {
  documentId: string;
  contentSha256: string;
  cms: Buffer;
  keyLabel: string;
  report: ValidationReport;
  check: Awaited<ReturnType<typeof verifyDetachedCms>>;
  crl: ReturnType<typeof crlEvidence>;
}

/** Before the sending transaction: the seal made by the HSM and checked (revocation may need the network). Null when the organization has no seal. */
export async function sealPreparer(
  ctx: CommandContext,
  doc: DocumentRow,
  pki: CertificateServices,
): Promise<PreparedSeal | null> {
  if (doc.direction !== "outgoing") return null;
  const org = await organizationFactsOf(ctx.tx, doc.sender_organization_id);
  if (!org?.seal_key_label) return null;
  const hsm = hsmOf(ctx.signer);
  const cms = await hsm.signCms(org.seal_key_label, Buffer.from(doc.content_sha256, "hex"), ctx.clock.now());
  const check = await verifyDetachedCms(cms, {
    sha256: doc.content_sha256,
    read: async () => {
      throw new Error("a seal signs the hash");
    },
  });
  const report = await cmsValidator(pki, check, ctx.clock.now());
  const { orgId, certOrgId } = organizationIdentifiers(org, report.certificate);
  report.checks.push({
    check: "seal_organization",
    ok: certOrgId === orgId,
    detail:
      certOrgId === orgId
        ? `the seal of ${org.name} (${orgId})`
        : `the seal certificate is issued to ${certOrgId}, not ${org.name}`,
  });
  report.valid = report.checks.every((c) => c.ok !== false);
  assertAcceptable(report);
  const stamped = await timestamped(pki, cms, report);
  return {
    documentId: doc.id,
    contentSha256: doc.content_sha256,
    cms: stamped.cms,
    keyLabel: org.seal_key_label,
    report: stamped.report,
    check,
    crl: crlEvidence(pki, report),
  };
}

/** Stores the seal as the sender side's signature (inside the sending transaction). */
export async function sealRecorder(ctx: CommandContext, doc: DocumentRow, seal: PreparedSeal): Promise<SignatureRow> {
  const position =
    Number((await ctx.tx("document_signatures").where({ document_id: doc.id }).count({ n: "*" }).first())!.n) + 1;
  return signatureInserter(ctx.tx, seal, {
    document_id: doc.id,
    position,
    side: "sender",
    organization_id: doc.sender_organization_id,
    signer_type: "seal",
    signer_id: doc.sender_organization_id,
    cms_sha256: sha256(seal.cms),
    content_sha256: doc.content_sha256,
    created_at: nowIso(ctx),
  });
}
