// RFC 3161 timestamps (SPEC R3.3): a client for the configured TSA, the appliance's own internal
// TSA signed by an HSM key (for installations without a national TSA, like SignServer's), and
// CAdES-T: a signature's timestamp token added to its CMS as an unsigned attribute.
import type * as Asn1js from "asn1js";
import { createHash, randomBytes } from "node:crypto";
import type * as Pkijs from "pkijs";
import { UnavailableError, ValidationError } from "../errors.js";
import { parseCertificate, verifiedBy } from "./certificates.js";
import { generalizedTime, integer, oid, seq, tlv, unsignedInteger } from "./cmsBuilder.js";
import { cmsBytes, parsingOutside, pkiModules, wholeDer } from "./cms.js";
import { OIDS, SHA2_DIGESTS } from "./oids.js";
import { signatureProviders } from "./providers.js";
import type { Hsm } from "./hsm.js";
import type { TrustStore } from "./trust.js";

const TIME_STAMPING = "1.3.6.1.5.5.7.3.8";
const EXT_KEY_USAGE = "2.5.29.37";

export interface TimestampInfo {
  genTime: string;
  policy: string;
  serialNumber: string;
  /** the imprint's hash algorithm and value (hex) */
  imprint: { algorithm: string; hash: string };
  nonce: string | null;
  /** the TSA's certificate subject, when the token carries it */
  tsa: string | null;
}

const malformed = (why: string) => new ValidationError("timestamp_malformed", `Not an RFC 3161 timestamp: ${why}`);

const fromDer = (bytes: Uint8Array, why: string) => wholeDer(bytes, () => malformed(why));

/** Reads a timestamp token (a ContentInfo with SignedData over TSTInfo). */
export async function parseTimestampToken(
  der: Buffer,
): Promise<{ info: TimestampInfo; signed: Pkijs.SignedData; tst: Pkijs.TSTInfo }> {
  return parsingOutside(malformed, () => parseToken(der));
}

async function parseToken(der: Buffer): Promise<{ info: TimestampInfo; signed: Pkijs.SignedData; tst: Pkijs.TSTInfo }> {
  const { pkijs } = await pkiModules();
  const ci = new pkijs.ContentInfo({ schema: fromDer(new Uint8Array(der), "not DER") });
  const signed = new pkijs.SignedData({ schema: ci.content });
  if (signed.encapContentInfo.eContentType !== OIDS.tstInfo) throw malformed("the token does not carry a TSTInfo");
  const content = signed.encapContentInfo.eContent;
  if (!content) throw malformed("the token has no content");
  const tst = new pkijs.TSTInfo({ schema: fromDer(new Uint8Array(content.getValue()), "TSTInfo is not DER") });
  const cert = signed.certificates?.find((c): c is Pkijs.Certificate => c instanceof pkijs.Certificate);
  return {
    signed,
    tst,
    info: {
      genTime: tst.genTime.toISOString(),
      policy: tst.policy,
      serialNumber: Buffer.from(tst.serialNumber.valueBlock.valueHexView).toString("hex"),
      imprint: {
        algorithm:
          SHA2_DIGESTS[tst.messageImprint.hashAlgorithm.algorithmId]?.node ??
          tst.messageImprint.hashAlgorithm.algorithmId,
        hash: Buffer.from(tst.messageImprint.hashedMessage.valueBlock.valueHexView).toString("hex"),
      },
      nonce: tst.nonce ? Buffer.from(tst.nonce.valueBlock.valueHexView).toString("hex") : null,
      tsa: cert
        ? cert.subject.typesAndValues
            .map((tv) => `${tv.type === "2.5.4.3" ? "CN" : tv.type}=${String(tv.value.valueBlock.value)}`)
            .join(", ")
        : null,
    },
  };
}

/** A TimeStampResp (RFC 3161 §2.4.2): status, and the token when granted. */
export async function parseTimestampResponse(
  der: Buffer,
): Promise<{ status: number; statusText: string | null; token: Buffer | null }> {
  return parsingOutside(malformed, () => parseResponse(der));
}

async function parseResponse(
  der: Buffer,
): Promise<{ status: number; statusText: string | null; token: Buffer | null }> {
  const { pkijs } = await pkiModules();
  const resp = new pkijs.TimeStampResp({ schema: fromDer(new Uint8Array(der), "not DER") });
  const text = resp.status.statusStrings?.map((s) => String(s.valueBlock.value)).join("; ") ?? null;
  return {
    status: resp.status.status,
    statusText: text,
    token: resp.timeStampToken ? Buffer.from(resp.timeStampToken.toSchema().toBER(false)) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// The internal TSA

const FAIL = { badAlg: 0, badRequest: 2, badDataFormat: 5, unacceptedPolicy: 15, systemFailure: 25 };

function rejection(bit: number, text: string): Buffer {
  // PKIStatusInfo { status rejection(2), statusString { UTF8String }, failInfo BIT STRING }
  const bytes = Buffer.alloc(4);
  bytes[Math.floor(bit / 8)] |= 0x80 >> (bit % 8);
  const used = Math.floor(bit / 8) + 1;
  const bits = tlv(0x03, Buffer.concat([Buffer.from([7 - (bit % 8)]), bytes.subarray(0, used)]));
  return seq(seq(integer(2), seq(tlv(0x0c, Buffer.from(text))), bits));
}

export class TimestampAuthority {
  constructor(
    private readonly hsm: Hsm,
    readonly keyLabel: string,
    readonly policy: string,
    private readonly now: () => Date,
  ) {}

  /** Answers a DER TimeStampReq with a DER TimeStampResp: granted, or rejected with the reason (never throws for bad input). */
  async respond(request: Buffer): Promise<Buffer> {
    const { pkijs } = await pkiModules();
    let req: Pkijs.TimeStampReq;
    try {
      req = new pkijs.TimeStampReq({ schema: fromDer(new Uint8Array(request), "not DER") });
    } catch {
      return rejection(FAIL.badDataFormat, "the request is not a DER TimeStampReq");
    }
    let imprint: Buffer;
    let nonce: Buffer | null;
    try {
      const alg = SHA2_DIGESTS[req.messageImprint.hashAlgorithm.algorithmId];
      if (!alg)
        return rejection(
          FAIL.badAlg,
          `unsupported imprint hash ${req.messageImprint.hashAlgorithm.algorithmId} (SHA-256, SHA-384 or SHA-512)`,
        );
      if (req.messageImprint.hashedMessage.valueBlock.valueHexView.length !== alg.bytes)
        return rejection(FAIL.badRequest, "the imprint's length does not fit its hash algorithm");
      if (req.reqPolicy && req.reqPolicy !== this.policy)
        return rejection(FAIL.unacceptedPolicy, `this TSA issues under policy ${this.policy} only`);
      imprint = Buffer.from(req.messageImprint.toSchema().toBER(false));
      nonce = req.nonce ? Buffer.from(req.nonce.toBER(false)) : null;
    } catch {
      return rejection(FAIL.badRequest, "the request's fields do not decode");
    }
    const key = this.hsm.key(this.keyLabel);
    if (!key.template) return rejection(FAIL.systemFailure, "the TSA key has no certificate");
    const at = this.now();
    const tstInfo = seq(
      integer(1),
      oid(this.policy),
      imprint,
      unsignedInteger(randomBytes(16)),
      generalizedTime(at),
      seq(integer(1)), // accuracy: 1 second
      ...(nonce ? [nonce] : []),
    );
    const digest = createHash("sha256").update(tstInfo).digest();
    const attrs = key.template.signedAttributes(digest, at, OIDS.tstInfo);
    const signature = await this.hsm.sign(this.keyLabel, attrs);
    // certReq false would leave the certificate out; it is kept in (verifiers find it either way).
    const token = key.template.assemble(attrs, signature, [], { type: OIDS.tstInfo, content: tstInfo });
    return seq(seq(integer(0)), token);
  }
}

// ---------------------------------------------------------------------------------------------
// The client and CAdES-T

export interface TsaClientOptions {
  url: string;
  timeoutMs: number;
  trust: TrustStore;
  now?: () => Date;
  fetch?: typeof fetch;
}

/** The timestamp source of the appliance's own artefacts: the configured TSA, else its own (with an HSM). */
export function timestampSource(
  configured: TsaClient | null,
  own: TimestampAuthority | null,
  trust: TrustStore,
  timeoutMs: number,
): TsaClient | null {
  if (configured) return configured;
  return own ? internalTsaClient(own, trust, timeoutMs) : null;
}

/** A client of the appliance's own TSA, called in-process (no HTTP), verifying what it answers like any other. */
export function internalTsaClient(tsa: TimestampAuthority, trust: TrustStore, timeoutMs: number): TsaClient {
  return new TsaClient({
    url: "internal:tsa",
    timeoutMs,
    trust,
    fetch: (async (_url: unknown, init: { body: Uint8Array }) =>
      new Response(new Uint8Array(await tsa.respond(Buffer.from(init.body))), {
        status: 200,
      })) as unknown as typeof fetch,
  });
}

export class TsaClient {
  constructor(private readonly o: TsaClientOptions) {}

  /** A verified timestamp token over `data` (its SHA-256). Throws 503 tsa_unavailable when none can be had. */
  async timestamp(data: Buffer): Promise<{ token: Buffer; info: TimestampInfo }> {
    const hash = createHash("sha256").update(data).digest();
    const nonce = randomBytes(8);
    nonce[0] &= 0x7f;
    const request = seq(
      integer(1),
      seq(seq(oid(OIDS.sha256)), tlv(0x04, hash)),
      unsignedInteger(nonce),
      Buffer.from([0x01, 0x01, 0xff]),
    );
    let body: Buffer;
    try {
      const res = await (this.o.fetch ?? fetch)(this.o.url, {
        method: "POST",
        headers: { "content-type": "application/timestamp-query", accept: "application/timestamp-reply" },
        body: new Uint8Array(request),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      body = Buffer.from(await res.arrayBuffer());
    } catch (err) {
      const e = err as Error;
      throw new UnavailableError(
        "tsa_unavailable",
        `The timestamp authority ${this.o.url} did not answer: ${e.name === "TimeoutError" ? `no answer within ${this.o.timeoutMs} ms` : e.message}`,
      );
    }
    const resp = await parseTimestampResponse(body).catch((err: Error) => {
      throw new UnavailableError("tsa_unavailable", `The timestamp authority's answer is unusable: ${err.message}`);
    });
    if (resp.status > 1 || !resp.token)
      throw new UnavailableError(
        "tsa_unavailable",
        `The timestamp authority refused: status ${resp.status}${resp.statusText ? ` (${resp.statusText})` : ""}`,
      );
    const checked = await this.verifyToken(resp.token, hash);
    if (checked.info.nonce === null || BigInt("0x" + checked.info.nonce) !== BigInt("0x" + nonce.toString("hex"))) {
      throw new UnavailableError("tsa_unavailable", "The timestamp answers another request (nonce differs)");
    }
    return { token: resp.token, info: checked.info };
  }

  /** The token is over `hash`, signed by a time-stamping certificate that chains to a trusted CA. */
  async verifyToken(token: Buffer, hash: Buffer): Promise<{ info: TimestampInfo }> {
    const { pkijs } = await pkiModules();
    const { info, signed } = await parseTimestampToken(token);
    const fail = (why: string) =>
      new UnavailableError("tsa_unavailable", `The timestamp token is not acceptable: ${why}`);
    if (info.imprint.hash !== hash.toString("hex")) throw fail("it is over other data");
    const cert = signed.certificates?.find((c): c is Pkijs.Certificate => c instanceof pkijs.Certificate);
    if (!cert) throw fail("it does not carry the TSA's certificate");
    if (!(await signatureHolds(signed, cert))) throw fail("its signature does not verify");
    const tsa = await parseCertificate(Buffer.from(cert.toSchema().toBER(false)));
    const eku = cert.extensions?.find((e) => e.extnID === EXT_KEY_USAGE);
    if (!eku?.critical || !(eku.parsedValue as Pkijs.ExtKeyUsage).keyPurposes.includes(TIME_STAMPING))
      throw fail("the signer is not a time-stamping certificate (critical EKU timeStamping)");
    const chain = await this.o.trust.verifyChain(tsa, [], new Date(info.genTime));
    if (!chain.trusted) throw fail(chain.failures.map((f) => f.detail).join("; "));
    return { info };
  }
}

/**
 * The token's own signature: the message-digest attribute is the TSTInfo's digest and the TSA's
 * key verifies the signed attributes. (pkijs's verify wants the timestamped data itself, which a
 * verifier of a signature timestamp does not have — only its hash.)
 */
async function signatureHolds(signed: Pkijs.SignedData, cert: Pkijs.Certificate): Promise<boolean> {
  try {
    const si = signed.signerInfos[0];
    const content = Buffer.from(signed.encapContentInfo.eContent!.getValue());
    const md = si.signedAttrs?.attributes.find((a) => a.type === "1.2.840.113549.1.9.4")?.values[0] as
      Asn1js.OctetString | undefined;
    if (!md || !si.signedAttrs) return false;
    // Any digest a signature provider computes: SHA-2, or a national one for a GOST-signed token.
    const expected = signatureProviders.digest(si.digestAlgorithm.algorithmId, content);
    if (!expected || !Buffer.from(md.valueBlock.valueHexView).equals(expected)) return false;
    return await verifiedBy(cert, {
      algorithm: si.signatureAlgorithm,
      data: new Uint8Array(si.signedAttrs.encodedValue),
      signature: si.signature.valueBlock.valueHexView,
      digestAlgorithm: si.digestAlgorithm.algorithmId,
    });
  } catch {
    return false;
  }
}

/**
 * CAdES-T: `cms` with the timestamp token over its signature value added to the signer's unsigned
 * attributes (id-aa-signatureTimeStampToken). The signed part is not touched.
 */
export async function withSignatureTimestamp(
  raw: Buffer,
  client: TsaClient,
): Promise<{ cms: Buffer; info: TimestampInfo }> {
  const { pkijs } = await pkiModules();
  const cms = cmsBytes(raw);
  const ci = new pkijs.ContentInfo({ schema: fromDer(new Uint8Array(cms), "the CMS is not DER") });
  const sd = new pkijs.SignedData({ schema: ci.content });
  const si = sd.signerInfos[0];
  const { token, info } = await client.timestamp(Buffer.from(si.signature.valueBlock.valueHexView));
  const attr = new pkijs.Attribute({ type: OIDS.timeStampToken, values: [fromDer(new Uint8Array(token), "token")] });
  si.unsignedAttrs = new pkijs.SignedAndUnsignedAttributes({
    type: 1,
    attributes: [...(si.unsignedAttrs?.attributes ?? []), attr],
  });
  const out = new pkijs.ContentInfo({ contentType: ci.contentType, content: sd.toSchema(true) });
  return { cms: Buffer.from(out.toSchema().toBER(false)), info };
}

/** The signature timestamp a CAdES-T carries (null if none), and the signature value it is over. */
export async function signatureTimestampOf(raw: Buffer): Promise<{ token: Buffer | null; signatureValue: Buffer }> {
  const { pkijs } = await pkiModules();
  const sd = new pkijs.SignedData({
    schema: new pkijs.ContentInfo({ schema: fromDer(new Uint8Array(cmsBytes(raw)), "the CMS is not DER") }).content,
  });
  const si = sd.signerInfos[0];
  const attr = si?.unsignedAttrs?.attributes.find((a) => a.type === OIDS.timeStampToken);
  return {
    token: attr ? Buffer.from(attr.values[0].toBER(false)) : null,
    signatureValue: Buffer.from(si.signature.valueBlock.valueHexView),
  };
}
