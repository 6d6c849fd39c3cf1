// Serves the built console (console/dist): hashed assets are immutable, index.html is never cached
// and is the fallback for the console's client-side routes.
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { Context, Next } from "koa";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".html": "text/html; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
  ".map": "application/json",
};

export function consoleStatic(distDir: string) {
  const indexFile = path.join(distDir, "index.html");
  // A plain function for API requests (pass on), so they cost no extra promise here.
  return (ctx: Context, next: Next) => {
    if ((ctx.method !== "GET" && ctx.method !== "HEAD") || ctx.path.startsWith("/api/")) return next();
    return serve(ctx, next);
  };
  async function serve(ctx: Context, next: Next) {
    const rel = path.normalize(decodeURIComponent(ctx.path)).replace(/^([/\\])+/, "");
    const file = path.join(distDir, rel);
    if (rel && file.startsWith(distDir + path.sep) && rel.startsWith("assets")) {
      const st = await stat(file).catch(() => null);
      if (!st?.isFile()) return next();
      ctx.type = TYPES[path.extname(file)] ?? "application/octet-stream";
      ctx.set("Cache-Control", "public, max-age=31536000, immutable");
      ctx.body = await readFile(file);
      return;
    }
    await next();
    if (ctx.status !== 404 || ctx.body !== undefined) return;
    if (rel.includes(".") && rel !== "") return; // a missing file, not a console route
    const html = await readFile(indexFile).catch(() => null);
    if (!html) return;
    ctx.status = 200;
    ctx.type = TYPES[".html"];
    ctx.set("Cache-Control", "no-cache");
    ctx.body = html;
  }
}
