// Tariff plans (SPEC R4.1, R4.6): price for a term in minor units of a currency (VAT excluded),
// quotas (null: unlimited), closing with a successor, and price changes scheduled for the 1st.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("tariff_plans", (t) => {
    t.string("id", 36).primary();
    t.string("code", 64).notNullable().unique();
    t.string("name", 200).notNullable();
    t.bigInteger("price_minor").notNullable();
    t.string("currency", 3).notNullable();
    t.integer("term_months").notNullable();
    t.bigInteger("quota_documents").nullable();
    t.bigInteger("quota_storage_bytes").nullable();
    t.integer("quota_users").nullable();
    // a transaction package: the subscription ends early when its documents are used up (R4.2)
    t.boolean("package").notNullable().defaultTo(false);
    t.string("status", 16).notNullable().defaultTo("active"); // active | closed
    t.string("successor_id", 36).nullable().references("tariff_plans.id");
    t.string("closed_at", 30).nullable();
    t.string("migrate_on", 10).nullable(); // the day subscribers move to the successor
    t.string("created_at", 30).notNullable();
    t.string("updated_at", 30).notNullable();
  });
  await knex.schema.createTable("plan_price_changes", (t) => {
    t.string("id", 36).primary();
    t.string("plan_id", 36).notNullable().references("tariff_plans.id");
    t.bigInteger("price_minor").notNullable();
    t.string("effective_on", 10).notNullable();
    t.string("announced_at", 30).notNullable();
    t.string("applied_at", 30).nullable();
    t.index(["applied_at", "effective_on"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("plan_price_changes");
  await knex.schema.dropTable("tariff_plans");
}
