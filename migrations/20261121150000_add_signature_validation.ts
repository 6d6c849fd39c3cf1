// What was established about each signature when it was accepted (SPEC R3.2, R3.3): the holder's
// identifiers from the certificate, what kind of certificate it is, and the validation report —
// every check with its outcome, the chain up to the trusted CA, and the time of the check.
import type { Knex } from "knex";

export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable("document_signatures", (t) => {
    t.string("signer_iin", 12).nullable();
    t.string("signer_bin", 12).nullable();
    t.string("cert_purpose", 8).nullable(); // sign | auth | ca | other
    t.text("cert_roles").nullable(); // JSON array of NCA roles: first_head, signer, …
    t.string("cert_fingerprint", 64).nullable();
    t.text("validation").nullable(); // JSON: { checkedAt, checks: [{ check, ok, detail }], chain: [...] }
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable("document_signatures", (t) => {
    for (const c of ["signer_iin", "signer_bin", "cert_purpose", "cert_roles", "cert_fingerprint", "validation"])
      t.dropColumn(c);
  });
}
