// Stored first responses for Idempotency-Key: written in the transaction of the write they describe.
import { UnprocessableError } from "../errors.js";
import type { Tx } from "./db.js";

export interface StoredResponse { status: number; body: unknown }

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
