// Foreign-currency plans (SPEC R4.1; E-DOC bills in USD at the National Bank's rate, 002 §5.1): the
// operator records the tenge rate of a currency for a day, with its source; an invoice for a
// Kazakh payer is issued in tenge at the latest rate recorded on or before its day, and keeps the
// original currency, the rate, its day and source to print them.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("exchange_rates", (t) => {
    t.string("currency", 3).notNullable();
    t.string("day", 10).notNullable();
    /** tenge for one unit of the currency, a decimal string (up to 4 decimals) */
    t.string("kzt_per_unit", 24).notNullable();
    t.string("source", 200).notNullable();
    t.string("recorded_by", 36).nullable();
    t.string("recorded_at", 30).notNullable();
    t.primary(["currency", "day"]);
  });
  await knex.schema.alterTable("invoices", (t) => {
    t.string("original_currency", 3).nullable();
    t.string("exchange_rate", 24).nullable();
    t.string("exchange_rate_day", 10).nullable();
    t.string("exchange_rate_source", 200).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("invoices", (t) => {
    t.dropColumn("original_currency");
    t.dropColumn("exchange_rate");
    t.dropColumn("exchange_rate_day");
    t.dropColumn("exchange_rate_source");
  });
  await knex.schema.dropTable("exchange_rates");
}
