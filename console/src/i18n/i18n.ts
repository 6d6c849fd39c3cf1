// Console languages (ru, kk, uk, en). English is bundled and is the fallback for a missing key; the
// other three load on demand as their own chunks. The choice is remembered per user (PATCH /me
// language, which also picks the language of his e-mails) and, before sign-in, in localStorage.
import type { ReactiveController, ReactiveControllerHost } from "lit";
import { en, type MessageKey } from "./en.js";

import {
  datePlaceholder,
  formatDayIn,
  formatDecimal,
  formatInstantIn,
  formatMinor,
  parseDay,
  parseDecimal,
} from "./numbers.js";

export type Lang = "ru" | "kk" | "uk" | "en";
export const LANGUAGES: Array<{ code: Lang; name: string }> = [
  { code: "ru", name: "Русский" },
  { code: "kk", name: "Қазақша" },
  { code: "uk", name: "Українська" },
  { code: "en", name: "English" },
];
const loaders: Record<Exclude<Lang, "en">, () => Promise<{ messages: Record<MessageKey, string> }>> = {
  ru: () => import("./ru.js"),
  kk: () => import("./kk.js"),
  uk: () => import("./uk.js"),
};

let current: Record<MessageKey, string> = en;
let currentLang: Lang = "en";
export const LANGUAGE_EVENT = "qujat-language";

export const language = () => currentLang;
export const isLang = (v: unknown): v is Lang => v === "ru" || v === "kk" || v === "uk" || v === "en";

/** The language before sign-in: the last one chosen here, else the browser's, else Russian. */
export function initialLanguage(): Lang {
  const saved = localStorage.getItem("qujat.lang");
  if (isLang(saved)) return saved;
  const nav = navigator.language.slice(0, 2);
  return isLang(nav) ? nav : "ru";
}

export async function setLanguage(lang: Lang) {
  current = lang === "en" ? en : (await loaders[lang]()).messages;
  currentLang = lang;
  document.documentElement.lang = lang;
  localStorage.setItem("qujat.lang", lang);
  window.dispatchEvent(new Event(LANGUAGE_EVENT));
}

/** The message in the current language; `{name}` placeholders take `params`. */
export function t(key: MessageKey, params: Record<string, string | number> = {}): string {
  const text = current[key] ?? en[key];
  return text.replace(/\{(\w+)\}/g, (_, k: string) => (k in params ? String(params[k]) : `{${k}}`));
}

/** Re-renders its host when the language changes. */
export class LocaleController implements ReactiveController {
  private readonly update = () => this.host.requestUpdate();
  constructor(private readonly host: ReactiveControllerHost) {
    host.addController(this);
  }
  hostConnected() {
    window.addEventListener(LANGUAGE_EVENT, this.update);
  }
  hostDisconnected() {
    window.removeEventListener(LANGUAGE_EVENT, this.update);
  }
}

// One date format per language and the language's separators, by explicit patterns (numbers.ts):
// browsers' Kazakh locale data printed "2026 M12 7".
export const formatDate = (iso: string | null | undefined) => (iso ? formatInstantIn(iso, currentLang) : "—");
export const formatDay = (iso: string | null | undefined) => (iso ? formatDayIn(iso, currentLang) : "—");
/** A date field's example and its prefilled text, in the reader's own format (SPEC: one format per language). */
export const dayPlaceholder = () => datePlaceholder(currentLang);
export const dayText = (iso: string | null | undefined) => (iso ? formatDayIn(iso, currentLang) : "");
/** A day typed in the reader's format (or YYYY-MM-DD) as YYYY-MM-DD; null when it is no real day. */
export const dayFromText = (text: string) => parseDay(text, currentLang);
/** Money in minor units (as the API keeps it) with its currency. */
export const formatMoney = (minor: number | string | null | undefined, currency = "") =>
  minor === null || minor === undefined || minor === "" ? "—" : `${formatMinor(minor, currentLang)} ${currency}`.trim();
/** A decimal amount as the API writes it ("5000.00") in the reader's habits ("5 000,00"). */
export const formatAmount = (value: string | number | null | undefined, fraction = 2) =>
  formatDecimal(value, currentLang, fraction);
/** An amount the person typed in his habits, as the API takes it ("5 000,5" → "5000.5"); what is no amount goes as typed, for the server to refuse by name. */
export const amountInput = (typed: string, fraction = 2) => parseDecimal(typed, fraction, currentLang) ?? typed.trim();
export const formatBytes = (n: number | string | null | undefined) => {
  const v = Number(n ?? 0);
  if (v < 1024) return `${v} B`;
  const units = ["KB", "MB", "GB", "TB"];
  let x = v / 1024,
    i = 0;
  while (x >= 1024 && i < units.length - 1) {
    x /= 1024;
    i++;
  }
  return `${x.toFixed(1)} ${units[i]}`;
};

/** A state or choice the API sends as a word ("active", "issued", "destroy"), in the reader's language; an unknown one as it came. */
/** An audit action as a phrase in the reader's language (the server's code when the console has none). */
export function auditPhrase(action: string): string {
  const key = `audit.action.${action}`;
  return key in en ? t(key as MessageKey) : action;
}

export function enumLabel(value: string | null | undefined): string {
  if (!value) return "—";
  const key = `enum.${value}`;
  return key in en ? t(key as MessageKey) : value;
}
