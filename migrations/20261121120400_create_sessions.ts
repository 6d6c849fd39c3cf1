// Sign-in state: sessions (token stored as SHA-256), login history, throttling counters,
// and the one-time first-run setup tokens.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("sessions", (t) => {
    t.string("id", 36).primary();
    t.string("user_id", 36).notNullable().references("users.id");
    t.string("token_hash", 64).notNullable().unique();
    t.string("method", 16).notNullable();
    t.string("ip", 64).nullable();
    t.string("user_agent", 500).nullable();
    t.string("created_at", 30).notNullable();
    t.string("last_seen_at", 30).notNullable();
    t.string("expires_at", 30).notNullable();
    t.string("revoked_at", 30).nullable();
    t.string("revoked_reason", 32).nullable();
    t.boolean("reported_not_me").notNullable().defaultTo(false);
    t.index(["user_id"]);
  });
  await knex.schema.createTable("login_events", (t) => {
    t.increments("id").primary();
    t.string("user_id", 36).nullable();
    t.string("login", 100).nullable();
    t.string("session_id", 36).nullable();
    t.string("outcome", 16).notNullable();
    t.string("reason", 64).nullable();
    t.string("method", 16).notNullable();
    t.string("ip", 64).nullable();
    t.string("user_agent", 500).nullable();
    t.string("at", 30).notNullable();
    t.index(["user_id", "at"]);
  });
  await knex.schema.createTable("login_throttle", (t) => {
    t.string("key", 200).primary();
    t.integer("failures").notNullable();
    t.string("last_failure_at", 30).notNullable();
  });
  await knex.schema.createTable("setup_tokens", (t) => {
    t.string("token_hash", 64).primary();
    t.string("created_at", 30).notNullable();
    t.string("expires_at", 30).notNullable();
    t.string("used_at", 30).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  for (const table of ["setup_tokens", "login_throttle", "login_events", "sessions"])
    await knex.schema.dropTable(table);
}
