// Documents (SPEC R2.1-R2.5): one row per registered document with its sender and recipient side.
// Branch paths are copied onto the row so box listings filter by subtree without a join, and the
// per-side (organization, created_at, id) indexes serve keyset pages newest first.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("documents", (t) => {
    t.string("id", 36).primary();
    t.string("kind", 32).notNullable();
    t.string("direction", 16).notNullable(); // outgoing | internal
    t.string("status", 32).notNullable();
    t.string("title", 500).notNullable();
    t.string("number", 100).nullable();
    t.string("doc_date", 10).nullable();
    t.integer("doc_year").nullable();
    t.string("currency", 3).nullable();
    t.string("total", 32).nullable(); // decimal text, exact
    t.text("fields").notNullable(); // the kind's structured fields, canonical JSON
    t.string("sender_organization_id", 36).notNullable().references("organizations.id");
    t.string("sender_branch_id", 36).notNullable().references("branches.id");
    t.string("sender_branch_path", 1000).notNullable();
    t.string("sender_name", 500).notNullable();
    t.string("recipient_organization_id", 36).nullable().references("organizations.id");
    t.string("recipient_branch_id", 36).nullable().references("branches.id");
    t.string("recipient_branch_path", 1000).nullable();
    t.string("recipient_name", 500).nullable();
    t.text("search_as_sender").notNullable(); // lower-cased number, title, recipient name
    t.text("search_as_recipient").notNullable(); // lower-cased number, title, sender name
    t.string("content_sha256", 64).notNullable();
    t.string("content_name", 255).notNullable();
    t.string("content_type", 255).notNullable();
    t.bigInteger("content_size").notNullable();
    t.bigInteger("total_bytes").notNullable();
    t.string("created_by_type", 16).notNullable();
    t.string("created_by", 36).notNullable();
    t.string("created_at", 30).notNullable();
    t.string("updated_at", 30).notNullable();
    t.string("sent_at", 30).nullable();
    t.string("frozen_at", 30).nullable();
    t.integer("version").notNullable().defaultTo(1);
    t.unique(["sender_organization_id", "kind", "doc_year", "number"], { indexName: "documents_number_unique" });
    t.index(["sender_organization_id", "created_at", "id"], "documents_sender_page");
    t.index(["recipient_organization_id", "created_at", "id"], "documents_recipient_page");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("documents");
}
