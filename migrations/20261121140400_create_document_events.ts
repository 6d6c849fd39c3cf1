// A document's history: its state changes and messages (rejections, clarification requests) in order.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // What happened to a document, in order: its "system messages" (R2.8) and the state machine's trail.
  await knex.schema.createTable("document_events", (t) => {
    t.increments("id").primary();
    t.string("document_id", 36).notNullable().references("documents.id");
    t.string("at", 30).notNullable();
    t.string("actor_type", 16).notNullable();
    t.string("actor_id", 36).nullable();
    t.string("side", 16).nullable();
    t.string("action", 48).notNullable();
    t.string("from_status", 32).nullable();
    t.string("to_status", 32).nullable();
    t.text("comment").nullable();
    t.index(["document_id", "id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("document_events");
}
