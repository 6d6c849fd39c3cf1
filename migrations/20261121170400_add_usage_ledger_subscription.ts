// Metering (SPEC R4.3): which subscription a registration was counted against, and whether it is an
// outgoing document (the quota's transactions) or only stored bytes.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("usage_ledger", (t) => {
    t.string("subscription_id", 36).nullable();
    t.boolean("outgoing").notNullable().defaultTo(false);
    t.index(["branch_id", "at"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("usage_ledger", (t) => {
    t.dropIndex(["branch_id", "at"]);
    t.dropColumn("subscription_id");
    t.dropColumn("outgoing");
  });
}
