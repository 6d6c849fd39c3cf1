// A signer over a key file (PKCS#8 PEM private key + its PEM certificate), for a person without a
// token bridge — e.g. the development PKI's people/{auth,sign}.{key,pem}. The key is imported into
// WebCrypto as non-extractable and lives only in this tab's memory. Signatures are detached CMS
// SignedData (RFC 5652) with the signed attributes content type, signing time and message digest,
// SHA-256 with RSA (PKCS #1 v1.5) or ECDSA P-256 — what `openssl cms -sign` makes.
import { toBase64, type BrowserSigner } from "./signer.js";

// --- minimal DER --------------------------------------------------------------------------

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
function tlv(tag: number, ...parts: Uint8Array[]) {
  const body = concat(...parts);
  const n = body.length;
  const len =
    n < 0x80
      ? [n]
      : (() => {
          const b: number[] = [];
          for (let v = n; v > 0; v = Math.floor(v / 256)) b.unshift(v & 0xff);
          return [0x80 | b.length, ...b];
        })();
  return concat(new Uint8Array([tag, ...len]), body);
}
const seq = (...p: Uint8Array[]) => tlv(0x30, ...p);
const set = (...p: Uint8Array[]) => tlv(0x31, ...p);
function oid(dotted: string) {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const parts = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) parts.unshift((v & 0x7f) | 0x80);
    out.push(...parts);
  }
  return tlv(0x06, new Uint8Array(out));
}
const NULL = new Uint8Array([0x05, 0x00]);
/** An unsigned big-endian integer as DER INTEGER (leading zeros dropped, a zero added before a high bit). */
function integer(bytes: Uint8Array) {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  return tlv(0x02, v[0] & 0x80 ? concat(new Uint8Array([0]), v) : v);
}

/** The element at `at`: its tag, where its value starts and where it ends. */
function element(der: Uint8Array, at: number) {
  const tag = der[at];
  let len = der[at + 1];
  let start = at + 2;
  if (len & 0x80) {
    const k = len & 0x7f;
    len = 0;
    for (let i = 0; i < k; i++) len = len * 256 + der[start + i];
    start += k;
  }
  return { tag, start, end: start + len, whole: der.subarray(at, start + len) };
}
/** The children of a constructed element. */
function children(der: Uint8Array, el: { start: number; end: number }) {
  const out: Array<ReturnType<typeof element>> = [];
  for (let at = el.start; at < el.end;) {
    const c = element(der, at);
    out.push(c);
    at = c.end;
  }
  return out;
}

const pemBytes = (pem: string, label: string) => {
  const m = new RegExp(`-----BEGIN ${label}-----([^-]+)-----END ${label}-----`).exec(pem);
  if (!m) throw new Error(`No ${label} in the file`);
  return Uint8Array.from(atob(m[1].replace(/\s+/g, "")), (c) => c.charCodeAt(0));
};

const OID = {
  data: "1.2.840.113549.1.7.1",
  signedData: "1.2.840.113549.1.7.2",
  contentType: "1.2.840.113549.1.9.3",
  messageDigest: "1.2.840.113549.1.9.4",
  signingTime: "1.2.840.113549.1.9.5",
  sha256: "2.16.840.1.101.3.4.2.1",
  rsaEncryption: "1.2.840.113549.1.1.1",
  sha256WithRsa: "1.2.840.113549.1.1.11",
  ecPublicKey: "1.2.840.10045.2.1",
  ecdsaWithSha256: "1.2.840.10045.4.3.2",
};

function compareBytes(a: Uint8Array, b: Uint8Array) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}

/** UTCTime of `d` (YYMMDDHHMMSSZ). */
function utcTime(d: Date) {
  const p = (n: number) => String(n).padStart(2, "0");
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x17, new TextEncoder().encode(s));
}

/** ECDSA's raw r‖s (what WebCrypto returns) as the DER Ecdsa-Sig-Value CMS carries. */
function ecdsaDer(raw: Uint8Array) {
  const half = raw.length / 2;
  return seq(integer(raw.subarray(0, half)), integer(raw.subarray(half)));
}

export async function keyFileSigner(keyPem: string, certPem: string, name = "Key file"): Promise<BrowserSigner> {
  if (!globalThis.crypto?.subtle)
    throw new Error(
      "This browser signs with a key file only on a secure page: open the console over HTTPS (or on localhost)",
    );
  const cert = pemBytes(certPem, "CERTIFICATE");
  // Certificate ::= SEQ { tbs SEQ { [0] version, serial, sigAlg, issuer, validity, subject, spki, … }, … }
  const tbs = children(cert, children(cert, element(cert, 0))[0]);
  const fields = tbs[0].tag === 0xa0 ? tbs.slice(1) : tbs;
  const [serial, , issuer, , , spki] = fields;
  const keyAlg = children(cert, children(cert, spki)[0])[0];
  const ec = cert.subarray(keyAlg.start, keyAlg.end).join() === oid(OID.ecPublicKey).subarray(2).join();
  const algorithm = ec ? { name: "ECDSA", namedCurve: "P-256" } : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  const key = await crypto.subtle.importKey("pkcs8", pemBytes(keyPem, "PRIVATE KEY"), algorithm, false, ["sign"]);

  return {
    name,
    async sign(dataBase64: string) {
      const data = Uint8Array.from(atob(dataBase64), (c) => c.charCodeAt(0));
      const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", data));
      // DER orders a SET OF by its elements' encodings; verifiers re-encode the attributes so.
      const attrs = [
        seq(oid(OID.contentType), set(oid(OID.data))),
        seq(oid(OID.signingTime), set(utcTime(new Date()))),
        seq(oid(OID.messageDigest), set(tlv(0x04, digest))),
      ].sort(compareBytes);
      // The signature covers the attributes as a SET (tag 0x31); the SignerInfo carries them as [0].
      const signedAttrs = set(...attrs);
      const raw = new Uint8Array(
        await crypto.subtle.sign(ec ? { name: "ECDSA", hash: "SHA-256" } : "RSASSA-PKCS1-v1_5", key, signedAttrs),
      );
      const signature = ec ? ecdsaDer(raw) : raw;
      const sha256 = seq(oid(OID.sha256), NULL);
      const signerInfo = seq(
        tlv(0x02, new Uint8Array([1])),
        seq(issuer.whole, serial.whole),
        sha256,
        tlv(0xa0, ...attrs),
        ec ? seq(oid(OID.ecdsaWithSha256)) : seq(oid(OID.sha256WithRsa), NULL),
        tlv(0x04, signature),
      );
      const signedData = seq(
        tlv(0x02, new Uint8Array([1])),
        set(sha256),
        seq(oid(OID.data)),
        tlv(0xa0, cert),
        set(signerInfo),
      );
      const cms = seq(oid(OID.signedData), tlv(0xa0, signedData));
      return toBase64(cms);
    },
  };
}
