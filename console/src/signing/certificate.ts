// What the signing code needs of a certificate, read in the browser: who it names, its key, its
// purpose and validity — to match a key to its certificate, to say which one to pick, and to refuse
// a wrong or expired one before anything is sent (SPEC R3.2).
import { children, element, oidText, parse, value, type El } from "./der.js";

export interface CertificateSummary {
  der: Uint8Array;
  /** the issuer Name and serialNumber INTEGER, whole, as a CMS signer identifier carries them */
  issuer: Uint8Array;
  serial: Uint8Array;
  commonName: string;
  /** IIN (KZ) or DRFO/RNOKPP (UA) of the person, BIN or EDRPOU of the organization, when named */
  iin: string | null;
  rnokpp: string | null;
  organizationId: string | null;
  notBefore: Date;
  notAfter: Date;
  /** the SubjectPublicKeyInfo: its algorithm OID, the whole parameters element, the key bits */
  keyAlgorithm: string;
  keyParams: El | null;
  publicKey: Uint8Array;
  purpose: "sign" | "auth" | "other";
}

const text = (el: El) => new TextDecoder().decode(value(el));

function time(el: El): Date {
  const s = text(el);
  const full = el.tag === 0x17 ? (Number(s.slice(0, 2)) < 50 ? "20" : "19") + s : s;
  return new Date(
    Date.UTC(
      +full.slice(0, 4),
      +full.slice(4, 6) - 1,
      +full.slice(6, 8),
      +full.slice(8, 10),
      +full.slice(10, 12),
      +full.slice(12, 14),
    ),
  );
}

const UA_DRFO = "1.2.804.2.1.1.1.11.1.4.1.1";
const UA_EDRPOU = "1.2.804.2.1.1.1.11.1.4.2.1";

export function readCertificate(der: Uint8Array): CertificateSummary {
  const cert = parse(der);
  const tbsFields = children(children(cert)[0]);
  const fields = tbsFields[0].tag === 0xa0 ? tbsFields.slice(1) : tbsFields;
  const [serial, , issuer, validity, subject, spki] = fields;
  const attrs: Array<[string, string]> = [];
  for (const rdn of children(subject))
    for (const atv of children(rdn)) {
      const [type, v] = children(atv);
      attrs.push([oidText(type), text(v)]);
    }
  const attr = (o: string) => attrs.filter(([t]) => t === o).map(([, v]) => v);
  const serials = attr("2.5.4.5");
  const ous = attr("2.5.4.11");
  const orgIds = attr("2.5.4.97");
  const prefixed = (list: string[], p: string) => list.find((v) => v.startsWith(p))?.slice(p.length) ?? null;
  const uaSerial = (n: number) =>
    serials.map((v) => new RegExp(`^UA-(\\d{${n}})(-|$)`).exec(v)?.[1]).find(Boolean) ?? null;
  let rnokpp = prefixed(serials, "TINUA-") ?? uaSerial(10);
  let edrpou = prefixed(orgIds, "NTRUA-") ?? uaSerial(8);
  const [alg, bits] = children(spki);
  const [algOid, params] = children(alg);
  const keyBits = value(bits).subarray(1);
  let keyUsage = 0;
  const eku: string[] = [];
  const policies: string[] = [];
  const ext = fields.find((f) => f.tag === 0xa3);
  if (ext)
    for (const e of children(children(ext)[0])) {
      const parts = children(e);
      const id = oidText(parts[0]);
      const inner = element(value(parts[parts.length - 1]));
      if (id === "2.5.29.15") keyUsage = value(inner)[1] ?? 0;
      if (id === "2.5.29.37") for (const o of children(inner)) eku.push(oidText(o));
      if (id === "2.5.29.32") for (const p of children(inner)) policies.push(oidText(children(p)[0]));
      if (id === "2.5.29.9")
        for (const a of children(inner)) {
          const [type, vals] = children(a);
          const v = children(vals)[0];
          if (oidText(type) === UA_DRFO) rnokpp ??= text(v);
          if (oidText(type) === UA_EDRPOU) edrpou ??= text(v);
        }
    }
  // keyUsage bit 1 (nonRepudiation) is 0x40 of the first byte; NCA's sign/auth policies say the same.
  const purpose =
    keyUsage & 0x40 || policies.includes("1.2.398.3.3.2.3")
      ? "sign"
      : eku.includes("1.3.6.1.5.5.7.3.2") || policies.includes("1.2.398.3.3.2.4")
        ? "auth"
        : keyUsage & 0x80 && !(keyUsage & 0x20)
          ? "sign"
          : "other";
  const [notBefore, notAfter] = children(validity).map(time);
  return {
    der,
    issuer: issuer.whole,
    serial: serial.whole,
    commonName: attr("2.5.4.3")[0] ?? attr("2.5.4.10")[0] ?? "",
    iin: prefixed(serials, "IIN"),
    rnokpp,
    organizationId: prefixed(ous, "BIN") ?? edrpou,
    notBefore,
    notAfter,
    keyAlgorithm: oidText(algOid),
    keyParams: params ?? null,
    publicKey: keyBits,
    purpose,
  };
}
