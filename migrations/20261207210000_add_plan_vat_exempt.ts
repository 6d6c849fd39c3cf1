// A plan billed without VAT (SPEC R4.1: "without VAT" for an operator or plan that is exempt).
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("tariff_plans", (t) => {
    t.boolean("vat_exempt").notNullable().defaultTo(false);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("tariff_plans", (t) => {
    t.dropColumn("vat_exempt");
  });
}
