import { css } from "lit";

export const styles = css`
  :host { display: block; font-family: system-ui, sans-serif; color: #1b1f24; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; }
  h1 { font-size: 1.5rem; }
  form { display: grid; gap: 0.75rem; }
  label { display: grid; gap: 0.25rem; font-weight: 500; }
  input { font: inherit; padding: 0.5rem; border: 1px solid #8c959f; border-radius: 4px; }
  button { font: inherit; padding: 0.5rem 1rem; border: 0; border-radius: 4px; background: #0b5cad; color: white; cursor: pointer; justify-self: start; }
  button:focus-visible, input:focus-visible { outline: 3px solid #f0b400; outline-offset: 1px; }
  .error { color: #b42318; }
  code { background: #f3f4f6; padding: 0.1rem 0.3rem; word-break: break-all; }
  ul.codes { columns: 2; font-family: monospace; }
`;
