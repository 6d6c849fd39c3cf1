// Local days (SPEC R2.6): an organization's own IANA time zone (e.g. Europe/Kyiv); without one, the
// appliance's (server.timeZone, Asia/Almaty by default) binds it.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("organizations", (t) => {
    t.string("time_zone", 64).nullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("organizations", (t) => {
    t.dropColumn("time_zone");
  });
}
