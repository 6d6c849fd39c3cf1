// Form fields the screens share.
import { html, noChange } from "lit";
import { ifDefined } from "lit/directives/if-defined.js";
import { live } from "lit/directives/live.js";
import { dayPlaceholder, dayText } from "../../i18n/i18n.js";

/**
 * A day, typed in the reader's own format (the browser's date picker follows its locale instead):
 * its example in his letters, a prefilled day shown his way; `formValues` and `dayFields` read it
 * back as YYYY-MM-DD. The value is the field's default (an attribute), so a reset restores it and
 * a re-render never overwrites what the person typed — unless `follow`: then the field shows the
 * value whenever it changes (a filter that follows the URL's back and forward).
 */
export function dayField(
  label: string,
  name: string,
  o: { required?: boolean; value?: string | null; follow?: boolean } = {},
) {
  return html`<label
    >${label}
    <input
      name=${name}
      data-day
      inputmode="numeric"
      autocomplete="off"
      placeholder=${dayPlaceholder()}
      ?required=${o.required ?? false}
      value=${ifDefined(!o.follow && o.value ? dayText(o.value) : undefined)}
      .value=${o.follow ? live(dayText(o.value)) : noChange}
  /></label>`;
}
