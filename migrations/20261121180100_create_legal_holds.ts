// Legal holds (SPEC R5.4): a hold covers the documents that match all of its criteria
// (organization, counterparty, kind, registration period) or the documents listed for it.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("legal_holds", (t) => {
    t.string("id", 36).primary();
    t.string("name", 200).notNullable();
    t.string("reason", 2000).notNullable();
    t.string("owner_user_id", 36).notNullable().references("users.id");
    t.string("scope", 16).notNullable(); // organization | documents | kind | query
    t.string("organization_id", 36).nullable().references("organizations.id");
    t.string("counterparty_organization_id", 36).nullable().references("organizations.id");
    t.string("kind", 32).nullable();
    t.string("registered_from", 30).nullable();
    t.string("registered_to", 30).nullable(); // exclusive
    t.string("status", 16).notNullable(); // active | released
    t.string("created_by", 36).nullable();
    t.string("created_at", 30).notNullable();
    t.string("released_by", 36).nullable();
    t.string("released_at", 30).nullable();
    t.string("release_reason", 2000).nullable();
    t.index(["status"]);
  });
  await knex.schema.createTable("legal_hold_documents", (t) => {
    t.string("hold_id", 36).notNullable().references("legal_holds.id");
    t.string("document_id", 36).notNullable();
    t.primary(["hold_id", "document_id"]);
    t.index(["document_id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("legal_hold_documents");
  await knex.schema.dropTable("legal_holds");
}
