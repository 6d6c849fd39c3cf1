// Powers of attorney (SPEC R1.6): the head delegates signing for the organization to an employee,
// for some document kinds, in a branch subtree, for a period. The head signs the power of attorney
// itself (a detached CMS over its canonical body); it can be revoked.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("powers_of_attorney", (t) => {
    t.string("id", 36).primary();
    t.string("organization_id", 36).notNullable().references("organizations.id");
    t.string("branch_id", 36).notNullable().references("branches.id"); // the attorney signs for this branch and its subtree
    t.string("grantor_user_id", 36).notNullable().references("users.id");
    t.string("attorney_user_id", 36).notNullable().references("users.id");
    t.string("attorney_iin", 12).notNullable();
    t.text("kinds").notNullable(); // JSON array of document kinds
    t.string("valid_from", 30).notNullable();
    t.string("valid_to", 30).notNullable();
    t.string("status", 10).notNullable(); // active | revoked
    t.text("body").notNullable(); // the canonical JSON the head signed
    t.binary("cms").notNullable();
    t.text("validation").notNullable(); // the report of the head's signature
    t.string("created_at", 30).notNullable();
    t.string("revoked_at", 30).nullable();
    t.string("revoked_by", 36).nullable();
    t.text("revocation_reason").nullable();
    t.index(["organization_id", "attorney_user_id", "status"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("powers_of_attorney");
}
