// The billable events (SPEC R2.1, R4.x): one row per registration, read by billing's metering.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("usage_ledger", (t) => {
    t.increments("id").primary();
    t.string("organization_id", 36).notNullable().references("organizations.id");
    t.string("branch_id", 36).notNullable().references("branches.id");
    t.string("document_id", 36).notNullable().references("documents.id");
    t.string("event", 32).notNullable(); // registration
    t.bigInteger("bytes").notNullable();
    t.string("at", 30).notNullable();
    t.index(["organization_id", "at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("usage_ledger");
}
