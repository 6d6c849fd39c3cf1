// What a registration reads about its sender and recipient — branch and organization, the
// subscription covering the sender and its plan — kept in memory between registrations. Every
// change to those tables bumps directory_version (triggers, see its migration), and the
// registration transaction reads that version: a registration prepared on facts of another version
// is checked again there, on fresh reads, before anything is written. A refusal is never made on
// remembered facts alone: the preparer asks the database again before it refuses (see
// registrationPreparer). Without the cache a registration costs three more queries, each a round
// trip through a busy event loop.
import { type Tx } from "../../storage/db.js";
import { sqlRows } from "../../storage/statements.js";
import { meteringFromDatabase } from "../billing/metering.js";
import type { SubscriptionRow } from "../billing/subscriptions.js";
import type { PlanRow } from "../billing/plans.js";
import { branchWithOrganization, type BranchRow, type OrganizationRow } from "../identity/queries.js";

export type BranchWhere = { branchId: string } | { organizationId: string; branchId: string | null };
export interface BranchFacts {
  org: OrganizationRow;
  branch: BranchRow;
}

/** The reads a registration's checks make; `version` is what they are as of (see DirectoryCache). */
export interface RegistrationLookups {
  branch(tx: Tx, where: BranchWhere): Promise<BranchFacts | null>;
  subscription(tx: Tx, branchPath: string): Promise<SubscriptionRow | null>;
  plan(tx: Tx, id: string): Promise<PlanRow>;
  /** undefined: read from the database just now; a number (or null, not yet known): the cache's version */
  version(): number | null | undefined;
}

export const directLookups: RegistrationLookups = {
  branch: branchWithOrganization,
  ...meteringFromDatabase,
  version: () => undefined,
};

export async function directoryVersion(tx: Tx): Promise<number> {
  const [row] = await sqlRows<{ version: number | string }>(
    tx,
    `select "version" from "directory_version" where "id" = 1`,
  );
  return Number(row.version);
}

/** More distinct keys than this and the cache starts over (a registration needs three). */
const MAX_ENTRIES = 20_000;

const frozen = <T>(v: T): T => {
  if (v && typeof v === "object") {
    for (const x of Object.values(v)) if (x && typeof x === "object") Object.freeze(x);
    Object.freeze(v);
  }
  return v;
};

export class DirectoryCache {
  /** The version the held facts are as of; null until a registration transaction has read it. */
  private version: number | null = null;
  private entries = new Map<string, { version: number; value: Promise<unknown> }>();

  /** Lookups for one registration. Its facts are as of one version, or unknown when they straddle two. */
  lookups(): RegistrationLookups {
    const started = this.version;
    let mixed = started === null;
    const get = <T>(key: string, load: () => Promise<T>): Promise<T> => {
      if (this.version === null) {
        mixed = true;
        return load();
      }
      let e = this.entries.get(key);
      if (!e) {
        if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
        const entry: { version: number; value: Promise<unknown> } = {
          version: this.version,
          value: null as unknown as Promise<unknown>,
        };
        const forget = () => {
          if (this.entries.get(key) === entry) this.entries.delete(key);
        };
        // Facts are shared by every registration that reads them: frozen, so none can change another's.
        // Absence is a fact too (most branches have no subscription): a row added later bumps the version.
        entry.value = load().then(frozen, (err) => {
          forget();
          throw err;
        });
        this.entries.set(key, entry);
        e = entry;
      }
      if (e.version !== started) mixed = true;
      return e.value as Promise<T>;
    };
    return {
      branch: (tx, where) =>
        get(`b:${"organizationId" in where ? `${where.organizationId}:${where.branchId ?? ""}` : where.branchId}`, () =>
          directLookups.branch(tx, where),
        ),
      subscription: (tx, path) => get(`s:${path}`, () => directLookups.subscription(tx, path)),
      plan: (tx, id) => get(`p:${id}`, () => directLookups.plan(tx, id)),
      version: () => (mixed ? null : started),
    };
  }

  /** A registration transaction read `version`: facts held as of another one are dropped. */
  observe(version: number): void {
    if (version === this.version) return;
    this.version = version;
    this.entries = new Map();
  }
}
