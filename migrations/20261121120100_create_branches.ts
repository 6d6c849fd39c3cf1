// Branch tree per organization; the head office is the root (parent_id null).
// `path` is the materialized path "/root/child/…/self/" so a subtree is one prefix match.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("branches", (t) => {
    t.string("id", 36).primary();
    t.string("organization_id", 36).notNullable().references("organizations.id");
    t.string("parent_id", 36).nullable().references("branches.id");
    t.string("name", 300).notNullable();
    t.string("path", 2000).notNullable();
    t.string("status", 16).notNullable().defaultTo("active");
    t.string("block_reason", 1000).nullable();
    t.string("created_at", 30).notNullable();
    t.string("updated_at", 30).notNullable();
    t.index(["organization_id"]);
    t.index(["path"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("branches");
}
