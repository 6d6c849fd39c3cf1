// Disposition (SPEC R5.5): a batch is previewed (as of a date, under a retention epoch), approved
// by a second officer, executed in resumable steps (the cursor is the last document id done), and
// certified. A destroyed document keeps its row as status `destroyed` (what refers to it — usage,
// invoices — stays valid) and a tombstone with what the certificate lists.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("disposition_batches", (t) => {
    t.string("id", 36).primary();
    t.string("state", 16).notNullable(); // previewed | approved | executing | executed | cancelled
    t.string("as_of", 10).notNullable();
    t.integer("epoch").notNullable();
    t.text("preview").notNullable(); // JSON: counts per organization and kind, bytes, oldest/newest, held
    t.bigInteger("document_count").notNullable();
    t.bigInteger("bytes").notNullable();
    t.string("previewed_by", 36).notNullable();
    t.string("previewed_at", 30).notNullable();
    t.string("approved_by", 36).nullable();
    t.string("approved_at", 30).nullable();
    t.string("cursor", 64).nullable(); // "<retain_until> <id>" of the last document done
    t.bigInteger("destroyed_count").notNullable().defaultTo(0);
    t.bigInteger("destroyed_bytes").notNullable().defaultTo(0);
    t.bigInteger("skipped_held").notNullable().defaultTo(0);
    t.string("executed_at", 30).nullable();
    t.text("certificate_body").nullable();
    t.binary("certificate_cms").nullable();
    t.string("certificate_sha256", 64).nullable();
    t.string("timestamped_at", 30).nullable();
    t.string("cancelled_by", 36).nullable();
    t.string("cancelled_at", 30).nullable();
    t.index(["state"]);
  });
  await knex.schema.createTable("document_tombstones", (t) => {
    t.string("document_id", 36).primary();
    t.string("batch_id", 36).notNullable().references("disposition_batches.id");
    t.string("kind", 32).notNullable();
    t.string("number", 100).nullable();
    t.string("sender_organization_id", 36).notNullable();
    t.string("recipient_organization_id", 36).nullable();
    t.string("content_sha256", 64).notNullable();
    t.text("files").notNullable(); // JSON [{role, sha256, size}]
    t.bigInteger("bytes").notNullable();
    t.string("registered_at", 30).notNullable();
    t.string("doc_date", 10).nullable();
    t.string("retain_until", 10).nullable();
    t.string("retention_version_id", 36).nullable();
    t.string("destroyed_at", 30).notNullable();
    t.string("blobs_removed_at", 30).nullable();
    t.index(["batch_id", "document_id"]);
    t.index(["batch_id", "blobs_removed_at"]);
  });
  // A disposition step deletes a document's approvers and invitations by document id.
  await knex.schema.alterTable("document_approvers", (t) => t.index(["document_id"], "document_approvers_document"));
  await knex.schema.alterTable("invitations", (t) => t.index(["document_id"], "invitations_document"));
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("invitations", (t) => t.dropIndex(["document_id"], "invitations_document"));
  await knex.schema.alterTable("document_approvers", (t) =>
    t.dropIndex(["document_id"], "document_approvers_document"),
  );
  await knex.schema.dropTable("document_tombstones");
  await knex.schema.dropTable("disposition_batches");
}
