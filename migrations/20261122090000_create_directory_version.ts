// A version of what a registration reads about its sender and recipient: organizations, branches,
// the subscriptions covering them and their plans. Triggers bump it on every change to those tables
// (whoever makes it: the appliance, its CLI, an administrator's SQL), except a subscription's
// use counters, which every registration moves. The appliance keeps these facts in memory for
// registrations and checks the version in the registration transaction (see directoryCache.ts).
import type { Knex } from "knex";

/** Every subscription column but used_documents and used_bytes: changing any of them is a change of facts. */
const SUBSCRIPTION_FACTS = [
  "organization_id",
  "branch_id",
  "branch_path",
  "payer_organization_id",
  "plan_id",
  "payment_terms",
  "status",
  "period_start",
  "period_end",
  "auto_renew",
  "suspended_from",
  "suspended_until",
  "terminates_on",
  "pending_plan_id",
  "pending_plan_on",
  "block_stage",
  "blocked_at",
  "blocked_invoice_id",
  "ended_reason",
  "created_at",
  "updated_at",
];
const TABLES = ["organizations", "branches", "tariff_plans", "subscriptions"];
const BUMP = "update directory_version set version = version + 1 where id = 1";
/** The update event that bumps the version: any update, but of a subscription only its facts. */
const updateOf = (table: string) =>
  table === "subscriptions" ? `update of ${SUBSCRIPTION_FACTS.join(", ")}` : "update";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("directory_version", (t) => {
    t.integer("id").primary();
    t.bigInteger("version").notNullable();
  });
  await knex("directory_version").insert({ id: 1, version: 1 });
  const pg = knex.client.config.client === "pg";
  if (pg) {
    await knex.raw(
      `create function directory_changed() returns trigger language plpgsql as $$ begin ${BUMP}; return null; end $$`,
    );
    for (const table of TABLES) {
      await knex.raw(
        `create trigger ${table}_directory after insert or delete or ${updateOf(table)} on ${table} for each statement execute function directory_changed()`,
      );
    }
    return;
  }
  for (const table of TABLES) {
    for (const event of ["insert", "delete", updateOf(table)]) {
      await knex.raw(
        `create trigger ${table}_directory_${event.split(" ")[0]} after ${event} on ${table} begin ${BUMP}; end`,
      );
    }
  }
}

export async function down(knex: Knex): Promise<void> {
  const pg = knex.client.config.client === "pg";
  for (const table of TABLES) {
    if (pg) await knex.raw(`drop trigger ${table}_directory on ${table}`);
    else for (const event of ["insert", "delete", "update"]) await knex.raw(`drop trigger ${table}_directory_${event}`);
  }
  if (pg) await knex.raw("drop function directory_changed()");
  await knex.schema.dropTable("directory_version");
}
