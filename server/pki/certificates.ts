// What a certificate says about its holder (SPEC R1.5, R3.2): the Kazakh NCA fields — IIN in the
// subject serialNumber ("IIN…"), BIN in the subject OU ("BIN…"), the NCA role OIDs in the extended
// key usage — and the Ukrainian ones — EDRPOU (organizationIdentifier "NTRUA-…" or the subject
// directory attribute) and DRFO ("TINUA-…") — plus key usage, policies, where to ask about
// revocation, and whether it is for signing documents or for signing in.
import { createHash } from "node:crypto";
import type * as Asn1js from "asn1js";
import type * as Pkijs from "pkijs";
import { ValidationError } from "../errors.js";
import { nameToString, parsingOutside, pkiModules, wholeDer } from "./cms.js";
import { publicKeyRef, signatureProviders } from "./providers.js";

export const NCA_ROLES: Record<string, string> = {
  "1.2.398.3.3.4.1.1": "individual",
  "1.2.398.3.3.4.1.1.1": "individual_system",
  "1.2.398.3.3.4.1.2": "legal_entity",
  "1.2.398.3.3.4.1.2.1": "first_head",
  "1.2.398.3.3.4.1.2.2": "signer",
  "1.2.398.3.3.4.1.2.3": "financial_signer",
  "1.2.398.3.3.4.1.2.4": "hr",
  "1.2.398.3.3.4.1.2.5": "employee",
  "1.2.398.3.3.4.1.2.6": "legal_entity_system",
};

const EKU_NAMES: Record<string, string> = {
  "1.3.6.1.5.5.7.3.1": "serverAuth",
  "1.3.6.1.5.5.7.3.2": "clientAuth",
  "1.3.6.1.5.5.7.3.3": "codeSigning",
  "1.3.6.1.5.5.7.3.4": "emailProtection",
  "1.3.6.1.5.5.7.3.8": "timeStamping",
  "1.3.6.1.5.5.7.3.9": "OCSPSigning",
};

// NCA certificate policies: 1.2.398.3.3.2.3 signing (ЭЦП), 1.2.398.3.3.2.4 authentication.
const POLICY_SIGN = "1.2.398.3.3.2.3";
const POLICY_AUTH = "1.2.398.3.3.2.4";

const KEY_USAGE_BITS = [
  "digitalSignature",
  "nonRepudiation",
  "keyEncipherment",
  "dataEncipherment",
  "keyAgreement",
  "keyCertSign",
  "cRLSign",
  "encipherOnly",
  "decipherOnly",
];

/** Public-key algorithms; `supported` says whether the installed providers can verify with them. */
const KEY_ALGORITHMS: Record<string, { name: string }> = {
  "1.2.840.113549.1.1.1": { name: "RSA" },
  "1.2.840.113549.1.1.10": { name: "RSASSA-PSS" },
  "1.2.840.10045.2.1": { name: "EC" },
  "1.2.398.3.10.1.1.1.1": { name: "GOST 34.310-2004" },
  "1.2.398.3.10.1.1.2.1": { name: "GOST 34.10-2015, 256 bit" },
  "1.2.398.3.10.1.1.2.2": { name: "GOST 34.10-2015, 512 bit" },
  "1.2.804.2.1.1.1.1.3.1.1": { name: "DSTU 4145" },
  "1.2.643.2.2.19": { name: "GOST R 34.10-2001 (RU)" },
  "1.2.643.7.1.1.1.1": { name: "GOST R 34.10-2012 256 (RU)" },
  "1.2.643.7.1.1.1.2": { name: "GOST R 34.10-2012 512 (RU)" },
};
const CURVES: Record<string, string> = {
  "1.2.840.10045.3.1.7": "P-256",
  "1.3.132.0.34": "P-384",
  "1.3.132.0.35": "P-521",
};

// Ukrainian qualified certificates: subject directory attributes (2.5.29.9) carry these.
const UA_DRFO = "1.2.804.2.1.1.1.11.1.4.1.1";
const UA_EDRPOU = "1.2.804.2.1.1.1.11.1.4.2.1";

export type CertificatePurpose = "sign" | "auth" | "ca" | "other";

export interface CertificateInfo {
  subject: string;
  issuer: string;
  commonName: string | null;
  serialNumber: string; // hex
  notBefore: string;
  notAfter: string;
  /** SHA-256 of the DER, hex */
  fingerprint: string;
  keyAlgorithm: { oid: string; name: string; curve?: string; supported: boolean };
  iin: string | null;
  bin: string | null;
  edrpou: string | null;
  drfo: string | null;
  keyUsage: string[];
  extendedKeyUsage: string[];
  policies: string[];
  /** NCA roles from the extended key usage: individual, legal_entity, first_head, signer, financial_signer, hr, employee… */
  roles: string[];
  purpose: CertificatePurpose;
  isCa: boolean;
  ocspUrls: string[];
  caIssuerUrls: string[];
  crlUrls: string[];
}

export interface ParsedCertificate {
  info: CertificateInfo;
  der: Buffer;
  cert: Pkijs.Certificate;
}

const malformed = (why: string) => new ValidationError("certificate_malformed", `Not an X.509 certificate: ${why}`);

/** DER, or PEM (one or several CERTIFICATE blocks). */
export function certificateBlocks(raw: Buffer): Buffer[] {
  const head = raw.subarray(0, 128).toString("latin1");
  if (!head.includes("-----BEGIN")) return [raw];
  const blocks = [
    ...raw.toString("latin1").matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g),
  ];
  if (blocks.length === 0) throw malformed("PEM without a CERTIFICATE block");
  return blocks.map((m) => Buffer.from(m[1].replace(/\s+/g, ""), "base64"));
}

const text = (v: unknown): string => {
  const b = (v as { valueBlock?: { value?: unknown } }).valueBlock;
  return typeof b?.value === "string" ? b.value : String(b?.value ?? "");
};

export async function parseCertificate(der: Buffer): Promise<ParsedCertificate> {
  const { asn1js, pkijs } = await pkiModules();
  // Whatever pkijs throws on a structure or field that does not decode (a bad time, string…) is malformed.
  return parsingOutside(malformed, async () => {
    const cert = new pkijs.Certificate({ schema: wholeDer(new Uint8Array(der), () => malformed("not DER")) });
    return { cert, der, info: describe(asn1js, cert, der) };
  });
}

/** The same for a certificate already parsed (from a CMS), without parsing its DER again. */
export async function describeCertificate(cert: Pkijs.Certificate, der: Buffer): Promise<ParsedCertificate> {
  const key = createHash("sha256").update(der).digest("hex");
  const hit = cache.get(key);
  if (hit) return hit;
  const { asn1js } = await pkiModules();
  return remember(key, { cert, der, info: describe(asn1js, cert, der) });
}

// Certificates seen recently, by the SHA-256 of their DER: a signer's certificate arrives with every
// signature he makes, and parsing and describing it costs more than checking the signature itself.
// Parsed objects are treated as read-only by every caller.
const cache = new Map<string, ParsedCertificate>();
const CACHE_ENTRIES = 5000;
function remember(key: string, p: ParsedCertificate): ParsedCertificate {
  if (cache.size >= CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(key, p);
  return p;
}

/** parseCertificate through the cache. */
export async function parsedCertificate(der: Buffer): Promise<ParsedCertificate> {
  const key = createHash("sha256").update(der).digest("hex");
  return cache.get(key) ?? remember(key, await parseCertificate(der));
}

function describe(asn1js: typeof Asn1js, cert: Pkijs.Certificate, der: Buffer): CertificateInfo {
  const attrs = (oid: string) =>
    cert.subject.typesAndValues.filter((tv) => tv.type === oid).map((tv) => text(tv.value));
  const serials = attrs("2.5.4.5");
  const ous = attrs("2.5.4.11");
  const orgIds = attrs("2.5.4.97");
  const prefixed = (values: string[], prefix: string) =>
    values.find((v) => v.startsWith(prefix))?.slice(prefix.length) ?? null;

  const ext = (oid: string) => cert.extensions?.find((e) => e.extnID === oid);
  const keyUsage: string[] = [];
  const ku = ext("2.5.29.15")?.parsedValue as Asn1js.BitString | undefined;
  if (ku) {
    const bytes = ku.valueBlock.valueHexView;
    KEY_USAGE_BITS.forEach((name, i) => {
      if ((bytes[i >> 3] ?? 0) & (0x80 >> (i & 7))) keyUsage.push(name);
    });
  }
  const ekuOids: string[] = (ext("2.5.29.37")?.parsedValue as Pkijs.ExtKeyUsage | undefined)?.keyPurposes ?? [];
  const policies: string[] = (
    (ext("2.5.29.32")?.parsedValue as Pkijs.CertificatePolicies | undefined)?.certificatePolicies ?? []
  ).map((p) => p.policyIdentifier);
  const basic = ext("2.5.29.19")?.parsedValue as Pkijs.BasicConstraints | undefined;
  const isCa = Boolean(basic?.cA);

  const ocspUrls: string[] = [];
  const caIssuerUrls: string[] = [];
  for (const ad of (ext("1.3.6.1.5.5.7.1.1")?.parsedValue as Pkijs.InfoAccess | undefined)?.accessDescriptions ?? []) {
    if (ad.accessLocation.type !== 6) continue; // URI
    const url = String(ad.accessLocation.value);
    if (ad.accessMethod === "1.3.6.1.5.5.7.48.1") ocspUrls.push(url);
    if (ad.accessMethod === "1.3.6.1.5.5.7.48.2") caIssuerUrls.push(url);
  }
  const crlUrls: string[] = [];
  for (const dp of (ext("2.5.29.31")?.parsedValue as Pkijs.CRLDistributionPoints | undefined)?.distributionPoints ??
    []) {
    const names = Array.isArray(dp.distributionPoint) ? dp.distributionPoint : [];
    for (const n of names) if (n.type === 6) crlUrls.push(String(n.value));
  }

  // Ukrainian identifiers: EDRPOU (8 digits) from organizationIdentifier "NTRUA-…", RNOKPP/DRFO
  // (10 digits) from serialNumber "TINUA-…"; older certificates put either in serialNumber as
  // "UA-<code>" or "UA-<code>-<suffix>", told apart by the code's length; the subject directory
  // attributes below fill what the names leave open.
  const uaSerial = (digits: number) =>
    serials.map((v) => new RegExp(`^UA-(\\d{${digits}})(?:-|$)`).exec(v)?.[1]).find(Boolean) ?? null;
  let edrpou = prefixed(orgIds, "NTRUA-") ?? uaSerial(8);
  let drfo = prefixed(serials, "TINUA-") ?? uaSerial(10);
  const sda = ext("2.5.29.9");
  if (sda) {
    try {
      const parsed = asn1js.fromBER(sda.extnValue.valueBlock.valueHexView);
      for (const a of ((parsed.result as Asn1js.Sequence).valueBlock.value ?? []) as Asn1js.Sequence[]) {
        const [type, set] = a.valueBlock.value as [Asn1js.ObjectIdentifier, Asn1js.Set];
        const value = text(set.valueBlock.value[0]);
        if (type.valueBlock.toString() === UA_EDRPOU) edrpou ??= value;
        if (type.valueBlock.toString() === UA_DRFO) drfo ??= value;
      }
    } catch {
      /* an unreadable directory attribute carries no identifiers */
    }
  }

  // The key's algorithm and parameters (an EC curve OID, or the first OID of a GOST/DSTU parameter sequence).
  const key = publicKeyRef(spkiOf(cert));
  const known = KEY_ALGORITHMS[key.algorithm];
  // Supported means: an installed signature provider verifies with this key (providers.ts).
  const keyAlgorithm: CertificateInfo["keyAlgorithm"] = {
    oid: key.algorithm,
    name: known?.name ?? key.algorithm,
    supported: signatureProviders.supports({ algorithm: key.algorithm, curve: key.curve }),
  };
  if (key.algorithm === "1.2.840.10045.2.1" && key.curve) keyAlgorithm.curve = CURVES[key.curve] ?? key.curve;
  else if (key.curve) keyAlgorithm.curve = key.curve;

  const extendedKeyUsage = ekuOids.map((o) => EKU_NAMES[o] ?? o);
  let purpose: CertificatePurpose = "other";
  if (isCa || keyUsage.includes("keyCertSign")) purpose = "ca";
  else if (keyUsage.includes("nonRepudiation") || policies.includes(POLICY_SIGN)) purpose = "sign";
  else if (extendedKeyUsage.includes("clientAuth") || policies.includes(POLICY_AUTH)) purpose = "auth";
  else if (keyUsage.includes("digitalSignature") && !keyUsage.includes("keyEncipherment")) purpose = "sign";

  return {
    subject: nameToString(cert.subject),
    issuer: nameToString(cert.issuer),
    commonName: attrs("2.5.4.3")[0] ?? null,
    serialNumber: Buffer.from(cert.serialNumber.valueBlock.valueHexView).toString("hex"),
    notBefore: cert.notBefore.value.toISOString(),
    notAfter: cert.notAfter.value.toISOString(),
    fingerprint: createHash("sha256").update(der).digest("hex"),
    keyAlgorithm,
    iin: prefixed(serials, "IIN"),
    bin: prefixed(ous, "BIN"),
    edrpou,
    drfo,
    keyUsage,
    extendedKeyUsage,
    policies,
    roles: ekuOids.filter((o) => NCA_ROLES[o]).map((o) => NCA_ROLES[o]),
    purpose,
    isCa,
    ocspUrls,
    caIssuerUrls,
    crlUrls,
  };
}

// SubjectPublicKeyInfo DER per parsed certificate (encoded once).
const spkis = new WeakMap<Pkijs.Certificate, Buffer>();
export function spkiOf(cert: Pkijs.Certificate): Buffer {
  let der = spkis.get(cert);
  if (!der) spkis.set(cert, (der = Buffer.from(cert.subjectPublicKeyInfo.toSchema().toBER(false))));
  return der;
}

/**
 * Whether `signer`'s key verifies `signature` over `data` under `algorithm` — through the signature
 * providers (providers.ts). Throws UnsupportedAlgorithmError when no provider supports the key.
 */
export function verifiedBy(
  signer: Pkijs.Certificate,
  p: { algorithm: Pkijs.AlgorithmIdentifier; data: Uint8Array; signature: Uint8Array; digestAlgorithm?: string },
): Promise<boolean> {
  const params = p.algorithm.algorithmParams as { toBER?: (s: boolean) => ArrayBuffer } | undefined;
  return signatureProviders.verify({
    publicKey: publicKeyRef(spkiOf(signer)),
    signatureAlgorithm: p.algorithm.algorithmId,
    signatureParameters: params?.toBER ? Buffer.from(params.toBER(false)) : undefined,
    digestAlgorithm: p.digestAlgorithm,
    data: Buffer.from(p.data.buffer, p.data.byteOffset, p.data.byteLength),
    signature: Buffer.from(p.signature.buffer, p.signature.byteOffset, p.signature.byteLength),
  });
}

/** A certificate's (or CRL's) own signature: `issuer` signed `tbs`. */
export const issuedBy = (
  issued: { tbsView: Uint8Array; signatureAlgorithm: Pkijs.AlgorithmIdentifier; signatureValue: Asn1js.BitString },
  issuer: Pkijs.Certificate,
) =>
  verifiedBy(issuer, {
    algorithm: issued.signatureAlgorithm,
    data: issued.tbsView,
    signature: issued.signatureValue.valueBlock.valueHexView,
  });
