// Bundles the Lit console into console/dist with content-hashed file names and writes index.html
// pointing at them (no inline script, so the strict CSP holds).
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import commonjs from "@rollup/plugin-commonjs";
import { nodeResolve } from "@rollup/plugin-node-resolve";
import esbuild from "rollup-plugin-esbuild";

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, "dist");

function htmlEntry() {
  return {
    name: "html-entry",
    buildStart() {
      rmSync(dist, { recursive: true, force: true });
    },
    writeBundle(_opts, bundle) {
      const entry = Object.values(bundle).find((c) => c.type === "chunk" && c.isEntry);
      const html = readFileSync(path.join(here, "index.html"), "utf8").replace(
        "<!--entry-->",
        `<script type="module" src="/${entry.fileName}"></script>`,
      );
      mkdirSync(dist, { recursive: true });
      writeFileSync(path.join(dist, "index.html"), html);
    },
  };
}

/**
 * PDF.js renders in a worker of its own: its file is copied into assets under a content-hashed
 * name (same origin, so `script-src 'self'` covers it), and `virtual:pdf-worker-url` gives the
 * preview that name. Nothing of PDF.js is in the first load: the preview imports it when shown.
 */
function pdfWorker() {
  const file = createRequire(import.meta.url).resolve("pdfjs-dist/build/pdf.worker.min.mjs");
  const source = readFileSync(file);
  const name = `assets/pdf.worker-${createHash("sha256").update(source).digest("hex").slice(0, 8)}.js`;
  const id = "virtual:pdf-worker-url";
  return {
    name: "pdf-worker",
    resolveId: (spec) => (spec === id ? "\0" + id : null),
    load: (spec) => (spec === "\0" + id ? `export default ${JSON.stringify("/" + name)};` : null),
    writeBundle() {
      mkdirSync(path.join(dist, "assets"), { recursive: true });
      writeFileSync(path.join(dist, name), source);
    },
  };
}

export default {
  input: path.join(here, "src/main.ts"),
  output: {
    dir: dist,
    format: "es",
    entryFileNames: "assets/[name]-[hash].js",
    chunkFileNames: "assets/[name]-[hash].js",
  },
  plugins: [
    pdfWorker(),
    nodeResolve({ browser: true }),
    // ncalayer-js-client is a CommonJS file; its require("ws") runs only where there is no WebSocket.
    commonjs({ ignore: ["ws"] }),
    esbuild({ target: "es2022", minify: true, tsconfig: path.join(here, "tsconfig.json") }),
    htmlEntry(),
  ],
};
