// Integration clients (SPEC R1.7): bearer tokens scoped to an organization/branch and one role.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("api_tokens", (t) => {
    t.string("id", 36).primary();
    t.string("name", 200).notNullable();
    t.string("token_hash", 64).notNullable().unique();
    t.string("prefix", 16).notNullable();
    t.string("organization_id", 36).notNullable().references("organizations.id");
    t.string("branch_id", 36).notNullable().references("branches.id");
    t.string("role", 32).notNullable();
    t.string("created_by", 36).notNullable();
    t.string("created_at", 30).notNullable();
    t.string("expires_at", 30).nullable();
    t.string("last_used_at", 30).nullable();
    t.string("revoked_at", 30).nullable();
    t.index(["organization_id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("api_tokens");
}
