// The notification outbox: rows written in the transaction of the change they announce; the mail
// dispatcher (server/mail/dispatcher.ts) delivers them.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // Notifications to deliver (the dispatcher sends them); written in the transaction of the change.
  await knex.schema.createTable("outbox", (t) => {
    t.increments("id").primary();
    t.string("topic", 48).notNullable();
    t.string("document_id", 36).nullable();
    t.string("organization_id", 36).nullable();
    t.string("branch_id", 36).nullable();
    t.string("user_id", 36).nullable();
    t.string("email", 254).nullable();
    t.text("payload").notNullable();
    t.string("created_at", 30).notNullable();
    t.string("status", 16).notNullable().defaultTo("pending"); // pending | sent | failed
    t.integer("attempts").notNullable().defaultTo(0);
    t.string("next_attempt_at", 30).notNullable();
    t.string("sent_at", 30).nullable();
    t.text("last_error").nullable();
    t.index(["status", "next_attempt_at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("outbox");
}
