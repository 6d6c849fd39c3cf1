// Detached CMS signatures of either side (SPEC R3.1), kept byte for byte with what was checked.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("document_signatures", (t) => {
    t.string("id", 36).primary();
    t.string("document_id", 36).notNullable().references("documents.id");
    t.integer("position").notNullable(); // 1, 2, … in the order the signatures were added
    t.string("side", 16).notNullable(); // sender | recipient
    t.string("organization_id", 36).notNullable().references("organizations.id");
    t.string("signer_type", 16).notNullable();
    t.string("signer_id", 36).notNullable();
    t.binary("cms").notNullable(); // the detached CMS exactly as posted (DER)
    t.string("cms_sha256", 64).notNullable();
    t.string("content_sha256", 64).notNullable();
    t.string("digest_algorithm", 32).notNullable();
    t.string("signature_algorithm", 32).notNullable();
    t.text("signer_subject").notNullable();
    t.text("signer_issuer").notNullable();
    t.string("signer_serial", 128).notNullable();
    t.string("cert_not_before", 30).notNullable();
    t.string("cert_not_after", 30).notNullable();
    t.string("signing_time", 30).nullable(); // claimed by the signer (signed attribute)
    t.string("created_at", 30).notNullable();
    t.unique(["document_id", "cms_sha256"]);
    t.unique(["document_id", "position"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("document_signatures");
}
