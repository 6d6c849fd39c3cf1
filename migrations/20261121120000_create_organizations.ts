// Participants (SPEC R1.1, R1.9): legal entities identified by BIN (KZ) or EDRPOU (UA).
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("organizations", (t) => {
    t.string("id", 36).primary();
    t.string("name", 300).notNullable();
    t.string("country", 2).notNullable();
    t.string("bin", 12).nullable().unique();
    t.string("edrpou", 8).nullable().unique();
    t.boolean("external").notNullable().defaultTo(false);
    t.string("status", 16).notNullable().defaultTo("active");
    t.string("block_reason", 1000).nullable();
    t.boolean("totp_required").notNullable().defaultTo(false);
    t.string("created_at", 30).notNullable();
    t.string("updated_at", 30).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("organizations");
}
