// The free Demo plan (SPEC R4.1) every appliance starts with: small quotas, no price.
import type { Knex } from "knex";
import { randomUUID } from "node:crypto";

export async function up(knex: Knex): Promise<void> {
  const now = new Date().toISOString();
  await knex("tariff_plans").insert({
    id: randomUUID(),
    code: "demo",
    name: "Demo",
    price_minor: 0,
    currency: "KZT",
    term_months: 12,
    quota_documents: 20,
    quota_storage_bytes: 100 * 1024 * 1024,
    quota_users: 3,
    package: false,
    status: "active",
    successor_id: null,
    closed_at: null,
    migrate_on: null,
    created_at: now,
    updated_at: now,
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex("tariff_plans").where({ code: "demo" }).delete();
}
