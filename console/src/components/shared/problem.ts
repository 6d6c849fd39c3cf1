// How an API problem is shown: its title, its detail, and each field error beside its field.
import { html, nothing } from "lit";
import { ApiError, type Problem } from "../../api/client.js";
import { en, type MessageKey } from "../../i18n/en.js";
import { dayFromText, language, t } from "../../i18n/i18n.js";

export function problemOf(e: unknown): Problem {
  if (e instanceof ApiError) return e.problem;
  return { status: 0, code: "client", title: "Error", detail: e instanceof Error ? e.message : String(e) };
}

const has = (key: string): key is MessageKey => key in en;

/** A problem's members as a sentence's parameters: lists joined, states in the reader's words. */
function paramsOf(p: Problem): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(p)) {
    if (typeof v === "number") out[k] = v;
    else if (typeof v === "string") out[k] = k === "state" && has(`status.${v}`) ? t(`status.${v}` as MessageKey) : v;
    else if (Array.isArray(v) && v.every((x) => typeof x === "string")) out[k] = v.join(", ");
  }
  return out;
}

/**
 * What the problem means, in the reader's language: the console's sentence for its code. In
 * English the server's own detail is shown instead — the same language, and it names specifics.
 */
export function problemText(p: Problem): string {
  const key = `problem.${p.code}`;
  if (language() === "en" || !has(key)) return p.detail;
  return t(key, paramsOf(p));
}

/** One field's error in the reader's language: by its code, else the server's words. */
export function fieldErrorText(x: { code?: string; message: string }): string {
  if (language() === "en" || !x.code) return x.message;
  for (const key of [`problem.${x.code}`, `issue.${x.code}`]) if (has(key)) return t(key);
  return x.message;
}

/** The problem as an alert block (role=alert, so a screen reader announces it). */
export function renderProblem(p: Problem | null | undefined) {
  if (!p) return nothing;
  // The server's HTTP title is English: the person reads its meaning in his language (by status).
  const key = `problem.status.${p.status}`;
  const title = has(key) ? t(key) : p.title;
  const detail = problemText(p);
  const min = typeof p.minLength === "number" ? p.minLength : 8;
  return html`<div class="problem" role="alert" data-code=${p.code}>
    <strong>${title}</strong>${detail ? html`: ${detail}` : nothing}
    ${
      p.rules?.length
        ? html`<p>${t("problem.rulesIntro")}</p>
            <ul>
              ${p.rules.map((r) => html`<li>${has(`rule.${r}`) ? t(`rule.${r}` as MessageKey, { min }) : r}</li>`)}
            </ul>`
        : nothing
    }
    ${
      p.errors?.length
        ? html`<ul>
            ${p.errors.map((x) => html`<li><code>${x.field}</code> ${fieldErrorText(x)}</li>`)}
          </ul>`
        : nothing
    }
  </div>`;
}

/** The error for one field (matched by name or by a path that starts with it), for aria-describedby. */
export function fieldError(p: Problem | null | undefined, field: string) {
  const hit = p?.errors?.find(
    (x) => x.field === field || x.field.startsWith(field + ".") || x.field.endsWith("." + field),
  );
  return hit ? html`<span class="error" id=${"err-" + field}>${fieldErrorText(hit)}</span>` : nothing;
}

/** The form whose values were just read, for the action that follows in the same handler. */
let submitted: HTMLFormElement | null = null;

/** The form submitted in this very handler, if any (screens reset it after a successful action). */
export function takeSubmittedForm(): HTMLFormElement | null {
  const f = submitted;
  submitted = null;
  return f;
}

/**
 * A form's day fields (inputs marked data-day, typed in the reader's own format — the browser's
 * date picker would follow its own locale instead) as YYYY-MM-DD; a text that is no real day is
 * passed on as typed, for the server to refuse with the field named.
 */
export function dayFields(form: HTMLFormElement): Map<string, string> {
  const out = new Map<string, string>();
  for (const input of form.querySelectorAll<HTMLInputElement>("input[data-day]")) {
    const text = input.value.trim();
    if (input.name && text) out.set(input.name, dayFromText(text) ?? text);
  }
  return out;
}

/** The form's fields as strings (empty ones left out; days as YYYY-MM-DD). */
export function formValues(e: Event): Record<string, string> {
  e.preventDefault();
  submitted = e.target instanceof HTMLFormElement ? e.target : null;
  queueMicrotask(() => (submitted = null)); // only an action started in this same handler takes it
  const out: Record<string, string> = {};
  for (const [k, v] of new FormData(e.target as HTMLFormElement))
    if (typeof v === "string" && v.trim() !== "") out[k] = v.trim();
  if (e.target instanceof HTMLFormElement) for (const [k, v] of dayFields(e.target)) out[k] = v;
  return out;
}
