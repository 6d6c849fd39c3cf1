// Receipts (SPEC R3.5): the recipient's acknowledgement bound to the content hash.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Proof of receipt (R3.5): the recipient's system acknowledges exactly these bytes.
  await knex.schema.createTable("document_receipts", (t) => {
    t.string("id", 36).primary();
    t.string("document_id", 36).notNullable().references("documents.id").unique();
    t.string("content_sha256", 64).notNullable();
    t.string("organization_id", 36).notNullable().references("organizations.id");
    t.string("branch_id", 36).notNullable().references("branches.id");
    t.string("by_type", 16).notNullable();
    t.string("by_id", 36).nullable();
    t.string("at", 30).notNullable();
    t.text("body").notNullable(); // canonical JSON of the receipt
    t.string("sha256", 64).notNullable(); // of body
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("document_receipts");
}
