#!/usr/bin/env node
// Compiles the appliance for `make run`: server/main.ts, server/cli.ts and the blob store's worker
// thread (server/storage/blobWorker.ts), with every module of ours and every migration, into
// server/dist/*.mjs (packages stay in node_modules). Production then runs plain JavaScript: no
// TypeScript loader in memory, no transpiling at start.
import { build } from "esbuild";
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outdir = path.join(root, "server", "dist");
rmSync(outdir, { recursive: true, force: true });
await build({
  absWorkingDir: root,
  entryPoints: { main: "server/main.ts", cli: "server/cli.ts", blobWorker: "server/storage/blobWorker.ts" },
  outdir,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  format: "esm",
  platform: "node",
  target: "node20.19",
  packages: "external",
  sourcemap: "linked",
  logLevel: "warning",
});
