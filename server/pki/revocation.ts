// Revocation status of a certificate (SPEC R3.2): OCSP first, CRL as the fallback.
//
// OCSP: the responder named in the certificate's AIA is asked over HTTP POST with a fresh nonce.
// An answer counts only when it is signed by the issuing CA or by a responder the CA delegated
// (id-kp-OCSPSigning, issued by that CA), carries our nonce back when the responder echoes nonces,
// and is current (thisUpdate not in the future, nextUpdate not past, within the clock skew). Good
// and revoked answers are cached until their nextUpdate (a short setting when there is none).
//
// CRL: from the certificate's distribution points, verified with the issuer's key, cached in memory
// and on disk (<dataDir>/crl/), refreshed by a cron job before it runs out. A download that is
// empty, does not parse, is not signed by the issuer, is older than the cached one, or drops every
// entry of a cached list with entries never replaces a good cached CRL; the refusal is reported.
//
// When neither gives an answer the status is "unavailable": signing then fails closed (503, retry
// later) — a timeout is never taken for "good".
import type * as Asn1js from "asn1js";
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import type * as Pkijs from "pkijs";
import { ValidationError } from "../errors.js";
import { issuedBy, verifiedBy, type ParsedCertificate } from "./certificates.js";
import { fromBer, parsingOutside, pkiModules, wholeDer } from "./cms.js";

const OID = {
  ocspBasic: "1.3.6.1.5.5.7.48.1.1",
  ocspNonce: "1.3.6.1.5.5.7.48.1.2",
  ocspSigning: "1.3.6.1.5.5.7.3.9",
  extKeyUsage: "2.5.29.37",
  crlReason: "2.5.29.21",
};

const REASONS = [
  "unspecified",
  "keyCompromise",
  "cACompromise",
  "affiliationChanged",
  "superseded",
  "cessationOfOperation",
  "certificateHold",
  "",
  "removeFromCRL",
  "privilegeWithdrawn",
  "aACompromise",
];

export type RevocationStatus = "good" | "revoked" | "unknown" | "unavailable";

export interface RevocationEvidence {
  source: "ocsp" | "crl";
  url: string | null;
  /** DER of the OCSP response, base64 (a CRL, often megabytes and public, is named by its hash) */
  der?: string;
  /** SHA-256 of the CRL, hex */
  sha256?: string;
  thisUpdate: string;
  nextUpdate: string | null;
  producedAt?: string;
  /** from our cache (fetched earlier) rather than asked now */
  cached: boolean;
}

export interface RevocationResult {
  status: RevocationStatus;
  detail: string;
  revokedAt?: string;
  reason?: string;
  checkedAt: string;
  evidence: RevocationEvidence | null;
  /** what went wrong on the way (responder down, bad CRL…), also when another source answered */
  problems: string[];
}

export interface RevocationOptions {
  dataDir: string;
  timeoutMs: number;
  /** how long an OCSP answer without nextUpdate is reused */
  noNextUpdateSeconds: number;
  clockSkewSeconds: number;
  cacheEntries: number;
  now?: () => Date;
  fetch?: typeof fetch;
}

// ---------------------------------------------------------------------------------------------
// Parsing (also used on their own, e.g. for the NCA test artefacts)

const malformed = (what: "ocsp" | "crl", why: string) =>
  new ValidationError(`${what}_malformed`, `Not a valid ${what === "ocsp" ? "OCSP response" : "CRL"}: ${why}`);

const der = (bytes: Uint8Array, what: "ocsp" | "crl") => wholeDer(bytes, () => malformed(what, "not DER"));

export interface OcspSingle {
  certId: Pkijs.CertID;
  serialNumber: string;
  status: "good" | "revoked" | "unknown";
  revokedAt?: string;
  reason?: string;
  thisUpdate: Date;
  nextUpdate: Date | null;
}

export interface ParsedOcspResponse {
  /** 0 successful, 1 malformedRequest, 2 internalError, 3 tryLater, 5 sigRequired, 6 unauthorized */
  responseStatus: number;
  basic: Pkijs.BasicOCSPResponse | null;
  producedAt: Date | null;
  nonce: Buffer | null;
  responses: OcspSingle[];
}

export async function parseOcspResponse(bytes: Buffer): Promise<ParsedOcspResponse> {
  return parsingOutside(
    (why) => malformed("ocsp", why),
    () => parseOcsp(bytes),
  );
}

async function parseOcsp(bytes: Buffer): Promise<ParsedOcspResponse> {
  const { asn1js, pkijs } = await pkiModules();
  const resp = new pkijs.OCSPResponse({ schema: der(new Uint8Array(bytes), "ocsp") });
  const responseStatus = resp.responseStatus.valueBlock.valueDec;
  if (responseStatus !== 0 || !resp.responseBytes)
    return { responseStatus, basic: null, producedAt: null, nonce: null, responses: [] };
  if (resp.responseBytes.responseType !== OID.ocspBasic)
    throw malformed("ocsp", `response type ${resp.responseBytes.responseType} is not id-pkix-ocsp-basic`);
  const basic = new pkijs.BasicOCSPResponse({
    schema: der(resp.responseBytes.response.valueBlock.valueHexView, "ocsp"),
  });
  const data = basic.tbsResponseData;
  const nonceExt = data.responseExtensions?.find((e) => e.extnID === OID.ocspNonce);
  let nonce: Buffer | null = null;
  if (nonceExt) {
    // The nonce is an OCTET STRING inside the extension's OCTET STRING (some responders skip the inner one).
    const inner = fromBer(nonceExt.extnValue.valueBlock.valueHexView);
    nonce =
      inner.offset !== -1 && inner.result instanceof asn1js.OctetString
        ? Buffer.from(inner.result.valueBlock.valueHexView)
        : Buffer.from(nonceExt.extnValue.valueBlock.valueHexView);
  }
  const responses = data.responses.map((r): OcspSingle => {
    const tag = (r.certStatus as Asn1js.BaseBlock).idBlock.tagNumber;
    const single: OcspSingle = {
      certId: r.certID,
      serialNumber: Buffer.from(r.certID.serialNumber.valueBlock.valueHexView).toString("hex"),
      status: tag === 0 ? "good" : tag === 1 ? "revoked" : "unknown",
      thisUpdate: r.thisUpdate,
      nextUpdate: r.nextUpdate ?? null,
    };
    if (tag === 1) {
      const parts = ((r.certStatus as Asn1js.Constructed).valueBlock.value ?? []) as Asn1js.BaseBlock[];
      const time = parts[0] as Asn1js.GeneralizedTime | undefined;
      if (time && "toDate" in time) single.revokedAt = time.toDate().toISOString();
      const reason = parts[1] as Asn1js.Constructed | undefined;
      const code = (reason?.valueBlock.value?.[0] as Asn1js.Enumerated | undefined)?.valueBlock.valueDec;
      if (code !== undefined) single.reason = REASONS[code] || String(code);
    }
    return single;
  });
  return { responseStatus, basic, producedAt: data.producedAt, nonce, responses };
}

export interface ParsedCrl {
  crl: Pkijs.CertificateRevocationList;
  issuer: Pkijs.RelativeDistinguishedNames;
  thisUpdate: Date;
  nextUpdate: Date | null;
  /** serial (hex) → revocation time and reason */
  revoked: Map<string, { revokedAt: string; reason?: string }>;
  der: Buffer;
}

export async function parseCrl(bytes: Buffer): Promise<ParsedCrl> {
  return parsingOutside(
    (why) => malformed("crl", why),
    () => parseCrlBytes(bytes),
  );
}

async function parseCrlBytes(bytes: Buffer): Promise<ParsedCrl> {
  const { pkijs } = await pkiModules();
  if (bytes.length === 0) throw malformed("crl", "empty");
  const crl = new pkijs.CertificateRevocationList({ schema: der(new Uint8Array(bytes), "crl") });
  const revoked = new Map<string, { revokedAt: string; reason?: string }>();
  for (const r of crl.revokedCertificates ?? []) {
    const reasonExt = r.crlEntryExtensions?.extensions.find((e) => e.extnID === OID.crlReason);
    const code = (reasonExt?.parsedValue as Asn1js.Enumerated | undefined)?.valueBlock?.valueDec;
    revoked.set(Buffer.from(r.userCertificate.valueBlock.valueHexView).toString("hex"), {
      revokedAt: r.revocationDate.value.toISOString(),
      ...(code !== undefined ? { reason: REASONS[code] || String(code) } : {}),
    });
  }
  return {
    crl,
    issuer: crl.issuer,
    thisUpdate: crl.thisUpdate.value,
    nextUpdate: crl.nextUpdate?.value ?? null,
    revoked,
    der: bytes,
  };
}

// ---------------------------------------------------------------------------------------------

interface OcspCacheEntry {
  until: number;
  result: Omit<RevocationResult, "checkedAt" | "problems">;
}

interface CrlEntry extends ParsedCrl {
  url: string;
  /** SHA-256 of the DER, hex: how evidence names it (computed once, not per check) */
  sha256: string;
}

const hex = (b: ArrayBuffer | Uint8Array) =>
  Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString("hex");

export class RevocationChecker {
  private ocspCache = new Map<string, OcspCacheEntry>();
  private crls = new Map<string, CrlEntry>();
  /** CRL URLs seen, with the issuer that must have signed them: what the refresh job fetches */
  private crlIssuers = new Map<string, ParsedCertificate>();
  private readonly now: () => Date;
  private readonly fetch: typeof fetch;

  constructor(private readonly o: RevocationOptions) {
    this.now = o.now ?? (() => new Date());
    this.fetch = o.fetch ?? globalThis.fetch;
  }

  private get crlDir() {
    return path.join(this.o.dataDir, "crl");
  }

  /** The status of `leaf` issued by `issuer`, now. */
  async check(leaf: ParsedCertificate, issuer: ParsedCertificate): Promise<RevocationResult> {
    const checkedAt = this.now().toISOString();
    const problems: string[] = [];
    const key = `${issuer.info.fingerprint}:${leaf.info.serialNumber}`;
    const cached = this.ocspCache.get(key);
    if (cached && cached.until > this.now().getTime()) {
      return {
        ...cached.result,
        evidence: cached.result.evidence && { ...cached.result.evidence, cached: true },
        checkedAt,
        problems,
      };
    }
    for (const url of leaf.info.ocspUrls.filter((u) => /^https?:\/\//i.test(u))) {
      try {
        const r = await this.askOcsp(url, leaf, issuer);
        // "unknown": the CA's own responder does not know it issued this certificate. That is an
        // answer (a CRL cannot vouch for what the CA never issued), cached like any other.
        const until = r.evidence!.nextUpdate
          ? Date.parse(r.evidence!.nextUpdate)
          : this.now().getTime() + this.o.noNextUpdateSeconds * 1000;
        this.remember(key, { until, result: r });
        return { ...r, checkedAt, problems };
      } catch (err) {
        problems.push(`OCSP ${url}: ${(err as Error).message}`);
      }
    }
    for (const url of leaf.info.crlUrls.filter((u) => /^https?:\/\//i.test(u))) {
      try {
        const crl = await this.crlFor(url, issuer, problems);
        const entry = crl.revoked.get(leaf.info.serialNumber);
        const evidence: RevocationEvidence = {
          source: "crl",
          url,
          sha256: crl.sha256,
          thisUpdate: crl.thisUpdate.toISOString(),
          nextUpdate: crl.nextUpdate?.toISOString() ?? null,
          cached: crl.cached,
        };
        if (entry && entry.reason !== "removeFromCRL") {
          return {
            status: "revoked",
            detail: `revoked at ${entry.revokedAt}${entry.reason ? ` (${entry.reason})` : ""} according to the CRL ${url}`,
            ...entry,
            checkedAt,
            evidence,
            problems,
          };
        }
        return {
          status: "good",
          detail: `not on the CRL ${url} issued ${crl.thisUpdate.toISOString()}`,
          checkedAt,
          evidence,
          problems,
        };
      } catch (err) {
        problems.push(`CRL ${url}: ${(err as Error).message}`);
      }
    }
    if (leaf.info.ocspUrls.length === 0 && leaf.info.crlUrls.length === 0) {
      return {
        status: "unavailable",
        detail: "the certificate names no OCSP responder and no CRL; its revocation status cannot be checked",
        checkedAt,
        evidence: null,
        problems,
      };
    }
    return {
      status: "unavailable",
      detail: `no revocation source answered (${problems.join("; ")})`,
      checkedAt,
      evidence: null,
      problems,
    };
  }

  private remember(key: string, entry: OcspCacheEntry) {
    if (this.ocspCache.size >= this.o.cacheEntries) {
      const now = this.now().getTime();
      for (const [k, v] of this.ocspCache) if (v.until <= now) this.ocspCache.delete(k);
      if (this.ocspCache.size >= this.o.cacheEntries) this.ocspCache.delete(this.ocspCache.keys().next().value!);
    }
    this.ocspCache.set(key, entry);
  }

  private async download(url: string, init?: RequestInit): Promise<Buffer> {
    const res = await this.fetch(url, { ...init, signal: AbortSignal.timeout(this.o.timeoutMs) }).catch(
      (err: Error) => {
        throw new Error(
          err.name === "TimeoutError"
            ? `no answer within ${this.o.timeoutMs} ms`
            : `unreachable (${(err.cause as Error | undefined)?.message ?? err.message})`,
        );
      },
    );
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }

  private async askOcsp(
    url: string,
    leaf: ParsedCertificate,
    issuer: ParsedCertificate,
  ): Promise<Omit<RevocationResult, "checkedAt" | "problems">> {
    const { asn1js, pkijs } = await pkiModules();
    const request = new pkijs.OCSPRequest();
    await request.createForCertificate(leaf.cert, { hashAlgorithm: "SHA-1", issuerCertificate: issuer.cert });
    const nonce = randomBytes(16);
    request.tbsRequest.requestExtensions = [
      new pkijs.Extension({
        extnID: OID.ocspNonce,
        extnValue: new asn1js.OctetString({ valueHex: nonce }).toBER(false),
      }),
    ];
    const body = Buffer.from(request.toSchema(true).toBER(false));
    const bytes = await this.download(url, {
      method: "POST",
      headers: { "content-type": "application/ocsp-request", accept: "application/ocsp-response" },
      body,
    });
    const parsed = await parseOcspResponse(bytes);
    if (parsed.responseStatus !== 0 || !parsed.basic)
      throw new Error(
        `the responder answered status ${parsed.responseStatus} (${["successful", "malformedRequest", "internalError", "tryLater", "", "sigRequired", "unauthorized"][parsed.responseStatus] ?? "?"})`,
      );
    if (parsed.nonce && !parsed.nonce.equals(nonce)) throw new Error("the response carries another nonce (a replay?)");
    await this.authenticateOcsp(parsed.basic, issuer);
    const certId = await pkijs.CertID.create(leaf.cert, { hashAlgorithm: "SHA-1", issuerCertificate: issuer.cert });
    let single = parsed.responses.find((r) => r.certId.isEqual(certId));
    if (!single) {
      // The responder may hash with another algorithm than we asked.
      for (const r of parsed.responses) {
        const alg = r.certId.hashAlgorithm.algorithmId === "2.16.840.1.101.3.4.2.1" ? "SHA-256" : null;
        if (
          alg &&
          r.certId.isEqual(await pkijs.CertID.create(leaf.cert, { hashAlgorithm: alg, issuerCertificate: issuer.cert }))
        )
          single = r;
      }
    }
    if (!single) throw new Error("the response does not answer for this certificate");
    const now = this.now().getTime();
    const skew = this.o.clockSkewSeconds * 1000;
    if (single.thisUpdate.getTime() > now + skew)
      throw new Error(`the response is from the future (thisUpdate ${single.thisUpdate.toISOString()})`);
    if (single.nextUpdate && single.nextUpdate.getTime() < now - skew)
      throw new Error(`the response is stale (nextUpdate ${single.nextUpdate.toISOString()})`);
    const evidence: RevocationEvidence = {
      source: "ocsp",
      url,
      der: bytes.toString("base64"),
      thisUpdate: single.thisUpdate.toISOString(),
      nextUpdate: single.nextUpdate?.toISOString() ?? null,
      producedAt: parsed.producedAt?.toISOString(),
      cached: false,
    };
    if (single.status === "revoked") {
      return {
        status: "revoked",
        detail: `revoked at ${single.revokedAt}${single.reason ? ` (${single.reason})` : ""} according to the OCSP responder ${url}`,
        revokedAt: single.revokedAt,
        reason: single.reason,
        evidence,
      };
    }
    if (single.status === "unknown")
      return {
        status: "unknown",
        detail: `the OCSP responder ${url} does not know this certificate (the CA does not know it issued it)`,
        evidence,
      };
    return {
      status: "good",
      detail: `good according to the OCSP responder ${url} (${single.thisUpdate.toISOString()})`,
      evidence,
    };
  }

  /** The response must be signed by the issuer itself or by a responder the issuer delegated. */
  private async authenticateOcsp(basic: Pkijs.BasicOCSPResponse, issuer: ParsedCertificate): Promise<void> {
    const { pkijs } = await pkiModules();
    const rid = basic.tbsResponseData.responderID as Pkijs.RelativeDistinguishedNames | Asn1js.OctetString;
    const keyHash = (c: Pkijs.Certificate) =>
      createHash("sha1").update(c.subjectPublicKeyInfo.subjectPublicKey.valueBlock.valueHexView).digest("hex");
    const matches = (c: Pkijs.Certificate) =>
      rid instanceof pkijs.RelativeDistinguishedNames
        ? c.subject.isEqual(rid)
        : hex((rid as Asn1js.OctetString).valueBlock.valueHexView) === keyHash(c);
    let signer: Pkijs.Certificate | null = null;
    if (matches(issuer.cert)) signer = issuer.cert;
    else {
      for (const c of basic.certs ?? []) {
        if (!matches(c)) continue;
        if (!c.issuer.isEqual(issuer.cert.subject) || !(await issuedBy(c, issuer.cert).catch(() => false))) {
          throw new Error("the OCSP responder's certificate is not issued by the certificate's CA");
        }
        const eku = c.extensions?.find((e) => e.extnID === OID.extKeyUsage)?.parsedValue as
          Pkijs.ExtKeyUsage | undefined;
        if (!eku?.keyPurposes.includes(OID.ocspSigning))
          throw new Error(
            "the OCSP responder's certificate is not authorized to sign OCSP responses (no id-kp-OCSPSigning)",
          );
        const now = this.now();
        if (now < c.notBefore.value || now > c.notAfter.value)
          throw new Error("the OCSP responder's certificate is not valid now");
        signer = c;
        break;
      }
    }
    if (!signer)
      throw new Error("the OCSP response is signed by a responder that is neither the CA nor delegated by it");
    let ok: boolean;
    try {
      ok = await verifiedBy(signer, {
        algorithm: basic.signatureAlgorithm,
        data: basic.tbsResponseData.tbsView,
        signature: basic.signature.valueBlock.valueHexView,
      });
    } catch (err) {
      throw new Error(`the OCSP response's signature cannot be checked: ${(err as Error).message}`, { cause: err });
    }
    if (!ok) throw new Error("the OCSP response's signature does not verify");
  }

  // --- CRLs -----------------------------------------------------------------------------------

  private fileOf(url: string) {
    return path.join(this.crlDir, createHash("sha256").update(url).digest("hex") + ".crl");
  }

  /** A current CRL from `url` signed by `issuer`: the cached one while it is current, else a fresh download. */
  private async crlFor(
    url: string,
    issuer: ParsedCertificate,
    problems: string[],
  ): Promise<CrlEntry & { cached: boolean }> {
    this.crlIssuers.set(url, issuer);
    let entry = this.crls.get(url) ?? (await this.loadFromDisk(url, issuer));
    const current = (e: CrlEntry | undefined) =>
      e && (!e.nextUpdate || e.nextUpdate.getTime() > this.now().getTime() - this.o.clockSkewSeconds * 1000);
    if (current(entry)) return { ...entry!, cached: true };
    const fresh = await this.refreshOne(url, issuer);
    if (fresh.problem) problems.push(`CRL ${url}: ${fresh.problem}`);
    entry = this.crls.get(url);
    if (!current(entry))
      throw new Error(
        entry
          ? `the cached CRL expired at ${entry.nextUpdate!.toISOString()} and no newer one could be fetched`
          : "no usable CRL",
      );
    return { ...entry!, cached: !fresh.replaced };
  }

  private async loadFromDisk(url: string, issuer: ParsedCertificate): Promise<CrlEntry | undefined> {
    const bytes = await readFile(this.fileOf(url)).catch(() => null);
    if (!bytes) return undefined;
    try {
      const entry = await this.accept(url, bytes, issuer);
      this.crls.set(url, entry);
      return entry;
    } catch {
      return undefined;
    }
  }

  private async accept(url: string, bytes: Buffer, issuer: ParsedCertificate): Promise<CrlEntry> {
    const parsed = await parseCrl(bytes);
    if (!parsed.issuer.isEqual(issuer.cert.subject)) throw new Error("the CRL is issued by another CA");
    const ok = await issuedBy(parsed.crl, issuer.cert).catch(() => false);
    if (!ok) throw new Error("the CRL's signature does not verify with the CA's key");
    return { ...parsed, url, sha256: createHash("sha256").update(bytes).digest("hex") };
  }

  /**
   * Downloads `url` and replaces the cached CRL only with a good, newer one. Never throws: returns
   * whether it replaced and what was wrong.
   */
  async refreshOne(url: string, issuer: ParsedCertificate): Promise<{ replaced: boolean; problem: string | null }> {
    let bytes: Buffer;
    try {
      bytes = await this.download(url);
    } catch (err) {
      return { replaced: false, problem: (err as Error).message };
    }
    return this.offer(url, bytes, issuer);
  }

  /**
   * A CRL another node downloaded (the cluster's refresh, through the shared blob store): taken
   * under the same rules as a download of our own, for a CRL this node has used before.
   */
  async adopt(url: string, bytes: Buffer): Promise<{ replaced: boolean; problem: string | null }> {
    const issuer = this.crlIssuers.get(url);
    if (!issuer) return { replaced: false, problem: null };
    return this.offer(url, bytes, issuer);
  }

  /** The DER of the CRL cached for `url`, with its SHA-256. */
  cachedCrl(url: string): { der: Buffer; sha256: string } | null {
    const c = this.crls.get(url);
    return c ? { der: c.der, sha256: c.sha256 } : null;
  }

  private async offer(url: string, bytes: Buffer, issuer: ParsedCertificate) {
    let next: CrlEntry;
    try {
      next = await this.accept(url, bytes, issuer);
    } catch (err) {
      return { replaced: false, problem: `refused the download: ${(err as Error).message}` };
    }
    const old = this.crls.get(url);
    if (old && next.thisUpdate.getTime() < old.thisUpdate.getTime()) {
      return {
        replaced: false,
        problem: `refused the download: it is older (${next.thisUpdate.toISOString()}) than the cached CRL (${old.thisUpdate.toISOString()})`,
      };
    }
    if (old && old.revoked.size > 0 && next.revoked.size === 0) {
      return {
        replaced: false,
        problem: `refused the download: it lists no revoked certificate where the cached CRL lists ${old.revoked.size}`,
      };
    }
    await mkdir(this.crlDir, { recursive: true });
    const file = this.fileOf(url);
    await writeFile(file + ".tmp", bytes);
    await rename(file + ".tmp", file);
    this.crls.set(url, next);
    return { replaced: true, problem: null };
  }

  /** The cron job: fetches every CRL used so far again. */
  async refreshAll(): Promise<Array<{ url: string; replaced: boolean; problem: string | null }>> {
    const out = [];
    for (const [url, issuer] of this.crlIssuers) out.push({ url, ...(await this.refreshOne(url, issuer)) });
    return out;
  }

  /** The bytes of a CRL a check used (by its URL and SHA-256), to keep as evidence; null if no longer cached. */
  crlBytes(url: string, sha256: string): Buffer | null {
    const c = this.crls.get(url);
    return c?.sha256 === sha256 ? c.der : null;
  }

  /** What is cached, for the API and the status command. */
  status() {
    return {
      ocspCached: this.ocspCache.size,
      crls: [...this.crls.values()].map((c) => ({
        url: c.url,
        thisUpdate: c.thisUpdate.toISOString(),
        nextUpdate: c.nextUpdate?.toISOString() ?? null,
        entries: c.revoked.size,
      })),
    };
  }
}
