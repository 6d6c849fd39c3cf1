// Billing's block lives on the subscription (block_stage) alone: branches blocked by billing's
// "full" stage (status 'blocked', block_reason 'billing: …') go back to their own status, which only
// an operator's administrative block sets. A backfill; the schema does not change.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex("branches")
    .where({ status: "blocked" })
    .where("block_reason", "like", "billing:%")
    .update({ status: "active", block_reason: null });
}

export async function down(knex: Knex): Promise<void> {
  const full: Array<{ branch_id: string }> = await knex("subscriptions")
    .where({ block_stage: "full" })
    .select("branch_id");
  for (const s of full) {
    await knex("branches")
      .where({ id: s.branch_id, status: "active" })
      .update({ status: "blocked", block_reason: "billing: an invoice unpaid for months" });
  }
}
