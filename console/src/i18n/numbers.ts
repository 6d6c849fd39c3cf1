// Amounts and dates as people write and read them (SPEC R6.3, the person's language): a Kazakh,
// Russian or Ukrainian accountant types 120 000,50 and reads 120 000,50; an English reader types
// 120,000.50. What is typed is parsed into the API's decimal string ("120000.50"); what the API
// sends is printed with the language's separators. Explicit patterns, not Intl alone: browsers'
// locale data for Kazakh is missing or wrong in places (dates came out as "2026 M12 7").
import type { Lang } from "./i18n.js";

/** Thousands separators people type: spaces of every width, and the apostrophe some use. */
const GROUPING = /[\s\u00a0\u2007\u2009\u202f'’]/g;

interface Habit {
  decimal: string;
  group: string;
  /** day, month, year: the order and the separator of a date */
  date: (d: string, m: string, y: string) => string;
}

const HABITS: Record<Lang, Habit> = {
  ru: { decimal: ",", group: "\u00a0", date: (d, m, y) => `${d}.${m}.${y}` },
  kk: { decimal: ",", group: "\u00a0", date: (d, m, y) => `${d}.${m}.${y}` },
  uk: { decimal: ",", group: "\u00a0", date: (d, m, y) => `${d}.${m}.${y}` },
  en: { decimal: ".", group: ",", date: (d, m, y) => `${d}/${m}/${y}` },
};

/**
 * The decimal a person typed, as the API's plain decimal string ("-1234.5"), or null when it is
 * not a number with at most `fraction` decimals. A comma or a point is the decimal separator;
 * spaces (and in English, commas) group thousands. When both appear, the last one is the decimal
 * separator. A lone comma followed by exactly three digits is a thousands separator in English and
 * a decimal one elsewhere.
 */
export function parseDecimal(text: string, fraction: number, lang: Lang): string | null {
  let s = text.trim().replace(GROUPING, "").replace(/^−/, "-");
  if (!/^-?[\d.,]+$/.test(s)) return null;
  const lastComma = s.lastIndexOf(",");
  const lastPoint = s.lastIndexOf(".");
  if (lastComma >= 0 && lastPoint >= 0) {
    const decimal = lastComma > lastPoint ? "," : ".";
    const group = decimal === "," ? "." : ",";
    s = s.split(group).join("");
    if (s.split(decimal).length > 2) return null;
    s = s.replace(decimal, ".");
  } else if (lastComma >= 0) {
    const parts = s.split(",");
    const grouped =
      parts.length > 2 || (lang === "en" && parts[1].length === 3 && parts.slice(1).every((p) => p.length === 3));
    if (grouped) {
      if (!parts.slice(1).every((p) => p.length === 3)) return null;
      s = parts.join("");
    } else s = parts.join(".");
  } else if (s.split(".").length > 2) {
    // 1.234.567: points as thousands separators (as some write in Ukraine)
    const parts = s.split(".");
    if (!parts.slice(1).every((p) => p.length === 3)) return null;
    s = parts.join("");
  }
  const m = /^(-?)(\d+)(?:\.(\d*))?$/.exec(s);
  if (!m) return null;
  const [, sign, whole, frac = ""] = m;
  if (frac.length > fraction) return null;
  const int = whole.replace(/^0+(?=\d)/, "");
  return `${sign}${int}${frac ? `.${frac}` : ""}`;
}

/** A decimal string ("1234567.5") with the language's separators and `fraction` decimals: "1 234 567,50". */
export function formatDecimal(value: string | number | null | undefined, lang: Lang, fraction = 2): string {
  if (value === null || value === undefined || value === "") return "—";
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(String(value).trim());
  if (!m) return String(value);
  const [, sign, whole, frac = ""] = m;
  const h = HABITS[lang];
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, h.group);
  const decimals = fraction > 0 ? h.decimal + frac.padEnd(fraction, "0").slice(0, Math.max(fraction, frac.length)) : "";
  return `${sign}${grouped}${decimals}`;
}

/** Minor units (as the API keeps money) printed as an amount: 1234550 → "12 345,50". */
export function formatMinor(minor: number | string | bigint, lang: Lang): string {
  if (!/^-?\d+$/.test(String(minor).trim())) return String(minor);
  const n = BigInt(String(minor).trim());
  const negative = n < 0n;
  const abs = negative ? -n : n;
  const text = `${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
  return (negative ? "-" : "") + formatDecimal(text, lang, 2);
}

/** A calendar day (YYYY-MM-DD, or an instant's UTC day) in the language's one date format. */
export function formatDayIn(iso: string, lang: Lang): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})/.exec(iso);
  if (!m) return iso;
  return HABITS[lang].date(m[3], m[2], m[1]);
}

/** An instant as the reader's local date and time, in the language's one date format, 24-hour clock. */
export function formatInstantIn(iso: string, lang: Lang, timeZone?: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  // Only the numbers are asked of Intl (with a zone); the pattern is ours.
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone,
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      hourCycle: "h23",
    })
      .formatToParts(d)
      .map((p) => [p.type, p.value]),
  );
  return `${HABITS[lang].date(parts.day, parts.month, parts.year)} ${parts.hour}:${parts.minute}`;
}

/** The letters a date field's example is written with, in each language (день/күн/день, месяц/ай/місяць, год/жыл/рік). */
const DATE_LETTERS: Record<Lang, [string, string, string]> = {
  ru: ["дд", "мм", "гггг"],
  kk: ["кк", "аа", "жжжж"],
  uk: ["дд", "мм", "рррр"],
  en: ["dd", "mm", "yyyy"],
};
/** What a date field shows as its example, in the language's format and letters. */
export const datePlaceholder = (lang: Lang) => HABITS[lang].date(...DATE_LETTERS[lang]);

/** A day typed in the language's format (or as YYYY-MM-DD) as YYYY-MM-DD, or null when it is no real day. */
export function parseDay(text: string, lang: Lang): string | null {
  const s = text.trim();
  let y: number, mo: number, d: number;
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(s);
  if (m) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else {
    m = /^(\d{1,2})[./-](\d{1,2})[./-](\d{4})$/.exec(s);
    if (!m) return null;
    // Every supported language writes the day first (en is en-GB: dd/mm/yyyy).
    void lang;
    [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return null;
  return `${String(y).padStart(4, "0")}-${String(mo).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}
