// Deemed acceptance (SPEC R2.6): each organization's period, in calendar or working days, and the
// holidays that working days skip.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("organizations", (t) => {
    t.string("acceptance_mode", 16).notNullable().defaultTo("calendar"); // calendar | working
    t.integer("acceptance_days").nullable(); // null: the appliance default for the mode (config documents.acceptance)
  });
  await knex.schema.createTable("organization_holidays", (t) => {
    t.string("organization_id", 36).notNullable().references("organizations.id");
    t.string("day", 10).notNullable();
    t.string("name", 200).nullable();
    t.primary(["organization_id", "day"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("organization_holidays");
  await knex.schema.alterTable("organizations", (t) => {
    t.dropColumn("acceptance_mode");
    t.dropColumn("acceptance_days");
  });
}
