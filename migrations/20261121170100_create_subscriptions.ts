// Subscriptions (SPEC R4.2, R4.7, R4.8): a branch (the head office for the whole organization) on a
// plan for a period; who pays (a sponsor may); counters of the period's use; suspension on request,
// termination with notice, a pending plan change, and the billing block of the overdue steps.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("subscriptions", (t) => {
    t.string("id", 36).primary();
    t.string("organization_id", 36).notNullable().references("organizations.id");
    t.string("branch_id", 36).notNullable().references("branches.id");
    t.string("branch_path", 800).notNullable();
    t.string("payer_organization_id", 36).notNullable().references("organizations.id");
    t.string("plan_id", 36).notNullable().references("tariff_plans.id");
    t.string("payment_terms", 16).notNullable().defaultTo("standard"); // standard | prepaid | credit
    t.string("status", 16).notNullable(); // active | suspended | ended | terminated
    t.string("period_start", 10).notNullable();
    t.string("period_end", 10).notNullable(); // exclusive
    t.boolean("auto_renew").notNullable().defaultTo(true);
    t.bigInteger("used_documents").notNullable().defaultTo(0); // this period's outgoing registrations
    t.bigInteger("used_bytes").notNullable().defaultTo(0); // all stored bytes
    t.string("suspended_from", 10).nullable();
    t.string("suspended_until", 10).nullable();
    t.string("terminates_on", 10).nullable();
    t.string("pending_plan_id", 36).nullable().references("tariff_plans.id");
    t.string("pending_plan_on", 10).nullable();
    t.string("block_stage", 16).nullable(); // null | blocked | suspended | full
    t.string("blocked_at", 30).nullable();
    t.string("blocked_invoice_id", 36).nullable();
    t.string("ended_reason", 32).nullable();
    t.string("created_at", 30).notNullable();
    t.string("updated_at", 30).notNullable();
    t.index(["branch_id", "status"]);
    t.index(["status", "period_end"]);
    t.index(["plan_id", "status"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("subscriptions");
}
