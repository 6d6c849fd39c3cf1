// Tamper-evident audit log (SPEC R5.7): a hash chain plus a head checkpoint row (id = 1) updated
// with every append, so a truncated tail is detectable too.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("audit_log", (t) => {
    t.bigInteger("seq").primary();
    t.string("at", 30).notNullable();
    t.string("actor_type", 16).notNullable();
    t.string("actor_id", 36).nullable();
    t.string("action", 64).notNullable();
    t.string("target_type", 32).nullable();
    t.string("target_id", 64).nullable();
    t.string("organization_id", 36).nullable();
    t.string("outcome", 16).notNullable();
    t.string("ip", 64).nullable();
    t.string("request_id", 64).nullable();
    t.text("details").notNullable();
    t.string("prev_hash", 64).notNullable();
    t.string("hash", 64).notNullable();
    t.index(["organization_id", "seq"]);
    t.index(["actor_id", "seq"]);
    t.index(["action", "seq"]);
  });
  await knex.schema.createTable("audit_head", (t) => {
    t.integer("id").primary();
    t.bigInteger("seq").notNullable();
    t.string("hash", 64).notNullable();
    t.string("updated_at", 30).notNullable();
    t.text("signature").nullable();
  });
  await knex("audit_head").insert({ id: 1, seq: 0, hash: "0".repeat(64), updated_at: new Date(0).toISOString() });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("audit_head");
  await knex.schema.dropTable("audit_log");
}
