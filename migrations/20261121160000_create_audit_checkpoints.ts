// Signed audit checkpoints (SPEC R5.7, R3.1): every hour the head of the audit chain (sequence
// number and hash) is signed by the appliance's HSM system key, so a later rewrite of the whole
// chain — hashes recomputed — still contradicts a checkpoint nobody without the HSM could make.
// Delivery receipts get the system key's signature beside them.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("audit_checkpoints", (t) => {
    t.increments("id").primary();
    t.bigInteger("seq").notNullable();
    t.string("head_hash", 64).notNullable();
    t.string("created_at", 30).notNullable();
    t.text("body").notNullable(); // the signed JSON, exactly as signed
    t.binary("cms").notNullable(); // detached CMS over body by the system key
    t.text("signer_subject").notNullable();
    t.index(["seq"]);
  });
  await knex.schema.alterTable("document_receipts", (t) => {
    t.binary("system_cms").nullable(); // detached CMS over body by the system key (null without an HSM)
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("document_receipts", (t) => t.dropColumn("system_cms"));
  await knex.schema.dropTable("audit_checkpoints");
}
