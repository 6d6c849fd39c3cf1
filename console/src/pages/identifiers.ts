// A participant's or a person's national identifier as typed: its length says which it is (SPEC R1.1)
// — a BIN or IIN has 12 digits, an EDRPOU 8, an RNOKPP 10 — so forms take one field, not three.

export type PartyIdentifier = { bin: string } | { edrpou: string } | { rnokpp: string } | Record<string, never>;

export function identifierOf(code: string | undefined): PartyIdentifier {
  const v = (code ?? "").replace(/\s+/g, "");
  if (/^\d{8}$/.test(v)) return { edrpou: v };
  if (/^\d{10}$/.test(v)) return { rnokpp: v };
  if (/^\d{12}$/.test(v)) return { bin: v };
  return {};
}

/** A person's own number: an IIN (12 digits) or an RNOKPP (10). */
export function personIdentifierOf(
  code: string | undefined,
): { iin: string } | { rnokpp: string } | Record<string, never> {
  const v = (code ?? "").replace(/\s+/g, "");
  if (/^\d{12}$/.test(v)) return { iin: v };
  if (/^\d{10}$/.test(v)) return { rnokpp: v };
  return {};
}

export const IDENTIFIER_PATTERN = "\\d{8}|\\d{10}|\\d{12}";
