// Request ids, access logs, metrics, security headers and JSON body parsing.
import { randomUUID } from "node:crypto";
import type { Context, Next } from "koa";
import client from "prom-client";
import type { AppDeps } from "../../app.js";
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from "../../errors.js";

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

export function requestContext(deps: AppDeps, metrics: HttpMetrics) {
  return async (ctx: Context, next: Next) => {
    const incoming = ctx.get("x-request-id");
    ctx.state.requestId = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.set("X-Request-Id", ctx.state.requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (ctx as any)._matchedRoute ?? (ctx.status === 404 ? "unmatched" : "static");
      metrics.requests.inc({ method: ctx.method, route, status: String(ctx.status) });
      metrics.duration.observe({ method: ctx.method, route }, seconds);
      if (deps.logger.isLevelEnabled("info")) {
        deps.logger.info({ requestId: ctx.state.requestId, method: ctx.method, path: ctx.path, status: ctx.status, ms: Math.round(seconds * 1000), actor: ctx.state.actor?.id ?? null }, "request");
      }
    }
  };
}

export interface HttpMetrics {
  registry: client.Registry;
  requests: client.Counter<"method" | "route" | "status">;
  duration: client.Histogram<"method" | "route">;
}

export function createMetrics(): HttpMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "qujat_" });
  return {
    registry,
    requests: new client.Counter({ name: "qujat_http_requests_total", help: "HTTP requests", labelNames: ["method", "route", "status"], registers: [registry] }),
    duration: new client.Histogram({ name: "qujat_http_request_duration_seconds", help: "HTTP request duration", labelNames: ["method", "route"],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers: [registry] }),
  };
}

export function securityHeaders() {
  return async (ctx: Context, next: Next) => {
    await next();
    ctx.set("X-Content-Type-Options", "nosniff");
    ctx.set("X-Frame-Options", "DENY");
    ctx.set("Referrer-Policy", "no-referrer");
    ctx.set("Cross-Origin-Opener-Policy", "same-origin");
    ctx.set("Cross-Origin-Resource-Policy", "same-origin");
    ctx.set("Permissions-Policy", "camera=(), microphone=(), geolocation=()");
    ctx.set("Content-Security-Policy", "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
    if (ctx.secure) ctx.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
    if (ctx.path.startsWith("/api/")) ctx.set("Cache-Control", "no-store");
  };
}

/** JSON bodies only (uploads come with the documents issue); over the limit → 413, nothing read further. */
export function jsonBody(limitBytes: number) {
  return async (ctx: Context, next: Next) => {
    if (!["POST", "PUT", "PATCH", "DELETE"].includes(ctx.method)) return next();
    const length = Number(ctx.get("content-length") || 0);
    const hasBody = length > 0 || Boolean(ctx.get("transfer-encoding"));
    if (!hasBody) return next();
    if (!ctx.is("application/json")) throw new UnsupportedMediaTypeError("unsupported_media_type", "Send application/json");
    if (length > limitBytes) throw new PayloadTooLargeError("payload_too_large", `The body exceeds ${limitBytes} bytes`, { limit: limitBytes });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of ctx.req) {
      size += chunk.length;
      if (size > limitBytes) throw new PayloadTooLargeError("payload_too_large", `The body exceeds ${limitBytes} bytes`, { limit: limitBytes });
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    try {
      (ctx.request as any).body = text.length ? JSON.parse(text) : {};
    } catch {
      throw new ValidationError("invalid_json", "The body is not valid JSON");
    }
    return next();
  };
}
