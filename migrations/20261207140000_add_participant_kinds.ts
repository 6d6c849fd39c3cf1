// Participants that are people (SPEC R1.1): an organization row has a kind — a legal entity, a sole
// proprietor (KZ ИП, UA ФОП) or an individual — and a Ukrainian person is identified by an RNOKPP
// (10 digits), the participant by it and a user by it as a Kazakh one is by an IIN.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("organizations", (t) => {
    t.string("kind", 20).notNullable().defaultTo("legal_entity");
    t.string("rnokpp", 10).nullable().unique();
  });
  await knex.schema.alterTable("users", (t) => {
    t.string("rnokpp", 10).nullable().unique();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("users", (t) => {
    t.dropUnique(["rnokpp"]);
    t.dropColumn("rnokpp");
  });
  await knex.schema.alterTable("organizations", (t) => {
    t.dropUnique(["rnokpp"]);
    t.dropColumn("rnokpp");
    t.dropColumn("kind");
  });
}
