// Outbox honesty (SPEC R6.2): a claim is a short lease owned by one worker (its token), renewed
// while it sends; and the message about to be handed to SMTP is recorded before the transaction
// starts, so after a crash only that one can go out twice — with the same Message-ID.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("outbox", (t) => {
    t.string("claim_token", 36).nullable();
    t.string("attempting", 254).nullable(); // the addressee whose SMTP transaction started, not yet confirmed
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("outbox", (t) => {
    t.dropColumn("claim_token");
    t.dropColumn("attempting");
  });
}
