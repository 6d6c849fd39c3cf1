// Minimal DER for the signing code in the browser: read a tree of elements, write TLVs. Enough for
// certificates, PKCS#8, PKCS#12 and CMS; nothing here is Node's.

export interface El {
  tag: number;
  /** where the value starts and ends in `der` */
  start: number;
  end: number;
  /** the whole element */
  whole: Uint8Array;
  der: Uint8Array;
}

export class DerError extends Error {}

export function element(der: Uint8Array, at = 0): El {
  if (at + 2 > der.length) throw new DerError("truncated DER");
  const tag = der[at];
  let len = der[at + 1];
  let start = at + 2;
  if (len & 0x80) {
    const k = len & 0x7f;
    if (k === 0 || k > 4) throw new DerError("unsupported DER length");
    len = 0;
    for (let i = 0; i < k; i++) len = len * 256 + der[start + i];
    start += k;
  }
  if (start + len > der.length) throw new DerError("truncated DER");
  return { tag, start, end: start + len, whole: der.subarray(at, start + len), der };
}

export function children(el: El): El[] {
  const out: El[] = [];
  for (let at = el.start; at < el.end;) {
    const c = element(el.der, at);
    out.push(c);
    at = c.end;
  }
  return out;
}

export const value = (el: El) => el.der.subarray(el.start, el.end);

/** The one element that `der` must be whole (trailing bytes refused). */
export function parse(der: Uint8Array): El {
  const el = element(der, 0);
  if (el.end !== der.length) throw new DerError("trailing bytes after DER");
  return el;
}

export function oidText(el: El): string {
  if (el.tag !== 0x06) throw new DerError("not an OBJECT IDENTIFIER");
  const b = value(el);
  const out = [Math.floor(b[0] / 40), b[0] % 40];
  let n = 0;
  for (let i = 1; i < b.length; i++) {
    n = n * 128 + (b[i] & 0x7f);
    if (!(b[i] & 0x80)) {
      out.push(n);
      n = 0;
    }
  }
  return out.join(".");
}

export const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

export function tlv(tag: number, ...parts: Uint8Array[]) {
  const body = concat(...parts);
  const n = body.length;
  const len: number[] = [];
  if (n < 0x80) len.push(n);
  else {
    for (let v = n; v > 0; v = Math.floor(v / 256)) len.unshift(v & 0xff);
    len.unshift(0x80 | len.length);
  }
  return concat(new Uint8Array([tag, ...len]), body);
}
export const seq = (...p: Uint8Array[]) => tlv(0x30, ...p);
export const set = (...p: Uint8Array[]) => tlv(0x31, ...p);
export const octets = (b: Uint8Array) => tlv(0x04, b);
export const NULL = new Uint8Array([0x05, 0x00]);

export function oid(dotted: string) {
  const [a, b, ...rest] = dotted.split(".").map(Number);
  const out = [40 * a + b];
  for (const n of rest) {
    const parts = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) parts.unshift((v & 0x7f) | 0x80);
    out.push(...parts);
  }
  return tlv(0x06, new Uint8Array(out));
}

/** An unsigned big-endian integer as DER INTEGER (leading zeros dropped, a zero added before a high bit). */
export function integer(bytes: Uint8Array) {
  let i = 0;
  while (i < bytes.length - 1 && bytes[i] === 0) i++;
  const v = bytes.subarray(i);
  return tlv(0x02, v[0] & 0x80 ? concat(new Uint8Array([0]), v) : v);
}

export function intValue(el: El): bigint {
  if (el.tag !== 0x02) throw new DerError("not an INTEGER");
  let v = 0n;
  for (const b of value(el)) v = (v << 8n) | BigInt(b);
  return v;
}

export function compareBytes(a: Uint8Array, b: Uint8Array) {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
  return a.length - b.length;
}
export const sameBytes = (a: Uint8Array, b: Uint8Array) => compareBytes(a, b) === 0;

export function pemBlocks(text: string, label: string): Uint8Array[] {
  return [...text.matchAll(new RegExp(`-----BEGIN ${label}-----([^-]+)-----END ${label}-----`, "g"))].map((m) =>
    Uint8Array.from(atob(m[1].replace(/\s+/g, "")), (c) => c.charCodeAt(0)),
  );
}
