// The evidence package's audit extract reads one document's entries by target.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("audit_log", (t) => t.index(["target_id", "seq"], "audit_log_target"));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("audit_log", (t) => t.dropIndex(["target_id", "seq"], "audit_log_target"));
}
