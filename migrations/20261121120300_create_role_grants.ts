// Role grants: appliance-wide (organization_id null) or scoped to an organization's branch subtree.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("role_grants", (t) => {
    t.string("id", 36).primary();
    t.string("user_id", 36).notNullable().references("users.id");
    t.string("role", 32).notNullable();
    t.string("organization_id", 36).nullable().references("organizations.id");
    t.string("branch_id", 36).nullable().references("branches.id");
    t.string("granted_by", 36).nullable();
    t.string("created_at", 30).notNullable();
    t.index(["user_id"]);
    t.index(["organization_id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("role_grants");
}
