// Request ids, access logs, metrics, security headers and JSON body parsing. Request id, metrics
// and security headers are one middleware: one promise less per request than three.
import { randomUUID } from "node:crypto";
import type { Context, Next } from "koa";
import client from "prom-client";
import type { AppDeps, HttpMetrics } from "../../deps.js";

export type { HttpMetrics };
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from "../../errors.js";

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

export function requestContext(deps: AppDeps, metrics: HttpMetrics) {
  const page = pageHeaders(deps.config.signing.ncalayerUrl);
  return async (ctx: Context, next: Next) => {
    const incoming = ctx.get("x-request-id");
    ctx.state.requestId = REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.set("X-Request-Id", ctx.state.requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
      securityHeaders(ctx, page); // every response, errors included (the error middleware is inside)
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = (ctx as any)._matchedRoute ?? (ctx.status === 404 ? "unmatched" : "static");
      metrics.record(ctx.method, route, ctx.status, seconds);
      if (deps.logger.isLevelEnabled("info")) {
        deps.logger.info(
          {
            requestId: ctx.state.requestId,
            method: ctx.method,
            path: ctx.path,
            status: ctx.status,
            ms: Math.round(seconds * 1000),
            actor: ctx.state.actor?.id ?? null,
          },
          "request",
        );
      }
    }
  };
}

export function createMetrics(): HttpMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: "qujat_" });
  const requests = new client.Counter({
    name: "qujat_http_requests_total",
    help: "HTTP requests",
    labelNames: ["method", "route", "status"],
    registers: [registry],
  });
  const duration = new client.Histogram({
    name: "qujat_http_request_duration_seconds",
    help: "HTTP request duration",
    labelNames: ["method", "route"],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
    registers: [registry],
  });
  // Labelled children looked up once per label set: prom-client hashes the label object on every call otherwise.
  const counters = new Map<string, client.Counter.Internal>();
  const histograms = new Map<string, client.Histogram.Internal<"method" | "route">>();
  return {
    registry,
    record(method, route, status, seconds) {
      const key = `${method} ${route}`;
      const counterKey = `${key} ${status}`;
      let c = counters.get(counterKey);
      if (!c) counters.set(counterKey, (c = requests.labels(method, route, String(status))));
      let h = histograms.get(key);
      if (!h) histograms.set(key, (h = duration.labels(method, route)));
      c.inc();
      h.observe(seconds);
    },
  };
}

// Pages (the console) get the full browser set; API responses the set OWASP's REST cheat sheet
// names for JSON: nothing in them may run, be framed, sniffed, cached or read cross-origin.
const pageHeaders = (ncalayerUrl: string) =>
  new Map([
    ["X-Content-Type-Options", "nosniff"],
    ["X-Frame-Options", "DENY"],
    ["Referrer-Policy", "no-referrer"],
    ["Cross-Origin-Opener-Policy", "same-origin"],
    ["Cross-Origin-Resource-Policy", "same-origin"],
    ["Permissions-Policy", "camera=(), microphone=(), geolocation=()"],
    [
      "Content-Security-Policy",
      // connect-src: the console talks to its own API and to NCALayer on the signer's machine, whose
      // client also asks KAZTOKEN desktop's local HTTP API whether it runs (SPEC R3.4).
      `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self' ${new URL(ncalayerUrl).origin.replace(/^http/, "ws")} https://127.0.0.1:24680; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'`,
    ],
  ]);
const API_HEADERS = new Map([
  ["X-Content-Type-Options", "nosniff"],
  ["X-Frame-Options", "DENY"],
  ["Cross-Origin-Resource-Policy", "same-origin"],
  ["Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'"],
]);

/** The security headers of a response (applied by requestContext once the response is made). */
function securityHeaders(ctx: Context, page: Map<string, string>) {
  if (ctx.res.headersSent) return;
  const api = ctx.path.startsWith("/api/");
  ctx.res.setHeaders(api ? API_HEADERS : page);
  if (api && !ctx.res.hasHeader("Cache-Control")) ctx.res.setHeader("Cache-Control", "no-store");
  if (ctx.secure) ctx.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
}

/** JSON bodies (multipart uploads are left to their route, which streams them); over the limit → 413, nothing read further. */
const BINARY_TYPES = ["application/timestamp-query"];

const WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export function jsonBody(limitBytes: number) {
  // A plain function for the common case (no body: pass on), so a GET costs no extra promise.
  return (ctx: Context, next: Next) => {
    if (!WITH_BODY.has(ctx.method)) return next();
    const length = Number(ctx.get("content-length") || 0);
    const hasBody = length > 0 || Boolean(ctx.get("transfer-encoding"));
    if (!hasBody) return next();
    return readBody(ctx, next, length, limitBytes);
  };
}

async function readBody(ctx: Context, next: Next, length: number, limitBytes: number) {
  if (ctx.is("multipart/form-data")) return next(); // streamed by the route that accepts uploads
  // Binary protocol bodies (an RFC 3161 request to the internal TSA) arrive as a Buffer.
  const binary = Boolean(ctx.is(BINARY_TYPES));
  if (!binary && !ctx.is("application/json"))
    throw new UnsupportedMediaTypeError("unsupported_media_type", "Send application/json");
  if (length > limitBytes)
    throw new PayloadTooLargeError("payload_too_large", `The body exceeds ${limitBytes} bytes`, { limit: limitBytes });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += chunk.length;
    if (size > limitBytes)
      throw new PayloadTooLargeError("payload_too_large", `The body exceeds ${limitBytes} bytes`, {
        limit: limitBytes,
      });
    chunks.push(chunk as Buffer);
  }
  if (binary) {
    (ctx.request as any).body = Buffer.concat(chunks);
    return next();
  }
  const text = Buffer.concat(chunks).toString("utf8");
  try {
    (ctx.request as any).body = text.length ? JSON.parse(text) : {};
  } catch {
    throw new ValidationError("invalid_json", "The body is not valid JSON");
  }
  return next();
}
