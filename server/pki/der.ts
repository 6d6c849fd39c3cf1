// A minimal DER reader: tag, length and the byte ranges of an element, without building objects.
// Used where speed matters (the CMS fast path); anything it does not understand makes the caller
// fall back to the full parser, which reports what is wrong.

export interface Tlv {
  tag: number;
  /** offset of the tag byte */
  start: number;
  /** offset of the first content byte */
  body: number;
  /** offset just past the element */
  end: number;
}

export class DerError extends Error {}

export function tlvAt(buf: Buffer, offset: number, limit = buf.length): Tlv {
  if (offset + 2 > limit) throw new DerError("truncated");
  const tag = buf[offset];
  if ((tag & 0x1f) === 0x1f) throw new DerError("multi-byte tags are not expected here");
  let len = buf[offset + 1];
  let body = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || body + n > limit) throw new DerError("bad length");
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf[body + i];
    body += n;
  }
  const end = body + len;
  if (end > limit) throw new DerError("truncated");
  return { tag, start: offset, body, end };
}

/** The elements inside a constructed element. */
export function childrenOf(buf: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let at = parent.body; at < parent.end;) {
    const t = tlvAt(buf, at, parent.end);
    out.push(t);
    at = t.end;
  }
  return out;
}

export const bytesOf = (buf: Buffer, t: Tlv) => buf.subarray(t.start, t.end);
export const contentOf = (buf: Buffer, t: Tlv) => buf.subarray(t.body, t.end);

/** An OBJECT IDENTIFIER's dotted form. */
export function oidOf(buf: Buffer, t: Tlv): string {
  if (t.tag !== 0x06) throw new DerError("not an OID");
  const b = contentOf(buf, t);
  const parts: number[] = [];
  let v = 0;
  for (let i = 0; i < b.length; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if (!(b[i] & 0x80)) {
      if (parts.length === 0) parts.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else parts.push(v);
      v = 0;
    }
  }
  return parts.join(".");
}
