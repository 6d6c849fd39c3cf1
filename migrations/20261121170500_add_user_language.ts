// Notifications in the user's language (SPEC R6.2): ru, kk, uk or en.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("users", (t) => {
    t.string("language", 2).notNullable().defaultTo("ru");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("users", (t) => t.dropColumn("language"));
}
