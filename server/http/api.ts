// Route registry: every route is declared once with its schemas, so the router and the OpenAPI
// document are built from the same list (a test keeps them equal).
import { Router } from "@koa/router";
import compose from "koa-compose";
import type { Context, Middleware } from "koa";
import { z } from "zod";
import type { AppDeps } from "../deps.js";
import { AccessDeniedError, UnsupportedMediaTypeError, ValidationError, notFound } from "../errors.js";
import type { Actor } from "../domain/identity/roles.js";
import type { CommandContext } from "../domain/context.js";
import type { Tx } from "../storage/db.js";
import { assertAuthenticated, type AuthMode } from "./middleware/auth.js";

export type Method = "get" | "post" | "patch" | "put" | "delete";

export interface State {
  requestId: string;
  actor: Actor;
  tx?: Tx;
  input: { body: any; query: any; params: Record<string, string> };
}

export type Ctx = Context & { state: State };

export interface RouteSpec<B extends z.ZodType = z.ZodType, Q extends z.ZodType = z.ZodType> {
  method: Method;
  path: string;
  summary: string;
  tag: string;
  auth: AuthMode;
  body?: B;
  query?: Q;
  /** run the handler inside one transaction (all writes) */
  tx?: boolean;
  /** the handler reads a multipart/form-data body itself (streamed); other routes refuse one */
  upload?: boolean;
  responses?: Record<number, string>;
  handler: (ctx: Ctx, input: { body: z.infer<B>; query: z.infer<Q>; params: Record<string, string> }) => Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function zodProblem(where: "body" | "query", error: z.ZodError) {
  return new ValidationError("validation_failed", `The request ${where} is not valid`, {
    errors: error.issues.map((i) => ({ field: i.path.join("."), code: i.code, message: i.message })),
  });
}

/** `/api/v1/<segment>/…` → segment; everything else (/healthz, /metrics, …) shares the "" router. */
const segmentOf = (path: string) => /^\/api\/v1\/([^/]+)/.exec(path)?.[1] ?? "";

export class Api {
  /**
   * One @koa/router per first path segment: a router tests every route's pattern in turn, so
   * splitting by segment (one Map lookup) keeps a request from being matched against all of them.
   */
  private readonly routers = new Map<string, { router: Router; dispatch?: Middleware }>();
  readonly routes: RouteSpec<any, any>[] = [];

  constructor(private deps: AppDeps) {}

  add<B extends z.ZodType, Q extends z.ZodType>(spec: RouteSpec<B, Q>): this {
    this.routes.push(spec);
    const deps = this.deps;
    // The route's chain is one function: the caller's authentication, the input, the handler (one
    // promise per request instead of three composed middlewares).
    const validate = (ctx: Context): void => {
      const params = (ctx as any).params as Record<string, string>;
      // Ids are UUIDs; anything else cannot exist, so it is 404, not 400.
      if (params)
        for (const k in params) if (k.endsWith("id") || k === "id") if (!UUID.test(params[k])) throw notFound();
      if (!spec.upload && ctx.req.headers["content-type"] && ctx.is("multipart/form-data"))
        throw new UnsupportedMediaTypeError("unsupported_media_type", "Send application/json");
      let body: unknown = undefined;
      if (spec.body) {
        const parsed = spec.body.safeParse((ctx.request as any).body ?? {});
        if (!parsed.success) throw zodProblem("body", parsed.error);
        body = parsed.data;
      }
      let query: unknown = {};
      if (spec.query) {
        const parsed = spec.query.safeParse({ ...ctx.query });
        if (!parsed.success) throw zodProblem("query", parsed.error);
        query = parsed.data;
      }
      ctx.state.input = { body, query, params: params ?? {} };
    };
    const handle: Middleware = (ctx: Context) => {
      assertAuthenticated(spec.auth, ctx);
      validate(ctx);
      const c = ctx as Ctx;
      if (!spec.tx) return spec.handler(c, c.state.input);
      return inTransaction(c);
    };
    const inTransaction = async (c: Ctx) => {
      await deps.db.transaction(async (tx) => {
        c.state.tx = tx;
        try {
          await spec.handler(c, c.state.input);
        } finally {
          c.state.tx = undefined;
        }
      });
    };
    const segment = segmentOf(spec.path);
    if (!this.routers.has(segment)) this.routers.set(segment, { router: new Router() });
    this.routers.get(segment)!.router[spec.method](spec.path, handle);
    return this;
  }

  /** Every registered router layer (for the OpenAPI-vs-router test). */
  layers() {
    return [...this.routers.values()].flatMap((r) => r.router.stack);
  }

  /** The dispatcher: picks the segment's router, which routes and answers 405/501 as usual. */
  middleware(): Middleware {
    return (ctx, next) => {
      const entry = this.routers.get(segmentOf(ctx.path));
      if (!entry) return next();
      entry.dispatch ??= compose([entry.router.routes(), entry.router.allowedMethods()] as Middleware[]);
      return entry.dispatch!(ctx, next);
    };
  }
}

/** A CommandContext for the current request (inside the route's transaction when it has one). */
export function commandContext(ctx: Ctx, deps: AppDeps): CommandContext {
  return {
    tx: ctx.state.tx ?? deps.db,
    actor: ctx.state.actor,
    clock: deps.clock,
    config: deps.config,
    meta: { ip: ctx.ip || null, requestId: ctx.state.requestId, userAgent: ctx.get("user-agent") || null },
    signer: deps.signer,
  };
}

// ---------- OpenAPI ----------

export const toOpenApiPath = (p: string) => p.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

export function openApiDocument(routes: RouteSpec<any, any>[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = toOpenApiPath(r.path);
    const params = [...r.path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
      name: m[1],
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const query = r.query
      ? Object.entries((z.toJSONSchema(r.query, { io: "input", unrepresentable: "any" }) as any).properties ?? {}).map(
          ([name, schema]) => ({ name, in: "query", required: false, schema }),
        )
      : [];
    const responses: Record<string, unknown> = {};
    for (const [code, description] of Object.entries(r.responses ?? { 200: "OK" })) responses[code] = { description };
    responses.default = {
      description: "Problem",
      content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
    };
    (paths[path] ??= {})[r.method] = {
      summary: r.summary,
      tags: [r.tag],
      operationId: `${r.method}${path.replace(/[{}]/g, "").replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string) => (c ? c.toUpperCase() : ""))}`,
      security: r.auth === "none" ? [] : [{ session: [] }, { bearer: [] }],
      parameters: [...params, ...query],
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: {
                "application/json": { schema: z.toJSONSchema(r.body, { io: "input", unrepresentable: "any" }) },
              },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "Qujat API", version },
    paths,
    components: {
      securitySchemes: {
        session: { type: "apiKey", in: "cookie", name: "qujat_session" },
        bearer: { type: "http", scheme: "bearer" },
      },
      schemas: {
        Problem: {
          type: "object",
          properties: {
            type: { type: "string" },
            title: { type: "string" },
            status: { type: "integer" },
            code: { type: "string" },
            detail: { type: "string" },
          },
          required: ["type", "title", "status", "code"],
        },
      },
    },
  };
}

export { AccessDeniedError };
