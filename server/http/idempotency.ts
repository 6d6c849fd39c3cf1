// Idempotency-Key (IETF draft-ietf-httpapi-idempotency-key-header): the first response to a key is
// stored in the same transaction as the write it describes; a retry with the same key and the same
// request gets that response again, a different request under the same key is refused (422).
import type { Context } from "koa";
import { UnprocessableError, ValidationError } from "../errors.js";
import type { Actor } from "../domain/identity/roles.js";
import { sha256 } from "../domain/identity/secrets.js";
import type { Tx } from "../storage/db.js";

export interface StoredResponse { status: number; body: unknown }

const KEY = /^[\x21-\x7e]{1,200}$/;

export function idempotencyKey(ctx: Context): string | null {
  const raw = ctx.get("idempotency-key");
  if (!raw) return null;
  const key = raw.replace(/^"(.*)"$/, "$1");
  if (!KEY.test(key)) throw new ValidationError("bad_idempotency_key", "Idempotency-Key must be 1-200 visible ASCII characters");
  return key;
}

export const principalOf = (a: Actor) => `${a.type}:${a.id}`;
export const requestHash = (parts: string[]) => sha256(parts.join("\n"));

/** The stored response for this key, or null; throws 422 when the key was used for a different request. */
export async function replay(db: Tx, principal: string, key: string, hash: string): Promise<StoredResponse | null> {
  const row = await db("idempotency_keys").where({ principal, key }).first();
  if (!row) return null;
  if (row.request_hash !== hash) throw new UnprocessableError("idempotency_key_reused", "This Idempotency-Key was used for a different request");
  return { status: row.status, body: JSON.parse(row.response) };
}

export async function remember(tx: Tx, principal: string, key: string, hash: string, res: StoredResponse, at: string) {
  await tx("idempotency_keys").insert({ principal, key, request_hash: hash, status: res.status, response: JSON.stringify(res.body), created_at: at });
}
