// Opening the key files people hold, with their password, in the browser (SPEC R3.4): a PKCS#12
// (.p12/.pfx, what NCA RK issues and `openssl pkcs12 -export` makes), a Ukrainian key container
// (Key-6.dat: a PKCS#8 EncryptedPrivateKeyInfo under PBES2 with GOST 28147 and HMAC GOST 34.311),
// an unencrypted PKCS#8 or DSTU private key, PEM files, and certificates beside them. Each key is
// paired with the certificate whose public key is its own; the person picks among the pairs.
import {
  gost28147CfbDecrypt,
  gost28147EcbDecrypt,
  iitPasswordKey,
  pbkdf2Gost34311,
} from "../../../server/pki/gost/gost28147.js";
import { DEFAULT_DKE, unpackDke } from "../../../server/pki/gost/dstu4145.js";
import { readCertificate, type CertificateSummary } from "./certificate.js";
import { children, element, intValue, oidText, parse, pemBlocks, value, type El } from "./der.js";
import { engineOf, KeyFileError } from "./keys.js";

const OID = {
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  hmacSha1: "1.2.840.113549.2.7",
  hmacSha256: "1.2.840.113549.2.9",
  hmacSha512: "1.2.840.113549.2.11",
  aes128cbc: "2.16.840.1.101.3.4.1.2",
  aes192cbc: "2.16.840.1.101.3.4.1.22",
  aes256cbc: "2.16.840.1.101.3.4.1.42",
  gostHmac: "1.2.804.2.1.1.1.1.1.2",
  gostCfb: "1.2.804.2.1.1.1.1.1.1.3",
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  keyBag: "1.2.840.113549.1.12.10.1.1",
  shroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  x509: "1.2.840.113549.1.9.22.1",
  iitStore: "1.3.6.1.4.1.19398.1.1.1.2",
};

/**
 * The older IIT key store (Key-6.dat before PBES2): { { 1.3.6.1.4.1.19398.1.1.1.2, { mac(4), pad } },
 * body }. The key is GOST 34.311 of the password iterated 10,000 times; body ‖ pad decrypts by GOST
 * 28147 ECB under the standard DKE to the DSTU private key, cut to the body's length.
 */
function iitStore(parts: El[], password: Uint8Array): Uint8Array | null {
  const head = parts[0]?.tag === 0x30 ? children(parts[0]) : [];
  if (head[0]?.tag !== 0x06 || oidText(head[0]) !== OID.iitStore) return null;
  const [mac, pad] = children(head[1]);
  const body = value(parts[1]);
  const padding = pad ? value(pad) : new Uint8Array(0);
  if (value(mac).length !== 4 || (body.length + padding.length) % 8)
    throw new KeyFileError("not_a_key_file", "a damaged IIT key store");
  const sbox = unpackDke(DEFAULT_DKE);
  const plain = gost28147EcbDecrypt(iitPasswordKey(password, sbox), sbox, new Uint8Array([...body, ...padding]));
  try {
    const el = element(plain);
    if (el.tag !== 0x30 || el.end > body.length) throw new Error();
    return plain.subarray(0, el.end);
  } catch {
    throw wrongPassword();
  }
}

export interface KeyChoice {
  certificate: CertificateSummary;
  engine: Awaited<ReturnType<typeof engineOf>>;
}

const wrongPassword = () => new KeyFileError("wrong_password", "the password does not open this key file");

/** PBES2 (RFC 8018): PBKDF2 with HMAC-SHA-1/256/512 and AES-CBC through WebCrypto, or with HMAC GOST 34.311 and GOST 28147 CFB. */
async function pbes2Decrypt(params: El, data: Uint8Array, password: Uint8Array): Promise<Uint8Array> {
  const [kdf, scheme] = children(params);
  const [kdfOid, kdfParams] = children(kdf);
  if (oidText(kdfOid) !== OID.pbkdf2)
    throw new KeyFileError("unsupported_key", "only PBKDF2 key derivation is supported");
  const kp = children(kdfParams);
  const salt = value(kp[0]);
  const iterations = Number(intValue(kp[1]));
  const prfEl = kp.find((e) => e.tag === 0x30);
  const prf = prfEl ? oidText(children(prfEl)[0]) : OID.hmacSha1;
  const [encOid, encParams] = children(scheme);
  const enc = oidText(encOid);
  if (enc === OID.gostCfb) {
    const [iv, dke] = children(encParams);
    const sbox = unpackDke(dke?.tag === 0x04 ? value(dke) : DEFAULT_DKE);
    if (prf !== OID.gostHmac) throw new KeyFileError("unsupported_key", `PBKDF2 with ${prf} for GOST 28147`);
    return gost28147CfbDecrypt(pbkdf2Gost34311(password, salt, iterations, sbox), sbox, value(iv), data);
  }
  const aes = { [OID.aes128cbc]: 16, [OID.aes192cbc]: 24, [OID.aes256cbc]: 32 }[enc];
  const hash = { [OID.hmacSha1]: "SHA-1", [OID.hmacSha256]: "SHA-256", [OID.hmacSha512]: "SHA-512" }[prf];
  if (!aes || !hash) throw new KeyFileError("unsupported_key", `encryption ${enc} with ${prf} is not supported`);
  const base = await crypto.subtle.importKey("raw", password as BufferSource, "PBKDF2", false, ["deriveKey"]);
  const key = await crypto.subtle.deriveKey(
    { name: "PBKDF2", salt: salt as BufferSource, iterations, hash },
    base,
    { name: "AES-CBC", length: aes * 8 },
    false,
    ["decrypt"],
  );
  try {
    return new Uint8Array(
      await crypto.subtle.decrypt({ name: "AES-CBC", iv: value(encParams) as BufferSource }, key, data as BufferSource),
    );
  } catch {
    throw wrongPassword(); // the padding does not check: a wrong password (or a damaged file)
  }
}

/** AlgorithmIdentifier + ciphertext → plaintext. Legacy PKCS#12 PBEs (3DES, RC2) are named and refused. */
async function decrypt(alg: El, data: Uint8Array, password: Uint8Array): Promise<Uint8Array> {
  const [algOid, params] = children(alg);
  const id = oidText(algOid);
  if (id === OID.pbes2) return pbes2Decrypt(params, data, password);
  if (id.startsWith("1.2.840.113549.1.12.1."))
    throw new KeyFileError(
      "unsupported_key",
      "this key file uses legacy PKCS#12 encryption (3DES/RC2); export it again with AES (openssl pkcs12 -export without -legacy)",
    );
  throw new KeyFileError("unsupported_key", `key file encryption ${id} is not supported`);
}

/** EncryptedPrivateKeyInfo → PrivateKeyInfo, checking that what came out is DER (else the password was wrong). */
async function decryptKey(epki: El, password: Uint8Array): Promise<Uint8Array> {
  const [alg, data] = children(epki);
  const plain = await decrypt(alg, value(data), password);
  try {
    const el = element(plain);
    if (el.tag !== 0x30) throw new Error();
    return plain.subarray(0, el.end);
  } catch {
    throw wrongPassword();
  }
}

/** The [0] IMPLICIT encrypted content: primitive, or constructed from OCTET STRING pieces. */
const implicitOctets = (el: El) =>
  el.tag === 0x80 ? value(el) : new Uint8Array(children(el).flatMap((c) => [...value(c)]));

async function pkcs12(pfx: El, password: Uint8Array, keys: Uint8Array[], certs: Uint8Array[]) {
  const [, authSafe] = children(pfx);
  const safes = element(value(children(children(authSafe)[1])[0]));
  for (const ci of children(safes)) {
    const [type, content] = children(ci);
    let safeContents: Uint8Array;
    if (oidText(type) === OID.data) safeContents = value(children(content)[0]);
    else if (oidText(type) === OID.encryptedData) {
      const [, eci] = children(children(content)[0]);
      const [, alg, enc] = children(eci);
      safeContents = await decrypt(alg, implicitOctets(enc), password);
      try {
        parse(safeContents);
      } catch {
        throw wrongPassword();
      }
    } else continue;
    for (const bag of children(parse(safeContents))) {
      const [bagId, bagValue] = children(bag);
      const inner = children(bagValue)[0];
      const id = oidText(bagId);
      if (id === OID.keyBag) keys.push(inner.whole);
      else if (id === OID.shroudedKeyBag) keys.push(await decryptKey(inner, password));
      else if (id === OID.certBag) {
        const [certType, certValue] = children(inner);
        if (oidText(certType) === OID.x509) certs.push(value(children(certValue)[0]));
      }
    }
  }
}

/**
 * A Java KeyStore (JKS, as PrivatBank issues Ukrainian keys): big-endian records after the magic
 * 0xFEEDFEED. A private-key entry holds an EncryptedPrivateKeyInfo under Sun's key protector
 * (1.3.6.1.4.1.42.2.17.1.1: salt ‖ data ‖ check, the data XORed with SHA-1(password UTF-16BE ‖
 * previous digest) from the salt on, check = SHA-1(password ‖ key)) and its certificate chain.
 */
async function jks(bytes: Uint8Array, password: string, keys: Uint8Array[], certs: Uint8Array[]) {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8;
  const u32 = () => ((at += 4), view.getUint32(at - 4));
  const u16 = () => ((at += 2), view.getUint16(at - 2));
  const take = (n: number) => ((at += n), bytes.subarray(at - n, at));
  const pw = new Uint8Array(password.length * 2);
  for (let i = 0; i < password.length; i++) {
    pw[2 * i] = password.charCodeAt(i) >> 8;
    pw[2 * i + 1] = password.charCodeAt(i) & 0xff;
  }
  const sha1 = async (...parts: Uint8Array[]) =>
    new Uint8Array(await crypto.subtle.digest("SHA-1", new Uint8Array(parts.flatMap((p) => [...p]))));
  const count = u32();
  for (let i = 0; i < count; i++) {
    const tag = u32();
    take(u16()); // alias
    take(8); // date
    if (tag === 1) {
      const [, enc] = children(parse(take(u32())));
      const data = value(enc);
      const salt = data.subarray(0, 20);
      const body = data.subarray(20, data.length - 20);
      const open = new Uint8Array(body.length);
      let digest = salt;
      for (let pos = 0; pos < body.length; pos += 20) {
        digest = await sha1(pw, digest);
        for (let j = 0; j < 20 && pos + j < body.length; j++) open[pos + j] = body[pos + j] ^ digest[j];
      }
      const check = await sha1(pw, open);
      if (check.some((b, j) => b !== data[data.length - 20 + j])) throw wrongPassword();
      keys.push(open);
      const chain = u32();
      for (let c = 0; c < chain; c++) {
        take(u16()); // "X.509"
        certs.push(take(u32()).slice());
      }
    } else if (tag === 2) {
      take(u16());
      certs.push(take(u32()).slice());
    } else throw new KeyFileError("not_a_key_file", "an unknown Java KeyStore entry");
  }
}

/** Sorts one file's DER into keys and certificates. */
async function sortDer(der: Uint8Array, password: Uint8Array, keys: Uint8Array[], certs: Uint8Array[]) {
  let top: El;
  try {
    top = parse(der);
  } catch {
    throw new KeyFileError("not_a_key_file", "not a key file or certificate");
  }
  const parts = top.tag === 0x30 ? children(top) : [];
  // PFX: { INTEGER 3, ContentInfo, MacData }
  if (parts[0]?.tag === 0x02 && intValue(parts[0]) === 3n && parts[1]?.tag === 0x30)
    return pkcs12(top, password, keys, certs);
  // EncryptedPrivateKeyInfo: { AlgorithmIdentifier, OCTET STRING }, or the older IIT store of that shape
  if (parts.length === 2 && parts[0].tag === 0x30 && parts[1].tag === 0x04) {
    const iit = iitStore(parts, password);
    return void keys.push(iit ?? (await decryptKey(top, password)));
  }
  // PrivateKeyInfo (or a DSTU key of its shape): { INTEGER, AlgorithmIdentifier, OCTET STRING, … }
  if (parts[0]?.tag === 0x02 && parts[1]?.tag === 0x30 && parts[2]?.tag === 0x04) return void keys.push(der);
  // Certificate: { TBSCertificate, AlgorithmIdentifier, BIT STRING }
  if (parts.length === 3 && parts[2].tag === 0x03) return void certs.push(der);
  throw new KeyFileError("not_a_key_file", "not a key file or certificate");
}

/**
 * The signing choices in these files: every key paired with the certificate of its public key.
 * Refusals name the cause: a wrong password, a file that holds no key, a key without its certificate.
 */
export async function openKeyFiles(
  files: Array<{ name: string; bytes: Uint8Array }>,
  password: string,
): Promise<KeyChoice[]> {
  const pw = new TextEncoder().encode(password);
  const keys: Uint8Array[] = [];
  const certs: Uint8Array[] = [];
  for (const f of files) {
    const head = new TextDecoder("latin1").decode(f.bytes.subarray(0, 64));
    if (head.includes("-----BEGIN")) {
      const text = new TextDecoder().decode(f.bytes);
      certs.push(...pemBlocks(text, "CERTIFICATE"));
      keys.push(...pemBlocks(text, "PRIVATE KEY"));
      for (const e of pemBlocks(text, "ENCRYPTED PRIVATE KEY")) keys.push(await decryptKey(parse(e), pw));
    } else if (f.bytes.length > 12 && new DataView(f.bytes.buffer, f.bytes.byteOffset).getUint32(0) === 0xfeedfeed)
      await jks(f.bytes, password, keys, certs).catch((e) => {
        throw e instanceof KeyFileError ? e : new KeyFileError("not_a_key_file", "a damaged Java KeyStore");
      });
    else await sortDer(f.bytes, pw, keys, certs);
  }
  if (keys.length === 0) throw new KeyFileError("no_key", "the files hold no private key");
  const summaries = certs.map(readCertificate);
  const choices: KeyChoice[] = [];
  for (const k of keys) {
    // A DSTU key without its curve in the file takes it from a certificate of the same algorithm.
    const engine = await engineOf(
      k,
      summaries.find((c) => c.keyAlgorithm === "1.2.804.2.1.1.1.1.3.1.1"),
    );
    for (const c of summaries) if (engine.matches(c)) choices.push({ certificate: c, engine });
  }
  if (choices.length === 0)
    throw new KeyFileError(
      "no_certificate",
      "none of the certificates given belongs to the key; add the key's certificate file",
    );
  return choices;
}
