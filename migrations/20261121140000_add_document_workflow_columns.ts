// Lifecycle columns on documents (SPEC R2.5-R2.7): the deemed-acceptance deadline, what an annulment
// request interrupted, and where an invitation goes when the recipient has no users yet.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("documents", (t) => {
    t.string("respond_by", 30).nullable(); // deemed acceptance deadline, set when an act is sent
    t.string("annulment_prior_status", 32).nullable();
    t.string("annulment_requested_by", 16).nullable(); // sender | recipient
    t.string("recipient_email", 254).nullable(); // where the invitation goes when the recipient has no users yet
    t.index(["status", "respond_by"], "documents_deemed_due");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("documents", (t) => {
    t.dropIndex(["status", "respond_by"], "documents_deemed_due");
    for (const c of ["respond_by", "annulment_prior_status", "annulment_requested_by", "recipient_email"])
      t.dropColumn(c);
  });
}
