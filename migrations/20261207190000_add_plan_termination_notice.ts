// Termination notice per plan or contract (SPEC R4.7): 30 days under the KZ contract (000 §14.5),
// 15 under E-DOC's (002 §10.2.2), at any time under the UA one (004 §8.2.2). Null: billing's
// default (billing.terminationNoticeDays).
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("tariff_plans", (t) => {
    t.integer("termination_notice_days").nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("tariff_plans", (t) => {
    t.dropColumn("termination_notice_days");
  });
}
