// Device cookies (SPEC R1.4; OWASP "Slow Down Online Guessing Attacks with Device Cookies"): a
// browser that signed in before proves it with a cookie authenticated by this installation's
// secret, made here once.
import type { Knex } from "knex";
import { randomBytes } from "node:crypto";

export async function up(knex: Knex): Promise<void> {
  await knex("app_secrets").insert({ name: "device_cookie_hmac", value: randomBytes(32).toString("hex") });
}

export async function down(knex: Knex): Promise<void> {
  await knex("app_secrets").where({ name: "device_cookie_hmac" }).delete();
}
