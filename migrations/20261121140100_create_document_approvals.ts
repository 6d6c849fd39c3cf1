// Approval routes (SPEC R2.5): ordered steps of one or several approvers, any or all of whom must
// approve; each decision records the content hash the approver saw.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  // One row per step of one approval round; a document returned and resubmitted gets a new round.
  await knex.schema.createTable("document_approval_steps", (t) => {
    t.string("id", 36).primary();
    t.string("document_id", 36).notNullable().references("documents.id");
    t.integer("round").notNullable();
    t.integer("position").notNullable();
    t.string("mode", 8).notNullable(); // any | all
    t.string("status", 16).notNullable(); // waiting | active | approved | returned | cancelled
    t.string("activated_at", 30).nullable();
    t.string("finished_at", 30).nullable();
    t.unique(["document_id", "round", "position"]);
  });
  await knex.schema.createTable("document_approvers", (t) => {
    t.string("id", 36).primary();
    t.string("step_id", 36).notNullable().references("document_approval_steps.id");
    t.string("document_id", 36).notNullable().references("documents.id");
    t.string("user_id", 36).notNullable().references("users.id");
    t.string("decision", 16).nullable(); // approved | returned
    t.text("comment").nullable();
    t.string("content_sha256", 64).nullable(); // what the approver saw
    t.string("decided_at", 30).nullable();
    t.unique(["step_id", "user_id"]);
    t.index(["user_id", "decision"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("document_approvers");
  await knex.schema.dropTable("document_approval_steps");
}
