// Modules the console's build makes (console/rollup.config.mjs).
declare module "virtual:pdf-worker-url" {
  /** the same-origin URL of PDF.js's worker, content-hashed */
  const url: string;
  export default url;
}
