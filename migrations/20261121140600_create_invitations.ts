// Counterparty invitations (SPEC R2.7): single-use, expiring tokens kept only as hashes.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("invitations", (t) => {
    t.string("id", 36).primary();
    t.string("token_hash", 64).notNullable().unique();
    t.string("email", 254).notNullable();
    t.string("organization_id", 36).notNullable().references("organizations.id"); // the invited one
    t.string("document_id", 36).notNullable().references("documents.id");
    t.string("inviter_organization_id", 36).notNullable().references("organizations.id");
    t.string("invited_by_type", 16).notNullable();
    t.string("invited_by", 36).nullable();
    t.string("created_at", 30).notNullable();
    t.string("expires_at", 30).notNullable();
    t.string("used_at", 30).nullable();
    t.string("used_by", 36).nullable();
    t.index(["organization_id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("invitations");
}
