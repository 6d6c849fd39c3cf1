// Organization search that folds case in every script (SPEC R1.1): SQLite's lower() folds ASCII
// only, so a Cyrillic name typed in another case was never found there. The folded name is kept
// beside the name (domain/shared/text.ts, searchFold) and compared on both databases alike.
import type { Knex } from "knex";
import { searchFold } from "../server/domain/shared/text.js";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("organizations", (t) => {
    t.string("search_name", 300).nullable();
  });
  const rows: Array<{ id: string; name: string }> = await knex("organizations").select("id", "name");
  for (const r of rows)
    await knex("organizations")
      .where({ id: r.id })
      .update({ search_name: searchFold(r.name) });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("organizations", (t) => {
    t.dropColumn("search_name");
  });
}
