// How an API problem is shown: its title, its detail, and each field error beside its field.
import { html, nothing } from "lit";
import { ApiError, type Problem } from "../../api/client.js";
import { en, type MessageKey } from "../../i18n/en.js";
import { t } from "../../i18n/i18n.js";

export function problemOf(e: unknown): Problem {
  if (e instanceof ApiError) return e.problem;
  return { status: 0, code: "client", title: "Error", detail: e instanceof Error ? e.message : String(e) };
}

/** The problem as an alert block (role=alert, so a screen reader announces it). */
export function renderProblem(p: Problem | null | undefined) {
  if (!p) return nothing;
  // The server's HTTP title is English: the person reads its meaning in his language (by status).
  const key = `problem.status.${p.status}`;
  const title = key in en ? t(key as MessageKey) : p.title;
  return html`<div class="problem" role="alert" data-code=${p.code}>
    <strong>${title}</strong>${p.detail ? html`: ${p.detail}` : nothing}
    ${
      p.rules?.length
        ? html`<ul>
            ${p.rules.map((r) => html`<li>${r}</li>`)}
          </ul>`
        : nothing
    }
    ${
      p.errors?.length
        ? html`<ul>
            ${p.errors.map((x) => html`<li><code>${x.field}</code> ${x.message}</li>`)}
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
  return hit ? html`<span class="error" id=${"err-" + field}>${hit.message}</span>` : nothing;
}

/** The form whose values were just read, for the action that follows in the same handler. */
let submitted: HTMLFormElement | null = null;

/** The form submitted in this very handler, if any (screens reset it after a successful action). */
export function takeSubmittedForm(): HTMLFormElement | null {
  const f = submitted;
  submitted = null;
  return f;
}

/** The form's fields as strings (empty ones left out). */
export function formValues(e: Event): Record<string, string> {
  e.preventDefault();
  submitted = e.target instanceof HTMLFormElement ? e.target : null;
  queueMicrotask(() => (submitted = null)); // only an action started in this same handler takes it
  const out: Record<string, string> = {};
  for (const [k, v] of new FormData(e.target as HTMLFormElement))
    if (typeof v === "string" && v.trim() !== "") out[k] = v.trim();
  return out;
}
