// Identity's writers for the facts other capabilities keep on its rows. Organizations and users are
// identity's tables; documents (acceptance policy, seal key), billing and retention (a contract's
// end, an approved early destruction) and privacy (pseudonymization, inactivity, consent) change
// them only through these functions, which they call from their own commands (and audit there).
import type { Tx } from "../../storage/db.js";

/** Columns of `organizations` that other capabilities own the meaning of. */
export interface OrganizationFacts {
  acceptance_mode?: "calendar" | "working";
  acceptance_days?: number | null;
  seal_key_label?: string | null;
  contract_ended_on?: string | null;
  early_destruction_on?: string | null;
  early_destruction_before?: string | null;
  /** its IANA time zone; null: the appliance's (SPEC R2.6) */
  time_zone?: string | null;
}

/** Sets facts of an organization; the number of rows changed (0: no such organization, or `onlyIfUnset` already set). */
export async function organizationFactsWriter(
  tx: Tx,
  id: string,
  facts: OrganizationFacts,
  at: string,
  onlyIfUnset?: keyof OrganizationFacts,
): Promise<number> {
  const q = tx("organizations").where({ id });
  if (onlyIfUnset) q.whereNull(onlyIfUnset);
  return q.update({ ...facts, updated_at: at });
}

/** What other capabilities read of an organization's facts. */
export function organizationFactsOf(
  db: Tx,
  id: string,
): Promise<
  | (Required<OrganizationFacts> & {
      id: string;
      name: string;
      bin: string | null;
      edrpou: string | null;
      rnokpp: string | null;
      kind: string;
    })
  | undefined
> {
  return db("organizations")
    .where({ id })
    .first(
      "id",
      "name",
      "bin",
      "edrpou",
      "rnokpp",
      "kind",
      "acceptance_mode",
      "acceptance_days",
      "seal_key_label",
      "contract_ended_on",
      "early_destruction_on",
      "early_destruction_before",
      "time_zone",
    );
}

/** Marks privacy keeps on a user (R5.6). */
export interface UserMarks {
  notifications_consent?: boolean;
  inactivity_warned_at?: string | null;
  removal_pending_since?: string | null;
  inactivity_reset_at?: string | null;
}

export function userMarksWriter(tx: Tx, id: string, marks: UserMarks, at?: string): Promise<number> {
  return tx("users")
    .where({ id })
    .update({ ...marks, ...(at ? { updated_at: at } : {}) });
}

/**
 * Replaces a user's personal data by a pseudonym derived from his id (R5.6) and removes what only
 * served him: password history, recovery codes, grants, login history; his sessions keep no address
 * or browser. False when he was already pseudonymized. Revoking his sessions is the caller's
 * (sessionsRevoker), before this.
 */
export async function userPseudonymWriter(tx: Tx, userId: string, reason: string, at: string): Promise<boolean> {
  const n = await tx("users")
    .where({ id: userId })
    .whereNull("pseudonymized_at")
    .update({
      login: `removed-${userId}`,
      email: `${userId}@removed.invalid`,
      full_name: `Removed user ${userId.slice(0, 8)}`,
      iin: null,
      password_hash: null,
      password_changed_at: null,
      totp_secret: null,
      totp_enabled: false,
      pending_totp_secret: null,
      status: "removed",
      notifications_consent: false,
      pseudonymized_at: at,
      pseudonymized_reason: reason,
      removal_pending_since: null,
      updated_at: at,
    });
  if (n !== 1) return false;
  for (const table of ["password_history", "recovery_codes", "role_grants", "login_events"])
    await tx(table).where({ user_id: userId }).delete();
  return true;
}

/** After sessions are revoked: they keep no address or browser. */
export function sessionsAnonymizer(tx: Tx, userId: string): Promise<number> {
  return tx("sessions").where({ user_id: userId }).update({ ip: null, user_agent: null });
}
