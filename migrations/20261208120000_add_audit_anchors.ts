// Audit anchoring without an HSM (SPEC R5.7): every entry and the head carry a MAC under a key kept
// outside the database (audit.keyFile), and anchors — the head at a moment, timestamped by the TSA
// when there is one — are kept here and delivered outside the database too.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("audit_log", (t) => {
    t.string("mac", 64).nullable();
  });
  await knex.schema.alterTable("audit_head", (t) => {
    t.string("mac", 64).nullable();
  });
  await knex.schema.createTable("audit_anchors", (t) => {
    t.increments("id").primary();
    t.bigInteger("seq").notNullable();
    t.string("head_hash", 64).notNullable();
    t.string("created_at", 30).notNullable();
    t.text("body").notNullable(); // the JSON line as delivered
    t.binary("timestamp_token").nullable(); // RFC 3161 over SHA-256(body)
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("audit_anchors");
  await knex.schema.alterTable("audit_head", (t) => {
    t.dropColumn("mac");
  });
  await knex.schema.alterTable("audit_log", (t) => {
    t.dropColumn("mac");
  });
}
