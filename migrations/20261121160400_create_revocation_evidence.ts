// The CRLs signatures were checked against (SPEC R3.3): kept once each (by SHA-256), so a
// signature's evidence holds the very CRL that was used, years later. OCSP responses, small and
// one per check, stay inside the signature's validation report.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable("revocation_evidence", (t) => {
    t.string("sha256", 64).primary();
    t.string("kind", 8).notNullable(); // crl
    t.text("url").notNullable();
    t.binary("der").notNullable();
    t.string("created_at", 30).notNullable();
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable("revocation_evidence");
}
