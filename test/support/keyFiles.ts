// Key files for tests, built with Node's own crypto (independent of the console's reader): a
// PKCS#12 whose key bag is PBES2 (PBKDF2-HMAC-SHA-256, AES-256-CBC) as OpenSSL 3 writes it, for
// keys OpenSSL cannot wrap itself (KZ GOST); and GOST PKCS#8 private keys as CryptoPro/TC26 keep
// them (the scalar little-endian in an OCTET STRING).
import { createCipheriv, pbkdf2Sync, randomBytes } from "node:crypto";

function tlv(tag: number, ...parts: Buffer[]): Buffer {
  const body = Buffer.concat(parts);
  const n = body.length;
  let len: Buffer;
  if (n < 0x80) len = Buffer.from([n]);
  else {
    const b: number[] = [];
    for (let v = n; v > 0; v = Math.floor(v / 256)) b.unshift(v & 0xff);
    len = Buffer.from([0x80 | b.length, ...b]);
  }
  return Buffer.concat([Buffer.from([tag]), len, body]);
}
const seq = (...p: Buffer[]) => tlv(0x30, ...p);
const set = (...p: Buffer[]) => tlv(0x31, ...p);
const octets = (b: Buffer) => tlv(0x04, b);
const int = (n: number) => tlv(0x02, Buffer.from([n]));
function oid(dotted: string) {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const parts = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) parts.unshift((v & 0x7f) | 0x80);
    out.push(...parts);
  }
  return tlv(0x06, Buffer.from(out));
}

/** PrivateKeyInfo of a KZ GOST key: { 0, { key OID, { curve OID, digest OID } }, OCTET STRING { OCTET STRING d (LE) } }. */
export function gostPkcs8(keyOid: string, params: string[], privateKeyLe: Buffer): Buffer {
  return seq(int(0), seq(oid(keyOid), seq(...params.map(oid))), octets(octets(privateKeyLe)));
}

/** A PFX with the shrouded key and its certificate, both carrying localKeyId 01. */
export function pkcs12Of(keyPkcs8: Buffer, certDer: Buffer, password: string): Buffer {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const iterations = 2048;
  const key = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
  const c = createCipheriv("aes-256-cbc", key, iv);
  const encrypted = Buffer.concat([c.update(keyPkcs8), c.final()]);
  const pbes2 = seq(
    oid("1.2.840.113549.1.5.13"),
    seq(
      seq(
        oid("1.2.840.113549.1.5.12"),
        seq(
          octets(salt),
          tlv(0x02, Buffer.from([0x08, 0x00])),
          seq(oid("1.2.840.113549.2.9"), Buffer.from([0x05, 0x00])),
        ),
      ),
      seq(oid("2.16.840.1.101.3.4.1.42"), octets(iv)),
    ),
  );
  const localKeyId = seq(oid("1.2.840.113549.1.9.21"), set(octets(Buffer.from([1]))));
  const keyBag = seq(oid("1.2.840.113549.1.12.10.1.2"), tlv(0xa0, seq(pbes2, octets(encrypted))), set(localKeyId));
  const certBag = seq(
    oid("1.2.840.113549.1.12.10.1.3"),
    tlv(0xa0, seq(oid("1.2.840.113549.1.9.22.1"), tlv(0xa0, octets(certDer)))),
    set(localKeyId),
  );
  const data = (content: Buffer) => seq(oid("1.2.840.113549.1.7.1"), tlv(0xa0, octets(content)));
  const authSafe = seq(data(seq(certBag)), data(seq(keyBag)));
  return seq(int(3), data(authSafe));
}
