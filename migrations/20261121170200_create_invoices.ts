// Invoices, their lines, payments and payers' credit (SPEC R4.4, R4.5, R4.9). Money is in minor
// units (integers). Numbers run per year.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("invoice_counters", (t) => {
    t.integer("year").primary();
    t.integer("last").notNullable();
  });
  await knex.schema.createTable("invoices", (t) => {
    t.string("id", 36).primary();
    t.string("number", 32).notNullable().unique();
    t.integer("year").notNullable();
    t.string("kind", 16).notNullable(); // subscription | renewal | plan_change | penalty
    t.string("subscription_id", 36).nullable().references("subscriptions.id");
    t.string("payer_organization_id", 36).notNullable().references("organizations.id");
    // the branch (or head office) that owes: blocked when the invoice stays unpaid
    t.string("organization_id", 36).notNullable().references("organizations.id");
    t.string("branch_id", 36).notNullable().references("branches.id");
    t.string("currency", 3).notNullable();
    t.bigInteger("subtotal_minor").notNullable();
    t.bigInteger("vat_minor").notNullable();
    t.bigInteger("total_minor").notNullable();
    t.bigInteger("paid_minor").notNullable().defaultTo(0);
    t.bigInteger("penalty_minor").notNullable().defaultTo(0); // settled penalty (invoiced separately)
    t.string("status", 16).notNullable(); // issued | paid | overdue | cancelled
    t.string("issued_on", 10).notNullable();
    t.string("due_on", 10).notNullable();
    t.string("period_from", 10).nullable();
    t.string("period_to", 10).nullable();
    t.string("notice_on", 10).nullable();
    t.string("paid_on", 10).nullable();
    t.string("penalty_for_invoice_id", 36).nullable();
    t.string("document_id", 36).nullable().references("documents.id");
    t.string("created_at", 30).notNullable();
    t.string("updated_at", 30).notNullable();
    t.index(["status", "due_on"]);
    t.index(["subscription_id", "period_from"]);
    t.index(["payer_organization_id", "issued_on"]);
    t.index(["document_id"]);
  });
  await knex.schema.createTable("invoice_lines", (t) => {
    t.increments("id").primary();
    t.string("invoice_id", 36).notNullable().references("invoices.id");
    t.integer("position").notNullable();
    t.string("description", 500).notNullable();
    t.string("quantity", 20).notNullable();
    t.bigInteger("unit_price_minor").notNullable();
    t.bigInteger("amount_minor").notNullable();
    t.index(["invoice_id"]);
  });
  await knex.schema.createTable("payments", (t) => {
    t.string("id", 36).primary();
    t.string("invoice_id", 36).notNullable().references("invoices.id");
    t.string("payer_organization_id", 36).notNullable().references("organizations.id");
    t.bigInteger("amount_minor").notNullable();
    t.string("currency", 3).notNullable();
    t.string("paid_on", 10).notNullable();
    t.string("reference", 100).notNullable();
    t.string("source", 16).notNullable(); // transfer | credit
    t.string("recorded_by", 36).nullable();
    t.string("created_at", 30).notNullable();
    t.unique(["payer_organization_id", "reference"]);
    t.index(["invoice_id"]);
  });
  // Overpayments kept for the payer, and their use on later invoices: the balance is the sum.
  await knex.schema.createTable("credit_ledger", (t) => {
    t.increments("id").primary();
    t.string("organization_id", 36).notNullable().references("organizations.id");
    t.string("currency", 3).notNullable();
    t.bigInteger("amount_minor").notNullable();
    t.string("payment_id", 36).nullable();
    t.string("invoice_id", 36).nullable();
    t.string("at", 30).notNullable();
    t.index(["organization_id", "currency"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("credit_ledger");
  await knex.schema.dropTable("payments");
  await knex.schema.dropTable("invoice_lines");
  await knex.schema.dropTable("invoices");
  await knex.schema.dropTable("invoice_counters");
}
