// Certificate sign-in (SPEC R1.3): challenges are stateless (an HMAC under a secret of this
// installation, with their expiry inside), so issuing one writes nothing; a challenge that has been
// answered is recorded here, which makes it single-use. The secret is made here, once.
import type { Knex } from "knex";
import { randomBytes } from "node:crypto";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("auth_challenges", (t) => {
    t.string("nonce_hash", 64).primary(); // SHA-256 of the answered challenge
    t.string("used_at", 30).notNullable();
    t.string("expires_at", 30).notNullable().index();
  });
  await knex.schema.createTable("app_secrets", (t) => {
    t.string("name", 50).primary();
    t.string("value", 200).notNullable();
  });
  await knex("app_secrets").insert({ name: "challenge_hmac", value: randomBytes(32).toString("hex") });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("app_secrets");
  await knex.schema.dropTable("auth_challenges");
}
