// Outbox delivery (SPEC R6.2): a claim so two workers never send one message, and which of a
// notice's messages (one per language of its addressees) have gone, so a retry sends only the rest.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("outbox", (t) => {
    t.string("claimed_until", 30).nullable();
    t.text("delivered").nullable(); // JSON list of the parts sent
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("outbox", (t) => {
    t.dropColumn("claimed_until");
    t.dropColumn("delivered");
  });
}
