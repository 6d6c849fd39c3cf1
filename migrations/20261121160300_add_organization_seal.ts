// Server-side organization seals (SPEC R3.1): an organization may have the appliance seal its
// outgoing documents with a key kept in the HSM (its label here); the seal is added at sending.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("organizations", (t) => {
    t.string("seal_key_label", 100).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("organizations", (t) => t.dropColumn("seal_key_label"));
}
