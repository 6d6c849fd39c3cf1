// One error model: every failure leaves as application/problem+json {type,title,status,code,detail}.
// Policy refusals are audited here, through the group-commit journal after the command's
// transaction rolled back, so the refused attempt is recorded even though nothing else was written.
import type { Context, Next } from "koa";
import type { AppDeps } from "../../deps.js";
import { AccessDeniedError, AppError, ThrottledError, statusOf, titleOf } from "../../errors.js";
import { actorRef } from "../../domain/context.js";
import type { ProblemCode } from "../../problemCodes.js";

export function problem(
  ctx: Context,
  status: number,
  code: ProblemCode,
  detail: string,
  extras: Record<string, unknown> = {},
) {
  ctx.status = status;
  ctx.type = "application/problem+json";
  ctx.body = { type: `https://qujat.local/problems/${code}`, title: titleOf(status), status, code, detail, ...extras };
}

export function errorMiddleware(deps: AppDeps) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined)
        problem(ctx, 404, "not_found", `No route for ${ctx.method} ${ctx.path}`);
    } catch (err) {
      if (err instanceof AccessDeniedError) {
        try {
          await deps.auditJournal.record(
            { actor: actorRef(ctx.state.actor), ip: ctx.ip || null, requestId: ctx.state.requestId },
            [
              {
                action: "access.denied",
                outcome: "denied",
                target: { type: err.target.type, id: err.target.id ?? null },
                organizationId: err.target.organizationId ?? null,
                details: { attempted: err.action, method: ctx.method, path: ctx.path },
              },
            ],
          );
        } catch (auditErr) {
          deps.logger.error({ err: auditErr, requestId: ctx.state.requestId }, "could not audit a refusal");
        }
      }
      if (err instanceof AppError) {
        const status = statusOf(err);
        if (err instanceof ThrottledError) ctx.set("Retry-After", String(err.retryAfterSeconds));
        problem(ctx, status, err.code, err.message, err.extras);
        return;
      }
      const e = err as { status?: number; expose?: boolean; message?: string };
      if (e.status && e.status >= 400 && e.status < 500) {
        problem(
          ctx,
          e.status,
          e.status === 404 ? "not_found" : "bad_request",
          e.expose && e.message ? e.message : titleOf(e.status),
        );
        return;
      }
      // A client that hung up mid-request is not an error of the appliance: logged as information.
      if (ctx.req.destroyed && !ctx.req.complete) {
        deps.logger.info({ requestId: ctx.state.requestId, method: ctx.method, path: ctx.path }, "client went away");
        ctx.status = 499; // nginx's "client closed request"; nobody reads this answer
        return;
      }
      deps.logger.error({ err, requestId: ctx.state.requestId, method: ctx.method, path: ctx.path }, "unhandled error");
      problem(
        ctx,
        500,
        "internal_error",
        `Something went wrong; quote request id ${ctx.state.requestId} to your administrator`,
      );
    }
  };
}
