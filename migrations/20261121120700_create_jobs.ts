// Cron job records: last run, duration, outcome; `locked_until` is the cross-process lock on SQLite
// (PostgreSQL uses an advisory lock in addition).
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("jobs", (t) => {
    t.string("name", 100).primary();
    t.string("schedule", 100).notNullable();
    t.string("locked_until", 30).nullable();
    t.string("last_started_at", 30).nullable();
    t.string("last_finished_at", 30).nullable();
    t.integer("last_duration_ms").nullable();
    t.string("last_outcome", 16).nullable();
    t.text("last_error").nullable();
    t.integer("run_count").notNullable().defaultTo(0);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("jobs");
}
