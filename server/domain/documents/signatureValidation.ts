// Whether a signer's certificate may sign this document for this organization (SPEC R3.2, R1.5,
// R1.6). Every check is made and reported, passed or not, so a refusal names all that is wrong and
// an accepted signature keeps the whole report as its validation evidence.
//
// Authority, from the NCA role the certificate carries (the CA issues a legal entity's certificates
// on the entity's own application): the first head and a person with the right of signature sign
// any kind; a person with the right to sign financial documents signs the accounting kinds. An
// employee's certificate (or an HR one) needs a power of attorney, which comes with R1.6.
import { UnprocessableError } from "../../errors.js";
import { describeCertificate, type CertificateInfo } from "../../pki/certificates.js";
import type { DetachedCmsCheck } from "../../pki/cms.js";
import type { TrustStore } from "../../pki/trust.js";
import type { Kind } from "./kinds.js";

export interface CheckOutcome {
  check: string;
  /** true passed, false failed, null not made (said why in detail) */
  ok: boolean | null;
  detail: string;
}

export interface ValidationReport {
  checkedAt: string;
  valid: boolean;
  certificate: CertificateInfo;
  chain: CertificateInfo[];
  checks: CheckOutcome[];
}

const FINANCIAL_KINDS: readonly Kind[] = ["invoice", "act_of_work", "reconciliation_act", "waybill"];

export interface SigningParty {
  /** the signing person's IIN as registered with us (null: none on file) */
  iin: string | null;
  organization: { name: string; bin: string | null; edrpou: string | null };
  kind: Kind;
}

/**
 * Checks the signer's certificate at time `at`. Without a `party` (the verification service: anyone
 * checking a signature they hold) the holder checks — identity, organization, authority — are left out.
 */
export async function signatureValidator(trust: TrustStore, cms: DetachedCmsCheck, party: SigningParty | null, at: Date): Promise<ValidationReport> {
  const leaf = await describeCertificate(cms.signerCertificate, cms.signer.der);
  const carried = [];
  for (const c of cms.certificates) if (c.cert !== cms.signerCertificate) carried.push(await describeCertificate(c.cert, c.der).catch(() => null));
  const chain = await trust.verifyChain(leaf, carried.filter((c) => c !== null), at);
  const info = leaf.info;
  const checks: CheckOutcome[] = [];
  const add = (check: string, ok: boolean | null, detail: string) => checks.push({ check, ok, detail });
  const report = (): ValidationReport => ({ checkedAt: at.toISOString(), valid: checks.every((c) => c.ok !== false), certificate: info, chain: chain.chain, checks });

  add("cms_signature", true, `the ${cms.signatureAlgorithm} signature over the document's ${cms.digestAlgorithm} digest verifies`);
  const failed = (name: string) => chain.failures.filter((f) => f.check === name);
  const unsupported = failed("algorithm_unsupported");
  add("algorithm_supported", unsupported.length === 0, unsupported[0]?.detail ?? `${info.keyAlgorithm.name}${info.keyAlgorithm.curve ? " " + info.keyAlgorithm.curve : ""}`);
  const untrusted = failed("certificate_untrusted");
  add("chain_trusted", unsupported.length ? null : untrusted.length === 0,
    unsupported.length ? "not checked: the algorithm is not supported" : untrusted[0]?.detail ?? `chains to ${chain.chain.at(-1)!.subject}`);
  const validity = [...failed("certificate_expired"), ...failed("certificate_not_yet_valid")];
  add("certificate_valid", validity.length === 0, validity.map((v) => v.detail).join("; ") || `valid at ${at.toISOString()} (${info.notBefore} to ${info.notAfter})`);
  add("revocation", null, "not checked: OCSP and CRL checking are not installed on this appliance yet");
  add("certificate_purpose", info.purpose === "sign",
    info.purpose === "sign" ? "a signing certificate" : `a certificate for ${info.purpose === "auth" ? "signing in (AUTH)" : info.purpose} cannot sign a document`);
  if (!party) return report();
  add("signer_identity", party.iin !== null && info.iin === party.iin,
    party.iin === null ? "the signing user has no IIN on file"
      : info.iin === null ? "the certificate carries no IIN"
        : info.iin === party.iin ? `IIN ${info.iin} is the signing user's` : `the certificate's IIN ${info.iin} is not the signing user's`);
  const orgId = party.organization.bin ?? party.organization.edrpou;
  const certOrgId = party.organization.bin ? info.bin : info.edrpou;
  add("signer_organization", certOrgId !== null && certOrgId === orgId,
    certOrgId === null ? `an individual's certificate cannot sign for ${party.organization.name}; use a certificate issued to the organization (with its ${party.organization.bin ? "BIN" : "EDRPOU"})`
      : certOrgId === orgId ? `issued to ${party.organization.name} (${orgId})` : `issued to the organization ${certOrgId}, not ${party.organization.name} (${orgId})`);
  const roles = info.roles;
  const authority = roles.includes("first_head") ? "the organization's first head"
    : roles.includes("signer") ? "a person with the right of signature"
      : roles.includes("financial_signer") && FINANCIAL_KINDS.includes(party.kind) ? "a person with the right to sign financial documents"
        : null;
  add("signer_authority", authority !== null,
    authority ?? `the certificate's roles (${roles.join(", ") || "none"}) do not give the right to sign a ${party.kind}; a power of attorney from the head is needed`);
  return report();
}

/** 422 naming every failed check, or nothing when the signature may be accepted. */
export function assertAcceptable(report: ValidationReport): void {
  const failures = report.checks.filter((c) => c.ok === false);
  if (failures.length === 0) return;
  throw new UnprocessableError("signature_rejected", `The signature cannot be accepted: ${failures.map((f) => f.check).join(", ")}`, {
    failures,
    certificate: { subject: report.certificate.subject, issuer: report.certificate.issuer, serialNumber: report.certificate.serialNumber },
  });
}
