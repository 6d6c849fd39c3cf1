// Users (SPEC R1.2): individuals identified by IIN, login and e-mail; credentials live here too.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("users", (t) => {
    t.string("id", 36).primary();
    t.string("login", 100).notNullable().unique();
    t.string("iin", 12).nullable().unique();
    t.string("email", 254).notNullable();
    t.string("full_name", 300).notNullable();
    t.string("status", 16).notNullable().defaultTo("active");
    t.string("password_hash", 200).nullable();
    t.string("password_changed_at", 30).nullable();
    t.string("totp_secret", 100).nullable();
    t.boolean("totp_enabled").notNullable().defaultTo(false);
    t.string("pending_totp_secret", 100).nullable();
    t.string("last_login_at", 30).nullable();
    t.string("created_at", 30).notNullable();
    t.string("updated_at", 30).notNullable();
    t.index(["email"]);
  });
  await knex.schema.createTable("password_history", (t) => {
    t.increments("id").primary();
    t.string("user_id", 36).notNullable().references("users.id");
    t.string("password_hash", 200).notNullable();
    t.string("created_at", 30).notNullable();
    t.index(["user_id"]);
  });
  await knex.schema.createTable("recovery_codes", (t) => {
    t.increments("id").primary();
    t.string("user_id", 36).notNullable().references("users.id");
    t.string("code_hash", 64).notNullable();
    t.string("used_at", 30).nullable();
    t.index(["user_id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("recovery_codes");
  await knex.schema.dropTable("password_history");
  await knex.schema.dropTable("users");
}
