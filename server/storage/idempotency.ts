// Stored first responses for Idempotency-Key: written in the transaction of the write they describe.
import { createHash } from "node:crypto";
import { UnprocessableError } from "../errors.js";
import { type Tx } from "./db.js";
import { insertStatements, type Statement } from "./statements.js";

export interface StoredResponse {
  status: number;
  body: unknown;
}

/** What identifies a request under a key: a retry must hash the same, another request under the key does not. */
export const requestHash = (parts: string[]) => createHash("sha256").update(parts.join("\n")).digest("hex");

/** The stored response for this key, or null; throws 422 when the key was used for a different request. */
export async function replay(db: Tx, principal: string, key: string, hash: string): Promise<StoredResponse | null> {
  const row = await db("idempotency_keys").where({ principal, key }).first();
  if (!row) return null;
  if (row.request_hash !== hash)
    throw new UnprocessableError("idempotency_key_reused", "This Idempotency-Key was used for a different request");
  return { status: row.status, body: JSON.parse(row.response) };
}

/** The rows that store first responses, as statements of the transaction of the write they describe. */
export function remembered(
  entries: ReadonlyArray<{ principal: string; key: string; hash: string; response: StoredResponse; at: string }>,
): Statement[] {
  return insertStatements(
    "idempotency_keys",
    entries.map((e) => ({
      principal: e.principal,
      key: e.key,
      request_hash: e.hash,
      status: e.response.status,
      response: JSON.stringify(e.response.body),
      created_at: e.at,
    })),
    200,
  );
}
