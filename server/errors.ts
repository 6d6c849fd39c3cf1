// One error hierarchy with stable codes, and one table from class to HTTP status.
// The HTTP layer renders these as application/problem+json; anything else is a logged 500.
import type { ProblemCode } from "./problemCodes.js";

export interface ProblemExtras {
  [key: string]: unknown;
}

export class AppError extends Error {
  readonly code: ProblemCode;
  readonly extras: ProblemExtras;
  constructor(code: ProblemCode, message: string, extras: ProblemExtras = {}) {
    super(message);
    this.code = code;
    this.extras = extras;
  }
}

export class ValidationError extends AppError {}
export class UnauthenticatedError extends AppError {}
export class ForbiddenError extends AppError {}
/** A quota of the branch's tariff plan is used up (SPEC R4.3); the body names the plan and the use. */
export class PaymentRequiredError extends AppError {}
export class NotFoundError extends AppError {}
export class ConflictError extends AppError {}
export class StateConflictError extends AppError {}
export class PayloadTooLargeError extends AppError {}
export class UnsupportedMediaTypeError extends AppError {}
export class ThrottledError extends AppError {
  constructor(
    readonly retryAfterSeconds: number,
    message = "Too many failed attempts; try again later",
  ) {
    super("throttled", message, { retryAfter: retryAfterSeconds });
  }
}
export class UnavailableError extends AppError {}
/** Existed once and is gone for good (a used or expired single-use link). */
export class GoneError extends AppError {}
/** Well-formed but not acceptable as it stands (e.g. an Idempotency-Key reused for a different request). */
export class UnprocessableError extends AppError {}

/**
 * A refusal by the policy. `hidden` refusals are reported as 404 so the existence of a resource
 * the actor may not see is not revealed; both kinds are audited as `access.denied`.
 */
export class AccessDeniedError extends AppError {
  constructor(
    readonly action: string,
    readonly target: { type: string; id?: string | null; organizationId?: string | null },
    readonly hidden: boolean,
  ) {
    super(hidden ? "not_found" : "forbidden", hidden ? NOT_FOUND_DETAIL : `Not allowed: ${action}`);
  }
}

const STATUS = new Map<abstract new (...args: never[]) => AppError, number>([
  [ValidationError, 400],
  [UnauthenticatedError, 401],
  [PaymentRequiredError, 402],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [ConflictError, 409],
  [StateConflictError, 409],
  [GoneError, 410],
  [PayloadTooLargeError, 413],
  [UnsupportedMediaTypeError, 415],
  [UnprocessableError, 422],
  [ThrottledError, 429],
  [UnavailableError, 503],
]);

const TITLES: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  409: "Conflict",
  410: "Gone",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  422: "Unprocessable Content",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
};

export function statusOf(err: AppError): number {
  if (err instanceof AccessDeniedError) return err.hidden ? 404 : 403;
  for (let proto = Object.getPrototypeOf(err); proto; proto = Object.getPrototypeOf(proto)) {
    const status = STATUS.get(proto.constructor);
    if (status) return status;
  }
  return 500;
}

export function titleOf(status: number): string {
  return TITLES[status] ?? "Error";
}

/**
 * One answer for "does not exist" and "exists but is not yours" (OWASP, authorization testing):
 * the same code and words as a hidden refusal, so no detail tells the two apart.
 */
export const NOT_FOUND_DETAIL = "Not found";
export const notFound = () => new NotFoundError("not_found", NOT_FOUND_DETAIL);
