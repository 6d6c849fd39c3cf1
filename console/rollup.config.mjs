// Bundles the Lit console into console/dist with content-hashed file names and writes index.html
// pointing at them (no inline script, so the strict CSP holds).
import { readFileSync, writeFileSync, mkdirSync, rmSync } from "node:fs";
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

export default {
  input: path.join(here, "src/main.ts"),
  output: {
    dir: dist,
    format: "es",
    entryFileNames: "assets/[name]-[hash].js",
    chunkFileNames: "assets/[name]-[hash].js",
  },
  plugins: [
    nodeResolve({ browser: true }),
    // ncalayer-js-client is a CommonJS file; its require("ws") runs only where there is no WebSocket.
    commonjs({ ignore: ["ws"] }),
    esbuild({ target: "es2022", minify: true, tsconfig: path.join(here, "tsconfig.json") }),
    htmlEntry(),
  ],
};
