// Maintenance announcements (SPEC R6.1): a window every signed-in user is shown.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("announcements", (t) => {
    t.string("id", 36).primary();
    t.string("title", 200).notNullable();
    t.text("body").notNullable();
    t.string("starts_at", 30).notNullable();
    t.string("ends_at", 30).notNullable();
    t.string("created_by", 36).nullable();
    t.string("created_at", 30).notNullable();
    t.string("withdrawn_at", 30).nullable();
    t.index(["ends_at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("announcements");
}
