// Styles every console component adopts: forms, buttons, tables, problems, focus rings. Colours
// keep a contrast of at least 4.5:1 (WCAG AA), checked by the axe run of the browser suite.
import { css } from "lit";

export const shared = css`
  :host {
    display: block;
    color: #1b1f24;
    font-family: system-ui, sans-serif;
  }
  h1 {
    font-size: 1.4rem;
    margin: 0 0 1rem;
  }
  h2 {
    font-size: 1.15rem;
    margin: 1.5rem 0 0.5rem;
  }
  h3 {
    font-size: 1rem;
    margin: 1rem 0 0.5rem;
  }
  form.grid {
    display: grid;
    gap: 0.75rem;
    max-width: 36rem;
  }
  form.inline,
  .row {
    display: flex;
    flex-wrap: wrap;
    gap: 0.5rem;
    align-items: end;
  }
  label {
    display: grid;
    gap: 0.25rem;
    font-weight: 500;
  }
  label.check {
    display: flex;
    gap: 0.5rem;
    align-items: center;
    font-weight: 400;
  }
  input,
  select,
  textarea {
    font: inherit;
    padding: 0.4rem 0.5rem;
    border: 1px solid #6e7781;
    border-radius: 4px;
    background: white;
    color: inherit;
  }
  textarea {
    min-height: 4rem;
  }
  button,
  a.button {
    font: inherit;
    padding: 0.45rem 0.9rem;
    border: 1px solid #0b5cad;
    border-radius: 4px;
    background: #0b5cad;
    color: white;
    cursor: pointer;
    text-decoration: none;
    display: inline-block;
  }
  button.secondary,
  a.button.secondary {
    background: white;
    color: #0b5cad;
  }
  button.danger {
    background: #b42318;
    border-color: #b42318;
  }
  button:disabled {
    opacity: 0.6;
    cursor: default;
  }
  :is(button, input, select, textarea, a, [tabindex]):focus-visible {
    outline: 3px solid #b37e00;
    outline-offset: 2px;
  }
  a {
    color: #0b5cad;
  }
  table {
    border-collapse: collapse;
    width: 100%;
  }
  th,
  td {
    text-align: left;
    padding: 0.4rem 0.5rem;
    border-bottom: 1px solid #d0d7de;
    vertical-align: top;
  }
  th {
    font-weight: 600;
    background: #f6f8fa;
  }
  .muted {
    color: #57606a;
  }
  .error,
  .problem {
    color: #b42318;
  }
  .ok {
    color: #1a7f37;
  }
  .badge {
    display: inline-block;
    padding: 0.05rem 0.45rem;
    border-radius: 999px;
    background: #eaeef2;
    font-size: 0.85rem;
  }
  .badge.bad {
    background: #ffebe9;
    color: #8c1d18;
  }
  .badge.good {
    background: #dafbe1;
    color: #116329;
  }
  /* A document's status: the word always, the colour only as a second cue (WCAG 1.4.1). */
  .badge.wait {
    background: #fff8c5;
    color: #6b4d00;
  }
  .badge.info {
    background: #ddf4ff;
    color: #0a4a8a;
  }
  .badge.quiet {
    background: #eaeef2;
    color: #57606a;
  }
  .card {
    border: 1px solid #d0d7de;
    border-radius: 6px;
    padding: 1rem;
    margin: 0 0 1rem;
  }
  code,
  .mono {
    font-family: ui-monospace, monospace;
    word-break: break-all;
  }
  dl.facts {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 0.25rem 1rem;
  }
  dl.facts dt {
    font-weight: 600;
  }
  dl.facts dd {
    margin: 0;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
    white-space: nowrap;
  }
  .tabs {
    display: flex;
    gap: 0.25rem;
    flex-wrap: wrap;
    margin-bottom: 1rem;
  }
  .tabs a {
    padding: 0.4rem 0.8rem;
    border-radius: 4px 4px 0 0;
    border-bottom: 3px solid transparent;
    text-decoration: none;
  }
  .tabs a[aria-current="page"] {
    border-bottom-color: #0b5cad;
    font-weight: 600;
  }
  progress {
    width: 100%;
  }
  @media (max-width: 800px) {
    form.grid {
      max-width: none;
    }
    table {
      font-size: 0.9rem;
    }
  }
  /* A list (table.cards, cells with data-label) becomes cards on a phone: each cell under its column's name. */
  @media (max-width: 600px) {
    table.cards,
    table.cards tbody,
    table.cards tr,
    table.cards td {
      display: block;
    }
    table.cards thead {
      position: absolute;
      width: 1px;
      height: 1px;
      overflow: hidden;
      clip: rect(0 0 0 0);
    }
    table.cards tbody tr {
      border: 1px solid #d0d7de;
      border-radius: 6px;
      padding: 0.5rem 0.75rem;
      margin-bottom: 0.6rem;
    }
    table.cards td {
      border: 0;
      padding: 0.15rem 0;
      display: grid;
      grid-template-columns: 7.5rem 1fr;
      gap: 0.5rem;
    }
    table.cards td[data-label]::before {
      content: attr(data-label);
      color: #57606a;
      font-size: 0.85rem;
    }
  }
`;
