// VAT per country and day (SPEC R4.1): each invoice keeps the rate it was issued with — null for an
// invoice without VAT — so it is printed as issued whatever the schedule says later. Invoices issued
// before carried the single configured 16 %.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("invoices", (t) => {
    t.string("vat_percent", 8).nullable();
  });
  await knex("invoices").whereNot({ vat_minor: "0" }).update({ vat_percent: "16" });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("invoices", (t) => {
    t.dropColumn("vat_percent");
  });
}
