// Certificate sign-in (SPEC R1.3): one-time challenges the browser signs with the user's AUTH key.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("auth_challenges", (t) => {
    t.string("nonce_hash", 64).primary(); // SHA-256 of the challenge bytes
    t.string("created_at", 30).notNullable();
    t.string("expires_at", 30).notNullable().index();
    t.string("used_at", 30).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("auth_challenges");
}
