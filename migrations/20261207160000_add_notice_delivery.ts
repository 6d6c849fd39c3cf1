// Notices that arrive (SPEC R6.2): a notice counts as delivered when the SMTP server took it or when
// it was first shown to an addressee in the console — `outbox.delivered_at`, the first of the two.
// `ref` names what the notice is about (e.g. invoice:<id>) for those who count from its delivery;
// `notice_views` keeps, per person, when a notice was first shown and when it was read.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("outbox", (t) => {
    t.string("ref", 100).nullable().index();
    t.string("delivered_at", 30).nullable();
  });
  await knex.schema.createTable("notice_views", (t) => {
    t.integer("outbox_id").notNullable().references("outbox.id");
    t.string("user_id", 36).notNullable().references("users.id");
    t.string("shown_at", 30).notNullable();
    t.string("read_at", 30).nullable();
    t.primary(["outbox_id", "user_id"]);
    t.index(["user_id"]);
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("notice_views");
  await knex.schema.alterTable("outbox", (t) => {
    t.dropIndex(["ref"]);
    t.dropColumn("ref");
    t.dropColumn("delivered_at");
  });
}
