// The operator's acts of services rendered (000 §4.8, 004 §3.5–3.6): each month of a paid term
// gives its participant an act for that month's share of the term's price — exchanged as an act of
// completed works (and deemed accepted by silence like any, counted from its receipt).
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("service_acts", (t) => {
    t.string("id", 36).primary();
    t.string("number", 40).notNullable().unique();
    t.string("invoice_id", 36).notNullable().references("invoices.id");
    t.string("subscription_id", 36).nullable();
    t.string("payer_organization_id", 36).notNullable().references("organizations.id");
    t.string("organization_id", 36).notNullable().references("organizations.id");
    t.string("branch_id", 36).notNullable().references("branches.id");
    t.string("period_from", 10).notNullable();
    t.string("period_to", 10).notNullable();
    t.string("currency", 3).notNullable();
    t.bigInteger("subtotal_minor").notNullable();
    t.bigInteger("vat_minor").notNullable();
    t.string("vat_percent", 8).nullable();
    t.bigInteger("total_minor").notNullable();
    t.string("issued_on", 10).notNullable();
    t.string("document_id", 36).nullable();
    t.string("created_at", 30).notNullable();
    t.unique(["invoice_id", "period_from"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("service_acts");
}
