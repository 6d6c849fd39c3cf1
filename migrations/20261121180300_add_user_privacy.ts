// Inactive accounts and personal-data rights (SPEC R5.3, R5.6): when a user was warned, whether he
// agreed to optional notices, and when his personal data was replaced by a pseudonym.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("users", (t) => {
    t.string("inactivity_warned_at", 30).nullable();
    t.string("removal_pending_since", 30).nullable(); // the last administrator: waiting for a system administrator
    t.string("inactivity_reset_at", 30).nullable(); // a system administrator kept the account: inactivity counts from here
    t.boolean("notifications_consent").notNullable().defaultTo(true);
    t.string("pseudonymized_at", 30).nullable();
    t.string("pseudonymized_reason", 32).nullable(); // inactivity | erasure
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("users", (t) => {
    for (const c of [
      "inactivity_warned_at",
      "removal_pending_since",
      "inactivity_reset_at",
      "notifications_consent",
      "pseudonymized_at",
      "pseudonymized_reason",
    ])
      t.dropColumn(c);
  });
}
