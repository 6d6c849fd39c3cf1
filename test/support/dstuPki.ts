// A UA DSTU 4145 test PKI: a CA on named curve 6 with the standard DKE, the personal certificates it
// issues (RNOKPP as serialNumber TINUA-…, and as the DRFO subject directory attribute, as Ukrainian
// qualified CAs write it), its CRLs, and each person's private key as a Ukrainian key store
// (Key-6.dat: PBES2 with HMAC GOST 34.311 and GOST 28147 CFB). No independent DSTU signer is
// installable from npm, so these are signed with the appliance's own DSTU code — whose verifier is
// pinned on jkurwa's real signatures and key store (test/unit/dstu.test.ts, key-files.test.ts).
import * as asn1js from "asn1js";
import { randomBytes } from "node:crypto";
import * as pkijs from "pkijs";
import { BinaryCurve, DEFAULT_DKE, NAMED, unpackDke } from "../../server/pki/gost/dstu4145.js";
import { gost28147CfbEncrypt, pbkdf2Gost34311 } from "../../server/pki/gost/gost28147.js";
import { gost94 } from "../../server/pki/gost/gost94.js";
import { bigIntToLe, leToBigInt, randomBelow } from "../../server/pki/gost/primeCurve.js";
import { caOrSignerExtensions, crlDistributionPoints } from "./gostPki.js";

const DSTU_KEY = "1.2.804.2.1.1.1.1.3.1.1";
const CURVE_6 = "1.2.804.2.1.1.1.1.3.1.1.2.6";
const curve = new BinaryCurve(NAMED[CURVE_6]);
const sbox = unpackDke(DEFAULT_DKE);
const size = Math.ceil(curve.params.n.toString(2).length / 8);
const ab = (b: Uint8Array) => b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

export interface DstuCertificate {
  der: Buffer;
  cert: pkijs.Certificate;
  subject: pkijs.RelativeDistinguishedNames;
  d: bigint;
}

const params = () =>
  new asn1js.Sequence({
    value: [new asn1js.ObjectIdentifier({ value: CURVE_6 }), new asn1js.OctetString({ valueHex: ab(DEFAULT_DKE) })],
  });

function dstuSign(d: bigint, data: Uint8Array): Uint8Array {
  const { r, s } = curve.sign(d, leToBigInt(gost94(data, sbox)));
  return new Uint8Array([...bigIntToLe(r, size), ...bigIntToLe(s, size)]);
}

function name(attrs: Array<[string, string]>) {
  return new pkijs.RelativeDistinguishedNames({
    typesAndValues: attrs.map(
      ([type, value]) =>
        new pkijs.AttributeTypeAndValue({
          type,
          value: type === "2.5.4.6" ? new asn1js.PrintableString({ value }) : new asn1js.Utf8String({ value }),
        }),
    ),
  });
}

let serial = 0x7a00;

function signTbs(target: pkijs.Certificate | pkijs.CertificateRevocationList, d: bigint) {
  const alg = new pkijs.AlgorithmIdentifier({ algorithmId: DSTU_KEY });
  target.signature = alg;
  target.signatureAlgorithm = alg;
  const tbs = new Uint8Array((target as unknown as { encodeTBS(): asn1js.Sequence }).encodeTBS().toBER(false));
  // Certificates and CRLs carry r ‖ s inside an OCTET STRING (as Ukrainian CAs write them).
  const wrapped = new asn1js.OctetString({ valueHex: ab(dstuSign(d, tbs)) }).toBER(false);
  target.signatureValue = new asn1js.BitString({ valueHex: wrapped });
}

export function dstuCertificate(
  o: {
    cn?: string;
    rnokpp?: string;
    issuer?: DstuCertificate;
    crlUrl?: string;
    notBefore?: Date;
    notAfter?: Date;
  } = {},
): DstuCertificate {
  const d = randomBelow(curve.params.n);
  const isCa = !o.issuer;
  const attrs: Array<[string, string]> = [["2.5.4.3", o.cn ?? (isCa ? "Qujat DSTU Test CA" : "DSTU Test Person")]];
  if (o.rnokpp) attrs.push(["2.5.4.5", `TINUA-${o.rnokpp}`]);
  attrs.push(["2.5.4.6", "UA"]);
  const subject = name(attrs);
  const cert = new pkijs.Certificate();
  cert.version = 2;
  cert.serialNumber = new asn1js.Integer({ value: ++serial });
  cert.issuer = o.issuer ? o.issuer.subject : subject;
  cert.subject = subject;
  cert.notBefore.value = o.notBefore ?? new Date(Date.now() - 24 * 3600e3);
  cert.notAfter.value = o.notAfter ?? new Date(Date.now() + 365 * 24 * 3600e3);
  const compressed = curve.compress(curve.publicKey(d));
  cert.subjectPublicKeyInfo = new pkijs.PublicKeyInfo({
    algorithm: new pkijs.AlgorithmIdentifier({ algorithmId: DSTU_KEY, algorithmParams: params() }),
    subjectPublicKey: new asn1js.BitString({
      valueHex: new asn1js.OctetString({ valueHex: ab(bigIntToLe(compressed, Math.ceil(257 / 8))) }).toBER(false),
    }),
  });
  const extensions = caOrSignerExtensions(isCa);
  if (o.rnokpp)
    extensions.push(
      new pkijs.Extension({
        extnID: "2.5.29.9",
        extnValue: new asn1js.Sequence({
          value: [
            new asn1js.Sequence({
              value: [
                new asn1js.ObjectIdentifier({ value: "1.2.804.2.1.1.1.11.1.4.1.1" }),
                new asn1js.Set({ value: [new asn1js.PrintableString({ value: o.rnokpp })] }),
              ],
            }),
          ],
        }).toBER(false),
      }),
    );
  if (o.crlUrl) extensions.push(crlDistributionPoints(o.crlUrl));
  cert.extensions = extensions;
  signTbs(cert, o.issuer?.d ?? d);
  const der = Buffer.from(cert.toSchema(true).toBER(false));
  return { der, cert: new pkijs.Certificate({ schema: asn1js.fromBER(new Uint8Array(der)).result }), subject, d };
}

export function dstuCrl(ca: DstuCertificate, o: { thisUpdate: Date; nextUpdate: Date }): Buffer {
  const crl = new pkijs.CertificateRevocationList();
  crl.version = 1;
  crl.issuer = ca.subject;
  crl.thisUpdate = new pkijs.Time({ type: 0, value: o.thisUpdate });
  crl.nextUpdate = new pkijs.Time({ type: 0, value: o.nextUpdate });
  signTbs(crl, ca.d);
  return Buffer.from(crl.toSchema(true).toBER(false));
}

/** The person's key as a Ukrainian key store (Key-6.dat): EncryptedPrivateKeyInfo, PBES2 GOST. */
export function dstuKeyStore(person: DstuCertificate, password: string): Buffer {
  const key = new asn1js.Sequence({
    value: [
      new asn1js.Integer({ value: 0 }),
      new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: DSTU_KEY }), params()] }),
      new asn1js.OctetString({ valueHex: ab(bigIntToLe(person.d, 32)) }),
    ],
  }).toBER(false);
  const salt = randomBytes(32);
  const iv = randomBytes(8);
  const k = pbkdf2Gost34311(Buffer.from(password), salt, 10_000, sbox);
  const body = gost28147CfbEncrypt(k, sbox, iv, new Uint8Array(key));
  const oid = (value: string) => new asn1js.ObjectIdentifier({ value });
  const store = new asn1js.Sequence({
    value: [
      new asn1js.Sequence({
        value: [
          oid("1.2.840.113549.1.5.13"),
          new asn1js.Sequence({
            value: [
              new asn1js.Sequence({
                value: [
                  oid("1.2.840.113549.1.5.12"),
                  new asn1js.Sequence({
                    value: [
                      new asn1js.OctetString({ valueHex: ab(salt) }),
                      new asn1js.Integer({ value: 10_000 }),
                      new asn1js.Sequence({ value: [oid("1.2.804.2.1.1.1.1.1.2"), new asn1js.Null()] }),
                    ],
                  }),
                ],
              }),
              new asn1js.Sequence({
                value: [
                  oid("1.2.804.2.1.1.1.1.1.1.3"),
                  new asn1js.Sequence({
                    value: [
                      new asn1js.OctetString({ valueHex: ab(iv) }),
                      new asn1js.OctetString({ valueHex: ab(DEFAULT_DKE) }),
                    ],
                  }),
                ],
              }),
            ],
          }),
        ],
      }),
      new asn1js.OctetString({ valueHex: ab(body) }),
    ],
  });
  return Buffer.from(store.toBER(false));
}
