// Idempotency-Key records: a retried request with the same key (same caller, same body) gets the
// first response again instead of a second document.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("idempotency_keys", (t) => {
    t.increments("id").primary();
    t.string("principal", 64).notNullable(); // user:<id> | api_token:<id>
    t.string("key", 200).notNullable();
    t.string("request_hash", 64).notNullable();
    t.integer("status").notNullable();
    t.text("response").notNullable();
    t.string("created_at", 30).notNullable();
    t.unique(["principal", "key"]);
    t.index(["created_at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("idempotency_keys");
}
