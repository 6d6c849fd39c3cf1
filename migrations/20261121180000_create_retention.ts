// Retention (SPEC R5.1, R5.2): versioned policies, the events some of them start from, and on each
// document the retain-until date with the policy version that set it. `retention_state.epoch` goes
// up whenever what decides retain-until dates changes (a policy version, an event, an early
// destruction); `assigned_epoch` says up to which epoch the documents' dates are current.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("retention_policies", (t) => {
    t.string("id", 36).primary();
    t.integer("current_version").nullable(); // null until the first version is approved
    t.boolean("locked").notNullable().defaultTo(false); // extend-only
    t.string("status", 16).notNullable().defaultTo("active"); // active | retired
    t.string("created_at", 30).notNullable();
    t.string("updated_at", 30).notNullable();
  });
  await knex.schema.createTable("retention_policy_versions", (t) => {
    t.string("id", 36).primary();
    t.string("policy_id", 36).notNullable().references("retention_policies.id");
    t.integer("version").notNullable();
    t.string("name", 200).notNullable();
    t.string("kind", 32).nullable(); // null: every kind
    t.string("organization_id", 36).nullable().references("organizations.id"); // null: every organization
    t.string("trigger", 32).notNullable(); // registration | document_date | contract_end | event
    t.string("event", 64).nullable();
    t.integer("period_months").notNullable();
    t.string("end_action", 16).notNullable(); // destroy | review
    t.string("state", 16).notNullable(); // pending | active | superseded | rejected
    t.string("proposed_by", 36).nullable();
    t.string("proposed_at", 30).notNullable();
    t.string("reason", 1000).nullable();
    t.string("decided_by", 36).nullable();
    t.string("decided_at", 30).nullable();
    t.unique(["policy_id", "version"]);
    t.index(["state"]);
  });
  await knex.schema.createTable("retention_events", (t) => {
    t.string("id", 36).primary();
    t.string("event", 64).notNullable();
    t.string("organization_id", 36).notNullable().references("organizations.id");
    t.string("counterparty_organization_id", 36).nullable().references("organizations.id");
    t.string("occurred_on", 10).notNullable();
    t.string("recorded_by", 36).nullable();
    t.string("created_at", 30).notNullable();
    t.index(["organization_id", "event"]);
  });
  await knex.schema.createTable("retention_state", (t) => {
    t.integer("id").primary();
    t.integer("epoch").notNullable();
    t.integer("assigned_epoch").notNullable();
  });
  await knex("retention_state").insert({ id: 1, epoch: 1, assigned_epoch: 1 });
  await knex.schema.createTable("early_destruction_requests", (t) => {
    t.string("id", 36).primary();
    t.string("organization_id", 36).notNullable().references("organizations.id");
    t.string("reason", 2000).notNullable();
    t.string("state", 16).notNullable(); // pending | approved | rejected
    t.string("requested_by", 36).nullable();
    t.string("requested_at", 30).notNullable();
    t.string("decided_by", 36).nullable();
    t.string("decided_at", 30).nullable();
    t.string("decision_comment", 2000).nullable();
    t.index(["organization_id", "state"]);
  });
  await knex.schema.alterTable("organizations", (t) => {
    t.string("contract_ended_on", 10).nullable(); // R5.2: the participant's contract with the operator ended
    t.string("early_destruction_on", 10).nullable(); // approved early destruction: its documents may go from this day
    t.string("early_destruction_before", 30).nullable(); // ...those registered before this instant
  });
  await knex.schema.alterTable("documents", (t) => {
    t.string("retain_until", 10).nullable(); // null: kept until a pending trigger (contract end, event) happens
    t.string("retention_version_id", 36).nullable(); // the policy version that set it; null: the default rule
    t.string("retention_action", 16).notNullable().defaultTo("destroy"); // destroy | review
    // (retain_until, id): what is due, in the order a disposition walks it
    t.index(["retain_until", "id"], "documents_retain_until");
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("documents", (t) => {
    t.dropIndex(["retain_until", "id"], "documents_retain_until");
    for (const c of ["retain_until", "retention_version_id", "retention_action"]) t.dropColumn(c);
  });
  await knex.schema.alterTable("organizations", (t) => {
    for (const c of ["contract_ended_on", "early_destruction_on", "early_destruction_before"]) t.dropColumn(c);
  });
  for (const table of [
    "early_destruction_requests",
    "retention_state",
    "retention_events",
    "retention_policy_versions",
    "retention_policies",
  ])
    await knex.schema.dropTable(table);
}
