// Idempotency-Key (IETF draft-ietf-httpapi-idempotency-key-header): the first response to a key is
// stored in the same transaction as the write it describes; a retry with the same key and the same
// request gets that response again, a different request under the same key is refused (422).
import type { Context } from "koa";
import { ValidationError } from "../errors.js";
import type { Actor } from "../domain/identity/roles.js";
export { replay, type StoredResponse } from "../storage/idempotency.js";

const KEY = /^[\x21-\x7e]{1,200}$/;

export function idempotencyKey(ctx: Context): string | null {
  const raw = ctx.get("idempotency-key");
  if (!raw) return null;
  const key = raw.replace(/^"(.*)"$/, "$1");
  if (!KEY.test(key))
    throw new ValidationError("bad_idempotency_key", "Idempotency-Key must be 1-200 visible ASCII characters");
  return key;
}

export const principalOf = (a: Actor) => `${a.type}:${a.id}`;
