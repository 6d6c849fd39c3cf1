// Whether a signer's certificate may sign this document for this organization (SPEC R3.2, R1.5,
// R1.6). Every check is made and reported, passed or not, so a refusal names all that is wrong and
// an accepted signature keeps the whole report as its validation evidence.
//
// Authority, from the NCA role the certificate carries (the CA issues a legal entity's certificates
// on the entity's own application): the first head and a person with the right of signature sign
// any kind; a person with the right to sign financial documents signs the accounting kinds. Anyone
// else with the organization's certificate needs a valid power of attorney from the head (R1.6).
import type { SignatureCheck } from "../../problemCodes.js";
import { createHash } from "node:crypto";
import type * as Pkijs from "pkijs";
import { UnavailableError, UnprocessableError } from "../../errors.js";
import { describeCertificate, type CertificateInfo } from "../../pki/certificates.js";
import type { DetachedCmsCheck } from "../../pki/cms.js";
import type { RevocationChecker, RevocationResult } from "../../pki/revocation.js";
import type { TrustStore } from "../../pki/trust.js";
import type { Tx } from "../../storage/db.js";
import { signatureTimestampOf, withSignatureTimestamp, type TimestampInfo, type TsaClient } from "../../pki/tsa.js";
import type { Kind } from "../shared/kinds.js";

export interface CheckOutcome {
  check: SignatureCheck;
  /** true passed, false failed, null not made (said why in detail) */
  ok: boolean | null;
  detail: string;
  /** the failure may pass later (a revocation source that did not answer) */
  retryable?: boolean;
}

export interface ValidationReport {
  checkedAt: string;
  valid: boolean;
  certificate: CertificateInfo;
  chain: CertificateInfo[];
  checks: CheckOutcome[];
  /** the OCSP response or CRL the revocation check used (null when none answered or none was asked) */
  revocation: Omit<RevocationResult, "problems" | "checkedAt"> | null;
  /** the RFC 3161 timestamp on the signature value (CAdES-T), when there is one */
  timestamp?: TimestampInfo | null;
}

/** What certificate checks need: the trust anchors, revocation, and whether revocation must answer. */
export interface CertificateServices {
  trust: TrustStore;
  revocation: RevocationChecker;
  /** pki.revocation.required: with false, a certificate whose status nobody could tell is accepted (reported) */
  revocationRequired: boolean;
  /** the TSA signatures are timestamped by (CAdES-T), when one is configured (tsa.url) */
  timestamps?: { client: TsaClient; allowWithout: boolean } | null;
}

const FINANCIAL_KINDS: readonly Kind[] = ["invoice", "act_of_work", "reconciliation_act", "waybill"];

/** The authority the certificate's own NCA roles give for this kind (null: a power of attorney is needed). */
export function roleAuthority(roles: string[], kind: Kind): string | null {
  if (roles.includes("first_head")) return "the organization's first head";
  if (roles.includes("signer")) return "a person with the right of signature";
  if (roles.includes("financial_signer") && FINANCIAL_KINDS.includes(kind))
    return "a person with the right to sign financial documents";
  return null;
}

export interface SigningParty {
  /** the signing person's IIN as registered with us (null: none on file) */
  iin: string | null;
  /** a Ukrainian signer's RNOKPP as registered with us */
  rnokpp?: string | null;
  organization: {
    name: string;
    bin: string | null;
    edrpou: string | null;
    /** legal_entity, sole_proprietor or individual (SPEC R1.1); legal entity when left out */
    kind?: string;
    rnokpp?: string | null;
  };
  kind: Kind;
  /** a valid power of attorney of this person for this kind and branch (R1.6), found by the caller */
  powerOfAttorney?: { id: string; grantor: string; validTo: string } | null;
  /** "delegate": signing a power of attorney, which only the first head may give */
  act?: "sign" | "delegate";
}

/**
 * The checks of a certificate itself at time `at`: algorithm, chain to a trusted CA, validity,
 * revocation (network: call outside any transaction) and purpose — signing or signing in.
 */
export async function certificateValidator(
  pki: CertificateServices,
  leafCert: { cert: Pkijs.Certificate; der: Buffer },
  others: Array<{ cert: Pkijs.Certificate; der: Buffer }>,
  at: Date,
  purpose: "sign" | "auth",
): Promise<ValidationReport> {
  const leaf = await describeCertificate(leafCert.cert, leafCert.der);
  const carried = [];
  for (const c of others)
    if (c.cert !== leafCert.cert) carried.push(await describeCertificate(c.cert, c.der).catch(() => null));
  const chain = await pki.trust.verifyChain(
    leaf,
    carried.filter((c) => c !== null),
    at,
  );
  const info = leaf.info;
  const checks: CheckOutcome[] = [];
  const add = (check: SignatureCheck, ok: boolean | null, detail: string) => checks.push({ check, ok, detail });
  const failed = (name: string) => chain.failures.filter((f) => f.check === name);
  const unsupported = failed("algorithm_unsupported");
  add(
    "algorithm_supported",
    unsupported.length === 0,
    unsupported[0]?.detail ??
      `${info.keyAlgorithm.name}${info.keyAlgorithm.curve ? " " + info.keyAlgorithm.curve : ""}`,
  );
  const untrusted = failed("certificate_untrusted");
  add(
    "chain_trusted",
    unsupported.length ? null : untrusted.length === 0,
    unsupported.length
      ? "not checked: the algorithm is not supported"
      : (untrusted[0]?.detail ?? `chains to ${chain.chain.at(-1)!.subject}`),
  );
  const validity = [...failed("certificate_expired"), ...failed("certificate_not_yet_valid")];
  add(
    "certificate_valid",
    validity.length === 0,
    validity.map((v) => v.detail).join("; ") || `valid at ${at.toISOString()} (${info.notBefore} to ${info.notAfter})`,
  );
  let revocation: ValidationReport["revocation"] = null;
  if (!chain.trusted || chain.links.length < 2) {
    add("revocation", null, "not checked: the certificate does not chain to a trusted CA");
  } else {
    const r = await pki.revocation.check(leaf, chain.links[1]);
    revocation = r.evidence
      ? { status: r.status, detail: r.detail, revokedAt: r.revokedAt, reason: r.reason, evidence: r.evidence }
      : null;
    if (r.status === "good") add("revocation", true, r.detail);
    else if (r.status !== "unavailable") add("revocation", false, r.detail);
    else if (!pki.revocationRequired)
      add("revocation", null, `not established, accepted because pki.revocation.required is off: ${r.detail}`);
    else checks.push({ check: "revocation", ok: false, detail: r.detail, retryable: true });
  }
  const wanted = purpose === "sign" ? "a signing certificate" : "an AUTH (sign-in) certificate";
  add(
    "certificate_purpose",
    info.purpose === purpose,
    info.purpose === purpose
      ? wanted
      : purpose === "sign"
        ? `a certificate for ${info.purpose === "auth" ? "signing in (AUTH)" : info.purpose} cannot sign a document`
        : `a ${info.purpose === "sign" ? "signing" : info.purpose} certificate cannot be used to sign in; use the AUTH certificate`,
  );
  return {
    checkedAt: at.toISOString(),
    valid: checks.every((c) => c.ok !== false),
    certificate: info,
    chain: chain.chain,
    checks,
    revocation,
  };
}

/** All checks of a signature: the CMS (already verified), its certificate, and — with a `party` — identity, organization and authority. */
export async function signatureValidator(
  pki: CertificateServices,
  cms: DetachedCmsCheck,
  party: SigningParty | null,
  at: Date,
): Promise<ValidationReport> {
  return withParty(await cmsValidator(pki, cms, at), party);
}

/** The checks that need no database: the CMS and its certificate (call before a transaction). */
export async function cmsValidator(
  pki: CertificateServices,
  cms: DetachedCmsCheck,
  at: Date,
): Promise<ValidationReport> {
  const report = await certificateValidator(
    pki,
    { cert: cms.signerCertificate, der: cms.signer.der },
    cms.certificates,
    at,
    "sign",
  );
  report.checks.unshift({
    check: "cms_signature",
    ok: true,
    detail: `the ${cms.signatureAlgorithm} signature over the document's ${cms.digestAlgorithm} digest verifies`,
  });
  return report;
}

/**
 * An organization's identifier — its BIN, or its EDRPOU for a Ukrainian one — and the same kind of
 * identifier in a certificate (null: the certificate names no organization of that kind).
 */
export function organizationIdentifiers(
  org: { bin: string | null; edrpou: string | null; rnokpp?: string | null },
  cert: CertificateInfo,
): { orgId: string | null; certOrgId: string | null } {
  return { orgId: org.bin ?? org.edrpou ?? org.rnokpp ?? null, certOrgId: org.bin ? cert.bin : cert.edrpou };
}

/** A sole proprietor's or an individual's own identifier (his IIN acting as BIN, or his RNOKPP); null for a legal entity. */
export function personalIdentifier(org: SigningParty["organization"]): string | null {
  return org.kind && org.kind !== "legal_entity" ? (org.rnokpp ?? org.bin) : null;
}

/** Whether the certificate is the personal one of the person who is this participant (SPEC R1.1). */
export function participantHimself(org: SigningParty["organization"], cert: CertificateInfo): boolean {
  const id = personalIdentifier(org);
  const theirs = org.rnokpp ? cert.drfo : cert.iin;
  return id !== null && theirs === id && (cert.bin === null || cert.bin === id) && !cert.edrpou;
}

/** Adds the holder checks to a report (pure: the party was read in the caller's transaction). */
export function withParty(base: ValidationReport, party: SigningParty | null): ValidationReport {
  if (!party) return base;
  const checks = [...base.checks];
  const add = (check: SignatureCheck, ok: boolean | null, detail: string) => checks.push({ check, ok, detail });
  const info = base.certificate;
  // The person: a Kazakh certificate names his IIN, a Ukrainian one his DRFO code (the RNOKPP).
  const ua = info.iin === null && info.drfo !== null;
  const mine = ua ? (party.rnokpp ?? null) : party.iin;
  const theirs = ua ? info.drfo : info.iin;
  const idName = ua ? "RNOKPP" : "IIN";
  add(
    "signer_identity",
    mine !== null && theirs === mine,
    mine === null
      ? `the signing user has no ${idName} on file`
      : theirs === null
        ? "the certificate carries no IIN or RNOKPP"
        : theirs === mine
          ? `${idName} ${theirs} is the signing user's`
          : `the certificate's ${idName} ${theirs} is not the signing user's`,
  );
  // A sole proprietor or an individual signs for himself with his own personal certificate: the
  // participant is that person (his IIN acts as the BIN, his RNOKPP as the code), so neither the
  // organization's identifier in the certificate nor a head's role or power of attorney applies.
  const org = party.organization;
  const personalId = personalIdentifier(org);
  if (participantHimself(org, info)) {
    add("signer_organization", true, `the participant ${org.name} himself (${idName} ${personalId})`);
    if (party.act === "delegate") add("signer_authority", true, "the participant himself gives the power of attorney");
    else
      add(
        "signer_authority",
        true,
        `signs for himself as ${org.kind === "individual" ? "an individual" : "a sole proprietor"}`,
      );
    return { ...base, checks, valid: checks.every((c) => c.ok !== false) };
  }
  const { orgId, certOrgId } = organizationIdentifiers(party.organization, info);
  add(
    "signer_organization",
    certOrgId !== null && certOrgId === orgId,
    certOrgId === null
      ? personalId !== null
        ? `the certificate is not ${org.name}'s own (${ua ? "RNOKPP" : "IIN"} ${personalId}) and names no organization`
        : `an individual's certificate cannot sign for ${party.organization.name}; use a certificate issued to the organization (with its ${party.organization.bin ? "BIN" : "EDRPOU"})`
      : certOrgId === orgId
        ? `issued to ${party.organization.name} (${orgId})`
        : `issued to the organization ${certOrgId}, not ${party.organization.name} (${orgId})`,
  );
  const roles = info.roles;
  if (party.act === "delegate") {
    add(
      "signer_authority",
      roles.includes("first_head"),
      roles.includes("first_head")
        ? "the organization's first head"
        : `only the first head gives powers of attorney; the certificate's roles are ${roles.join(", ") || "none"}`,
    );
    return { ...base, checks, valid: checks.every((c) => c.ok !== false) };
  }
  const poa = party.powerOfAttorney;
  const authority =
    roleAuthority(roles, party.kind) ??
    (poa ? `acting by power of attorney ${poa.id} from ${poa.grantor}, valid to ${poa.validTo}` : null);
  add(
    "signer_authority",
    authority !== null,
    authority ??
      `the certificate's roles (${roles.join(", ") || "none"}) do not give the right to sign a ${party.kind}, and the signer holds no valid power of attorney for it`,
  );
  return { ...base, checks, valid: checks.every((c) => c.ok !== false) };
}

/** 422 naming every failed check, or nothing when the signature may be accepted. */
export function assertAcceptable(report: ValidationReport): void {
  const failures = report.checks.filter((c) => c.ok === false);
  if (failures.length === 0) return;
  if (failures.every((f) => f.retryable)) {
    // Fail closed, but say it is our side that could not tell: the same signature may pass later.
    throw new UnavailableError(
      "revocation_unavailable",
      `The certificate's revocation status cannot be established now; nothing was stored, try again later`,
      { failures, retryAfter: 60 },
    );
  }
  throw new UnprocessableError(
    "signature_rejected",
    `The signature cannot be accepted: ${failures.map((f) => f.check).join(", ")}`,
    {
      failures,
      certificate: {
        subject: report.certificate.subject,
        issuer: report.certificate.issuer,
        serialNumber: report.certificate.serialNumber,
      },
    },
  );
}

/**
 * The signature's timestamp (CAdES-T, R3.3): one the CMS already carries is verified; otherwise,
 * with a TSA configured, one is fetched over the signature value and added. A TSA that cannot be
 * reached refuses the signature (503 tsa_unavailable) unless tsa.allowWithout. Returns the CMS to
 * store and the report with a `timestamp` check. Call outside transactions (network).
 */
export async function timestamped(
  pki: CertificateServices,
  cms: Buffer,
  report: ValidationReport,
): Promise<{ cms: Buffer; report: ValidationReport }> {
  const add = (ok: boolean | null, detail: string, timestamp: TimestampInfo | null = null) => ({
    ...report,
    timestamp,
    checks: [...report.checks, { check: "timestamp" as const, ok, detail }],
    valid: report.valid && ok !== false,
  });
  const { token: present, signatureValue } = await signatureTimestampOf(cms);
  if (present) {
    if (!pki.timestamps)
      return { cms, report: add(null, "the signature carries a timestamp; no TSA is configured to check it against") };
    try {
      const { info } = await pki.timestamps.client.verifyToken(
        present,
        createHash("sha256").update(signatureValue).digest(),
      );
      return {
        cms,
        report: add(true, `timestamped ${info.genTime} by ${info.tsa ?? "the TSA"} (carried by the signature)`, info),
      };
    } catch (err) {
      return {
        cms,
        report: add(false, `the timestamp the signature carries does not hold: ${(err as Error).message}`),
      };
    }
  }
  if (!pki.timestamps || !report.valid) return { cms, report };
  try {
    const r = await withSignatureTimestamp(cms, pki.timestamps.client);
    return { cms: r.cms, report: add(true, `timestamped ${r.info.genTime} by ${r.info.tsa ?? "the TSA"}`, r.info) };
  } catch (err) {
    if (!pki.timestamps.allowWithout) throw err;
    return { cms, report: add(null, `no timestamp: ${(err as Error).message} (accepted without, tsa.allowWithout)`) };
  }
}

/** The CRL a report's revocation check used, to store beside the signature (null when it used OCSP). */
export function crlEvidence(
  pki: CertificateServices,
  report: ValidationReport,
): { sha256: string; url: string; der: Buffer } | null {
  const e = report.revocation?.evidence;
  if (e?.source !== "crl" || !e.sha256 || !e.url) return null;
  const der = pki.revocation.crlBytes(e.url, e.sha256);
  return der ? { sha256: e.sha256, url: e.url, der } : null;
}

/** Keeps a CRL used as evidence, once (inside the caller's transaction). */
export async function crlEvidenceRecorder(
  tx: Tx,
  crl: { sha256: string; url: string; der: Buffer } | null,
  at: string,
): Promise<void> {
  if (!crl) return;
  await tx("revocation_evidence")
    .insert({ sha256: crl.sha256, kind: "crl", url: crl.url, der: crl.der, created_at: at })
    .onConflict("sha256")
    .ignore();
}
