// Several nodes on one database: each scheduled run of a job is claimed once (job name + the
// schedule's instant), the lease on a job names the node that holds it, and a setup token names
// the node that printed it (one link at a time, whichever node starts first).
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("job_runs", (t) => {
    t.string("name", 100).notNullable();
    t.string("slot", 30).notNullable(); // the schedule's instant (UTC ISO), the same on every node
    t.string("node", 100).notNullable();
    t.string("claimed_at", 30).notNullable();
    t.primary(["name", "slot"]);
  });
  await knex.schema.alterTable("jobs", (t) => {
    t.string("locked_by", 100).nullable();
  });
  await knex.schema.alterTable("setup_tokens", (t) => {
    t.string("node", 100).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("setup_tokens", (t) => {
    t.dropColumn("node");
  });
  await knex.schema.alterTable("jobs", (t) => {
    t.dropColumn("locked_by");
  });
  await knex.schema.dropTable("job_runs");
}
