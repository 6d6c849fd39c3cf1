// The appliance's billing calendar (SPEC R4.4): public holidays (not working days) and bank holidays
// (not banking days either), as data the billing operator keeps.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("billing_calendar", (t) => {
    t.string("day", 10).primary();
    t.string("kind", 16).notNullable(); // holiday | bank_holiday
    t.string("name", 200).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("billing_calendar");
}
