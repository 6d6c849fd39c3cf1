// The registration's fast path on SQLite: the same statements as registrationWriter (writer.ts),
// written as one script in one transaction on the writing connection, its facts read just before and
// guarded under the write lock. Its results must stay identical to the plain Knex path (the
// registration tests run both); anything it cannot guarantee falls back to the writer.

import { type Db } from "../../../storage/db.js";
import { guard, sqliteScript, sqliteWriter } from "../../../storage/sqlite/script.js";
import type { Clock } from "../../../clock.js";

import { retentionColumns, type RetentionFactsCache } from "../../retention/facts.js";

import { type DirectoryCache } from "../directoryCache.js";

import { Registered, RegistrationItem, registrationStatements } from "./writer.js";
import { auditKeyOf } from "../../audit/key.js";
/** What registrationScript reads before its transaction, on the writing connection. */
const DIRECTORY_VERSION = `(select "version" from "directory_version" where "id" = 1)`;

const RETENTION_EPOCH = `(select "epoch" from "retention_state" where "id" = 1)`;

const SCRIPT_FACTS = `select ${DIRECTORY_VERSION} as "version", ${RETENTION_EPOCH} as "epoch", "seq", "hash" from "audit_head" where "id" = 1`;

/**
 * SQLite: a batch of registrations as one script in one transaction on the writing connection
 * (sqliteWriter) — one trip through the thread pool instead of registrationWriter's four, each of
 * which waits its turn on a busy event loop while the batch holds the one writer. What the writes
 * depend on (the directory version, the audit head, the retention epoch) is read just before, on
 * the same connection, and the script checks it again under its write lock: the audit head moves
 * only from the head read, and a guard fails the script when the version or the epoch moved (the
 * CLI may write from another process). Null — nothing written — when the batch needs
 * registrationWriter: a registration prepared on other facts, a new counterparty, retention facts
 * not held, a file that failed to become durable, a guard, a quota or a unique index that refused.
 */
export async function registrationScript(
  db: Db,
  clock: Clock,
  items: RegistrationItem[],
  retentionFacts: RetentionFactsCache,
  directory?: DirectoryCache,
): Promise<Registered[] | null> {
  if (items.some((it) => it.prepared.recipient.create || it.prepared.factsVersion === undefined)) return null;
  return sqliteWriter(db, async (w) => {
    const [read, durable] = await Promise.allSettled([
      w.rows<{ version: number; epoch: number; seq: number; hash: string }>(SCRIPT_FACTS),
      Promise.all(items.map((it) => it.durable)), // the files are durable before the rows that name them
    ]);
    if (read.status === "rejected" || durable.status === "rejected") return null;
    const [{ version, epoch, seq, hash }] = read.value;
    directory?.observe(version);
    const facts = retentionFacts.at(epoch);
    if (!facts || items.some((it) => it.prepared.factsVersion !== version)) return null;
    const { out, writes } = registrationStatements(
      clock,
      items,
      { seq, hash },
      retentionColumns(facts),
      auditKeyOf(db),
    );
    const script = sqliteScript([
      guard(`${DIRECTORY_VERSION} <> ? or ${RETENTION_EPOCH} <> ?`, [version, epoch]),
      ...writes,
    ]);
    if (script === null) return null;
    return w.transaction(script).then(
      () => out,
      () => null,
    );
  }).catch(() => null);
}
