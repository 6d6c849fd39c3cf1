// Form fields the screens share.
import { html } from "lit";
import { ifDefined } from "lit/directives/if-defined.js";
import { keyed } from "lit/directives/keyed.js";
import { dayPlaceholder, dayText } from "../../i18n/i18n.js";

/**
 * A day, typed in the reader's own format (the browser's date picker follows its locale instead):
 * its example in his letters, a prefilled day shown his way; `formValues` and `dayFields` read it
 * back as YYYY-MM-DD. The value is the field's default (an attribute), so a reset restores it and
 * a re-render (a count or a language chunk arriving) never overwrites what the person is typing.
 * With `follow`, the field is made anew whenever the value changes, so a filter follows the URL's
 * back and forward; a re-render with the same value still leaves the typing alone.
 */
export function dayField(
  label: string,
  name: string,
  o: { required?: boolean; value?: string | null; follow?: boolean } = {},
) {
  const input = html`<input
    name=${name}
    data-day
    inputmode="numeric"
    autocomplete="off"
    placeholder=${dayPlaceholder()}
    ?required=${o.required ?? false}
    value=${ifDefined(o.value ? dayText(o.value) : undefined)}
  />`;
  return html`<label>${label} ${o.follow ? keyed(o.value ?? "", input) : input}</label>`;
}
