// The files of a document: its content and attachments, each a reference into the content-addressed
// blob store. The sha256 index lets the orphan sweep ask "is this blob still referenced?".
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("document_files", (t) => {
    t.string("id", 36).primary();
    t.string("document_id", 36).notNullable().references("documents.id");
    t.string("role", 16).notNullable(); // content | attachment
    t.integer("position").notNullable();
    t.string("name", 255).notNullable();
    t.string("media_type", 255).notNullable();
    t.bigInteger("size").notNullable();
    t.string("sha256", 64).notNullable();
    t.unique(["document_id", "role", "position"]);
    t.index(["sha256"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("document_files");
}
