// Names people read (SPEC R1.1, R2.3): an organization's, a person's, a document's title. Control
// characters never belong in them (a NUL ends the name in C-based tools, and the printed protocol
// and PDFs cannot show them), and a name that is nothing but invisible characters — spaces,
// zero-width joiners, byte-order marks — names nothing.
import { z } from "zod";

// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Characters that take no room: whitespace, zero-width spaces and joiners, word joiners, BOM, soft hyphen. */
const INVISIBLE = /[\s\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u206a-\u206f\ufeff]/gu;

/** Whether a person could see the text: something is left once invisible characters are removed. */
export const hasVisibleText = (s: string) => s.replace(INVISIBLE, "").length > 0;

/** A one-line name of at most `max` characters, trimmed, with something visible and no control character. */
export const displayName = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((s) => !CONTROL.test(s), "must not contain control characters")
    .refine(hasVisibleText, "must contain visible characters");

/**
 * A name as search compares it: Unicode-normalized (NFKC), lower case in every script (Cyrillic
 * and Kazakh letters too, which SQLite's lower() leaves alone), ё as е, without the quotes
 * company names carry («Ромашка», "Romashka") and with runs of spaces made one. Stored beside the
 * name (organizations.search_name) and applied to what is typed, so both databases match alike.
 */
export function searchFold(s: string): string {
  return s
    .normalize("NFKC")
    .toLowerCase()
    .replace(/ё/g, "е")
    .replace(/[«»"'“”„‘’`]/g, "")
    .replace(/\s+/g, " ")
    .trim();
}
