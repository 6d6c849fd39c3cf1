// Writing registrations (SPEC R2.1–R2.4): a batch of prepared registrations in one transaction —
// the document rows, their file rows, the usage counters and the audit entries commit together or not
// at all. The files themselves were staged and committed to the blob store by the caller just before.

import { ConflictError } from "../../../errors.js";
import { isPostgres, isUniqueViolation, type Tx } from "../../../storage/db.js";
import { deferForeignKeys, insertStatements, runStatements, statements } from "../../../storage/statements.js";
import type { Clock } from "../../../clock.js";
import { remembered } from "../../../storage/idempotency.js";
import { auditChain, auditHead, auditWrites } from "../../audit/commands.js";
import { auditKeyOf, type AuditKey } from "../../audit/key.js";
import { actorRef, type CommandContext } from "../../context.js";

import { retentionColumns, retentionForRegistration, type RetentionFactsCache } from "../../retention/facts.js";

import { presentDocument } from "../presenters.js";

import { usageCounter } from "../../billing/metering.js";
import { defaultPlanSubscriber } from "../../billing/subscriptions.js";
import { systemActor } from "../../identity/roles.js";
import { organizationInserter } from "../../identity/organizations.js";

import { directoryVersion, type DirectoryCache } from "../directoryCache.js";

import { numberTaken, type DocumentFileRow, type DocumentRow } from "../queries.js";
import { timeOrderedId } from "../../../storage/ids.js";

import { RegisteredFile, RegistrationProps } from "./metadata.js";
import { PreparedRegistration, registrationPreparer } from "./preparer.js";

export interface RegistrationItem {
  /** the registering request's context, without a transaction */
  ctx: Omit<CommandContext, "tx">;
  prepared: PreparedRegistration;
  /** what was prepared from: needed when the prepared facts are of another directory version */
  props?: RegistrationProps;
  /** the registration's files being made durable (committed to the blob store): awaited before the transaction commits */
  durable?: Promise<void>;
  files: RegisteredFile[];
  /** Idempotency-Key: the response is stored with the document */
  idempotency?: { principal: string; key: string; hash: string } | null;
}

export interface Registered {
  document: DocumentRow;
  files: DocumentFileRow[];
}

/**
 * Writes registrations the preparer has checked: for each, the document row, its file rows, the
 * usage-ledger entry, the audit entry and the stored idempotent response — for a whole batch in one
 * transaction with multi-row inserts (the registrar's group commit). The unique index on numbers is
 * the final word on duplicates; a violation fails the batch, which the group commit then retries
 * item by item so only the duplicate is refused. On SQLite the registrar first tries
 * registrationScript, which writes the same statements in one trip; this is the way every batch
 * can take, on both databases.
 */
export async function registrationWriter(
  tx: Tx,
  clock: Clock,
  items: RegistrationItem[],
  retentionFacts?: RetentionFactsCache,
  directory?: DirectoryCache,
): Promise<Registered[]> {
  // PostgreSQL, where several nodes register at once: the audit chain's head is the one row every
  // registration locks, so it is taken last and held for as little as possible — the files are
  // durable before anything is locked, every other row is written first, and then the head is
  // locked, the entries chained after it and written, and the transaction commits. SQLite has one
  // writer anyway: there the flush overlaps the statements (one round trip per dependency step,
  // not per statement, see `statements`).
  const pg = isPostgres(tx);
  if (pg) await Promise.all(items.map((it) => it.durable));
  const [version, firstHead, retentionOf] = (await statements(tx, [
    () => directoryVersion(tx),
    () => (pg ? Promise.resolve(null) : auditHead(tx)),
    () => retentionForRegistration(tx, items[0].ctx.config, retentionFacts),
    () => deferForeignKeys(tx),
  ])) as [number, Awaited<ReturnType<typeof auditHead>> | null, Awaited<ReturnType<typeof retentionForRegistration>>];
  let head = firstHead;
  directory?.observe(version);
  // Prepared on cached facts of another version: every check again, on this transaction's reads.
  for (const it of items) {
    if (it.prepared.factsVersion === undefined || it.prepared.factsVersion === version) continue;
    if (!it.props) throw new Error("a registration prepared on cached facts must carry its props");
    it.prepared = await registrationPreparer({ ...it.ctx, tx }, it.props, {
      id: it.prepared.row.id,
      now: it.prepared.row.created_at,
    });
  }
  // A counterparty new to the appliance is created with the document (it is invited when sent).
  for (const it of items) {
    if (!it.prepared.recipient.create) continue;
    await organizationInserter({ ...it.ctx, tx }, it.prepared.recipient.create.props, it.prepared.recipient.create.ids);
    // Like any participant it is metered from the start, on the default plan (SPEC R4.1).
    await defaultPlanSubscriber({ ...it.ctx, tx, actor: systemActor }, it.prepared.recipient.create.ids.id);
    if (!pg) head = await auditHead(tx); // the new organization's (and subscription's) audit entries moved the chain on
  }
  if (pg) {
    const { out, writes, audit } = registrationStatements(clock, items, null, retentionOf, auditKeyOf(tx));
    await runStatements(tx, writes);
    const locked = await auditHead(tx);
    headTakenAt.set(tx, performance.now());
    await runStatements(tx, audit(locked));
    return out;
  }
  const { out, writes } = registrationStatements(clock, items, head, retentionOf, auditKeyOf(tx));
  await runStatements(tx, writes);
  // The files must be durable before the rows that name them are: the transaction commits only
  // once every file of the batch is. Their flush ran meanwhile, overlapping the statements above.
  await Promise.all(items.map((it) => it.durable));
  return out;
}

/** When a registration transaction locked the audit head (PostgreSQL), for the hold-time measure. */
export const headTakenAt = new WeakMap<object, number>();

/** A batch's rows and the statements that write them, after the audit head `head` (no I/O). */
export function registrationStatements(
  clock: Clock,
  items: RegistrationItem[],
  /** null: the audit entries' statements come separately (`audit`), for a head taken later */
  head: { seq: number; hash: string } | null,
  retentionOf: ReturnType<typeof retentionColumns>,
  auditKey: AuditKey | null,
) {
  const out: Registered[] = [];
  const documents: Record<string, unknown>[] = [];
  const fileRows: DocumentFileRow[] = [];
  const ledger: Record<string, unknown>[] = [];
  for (const it of items) {
    const { row, sender, branch, recipientName, search } = it.prepared;
    documents.push({ ...row, search_as_sender: search(recipientName), search_as_recipient: search(sender.org.name) });
    let position = 0;
    const files: DocumentFileRow[] = it.files.map((f) => ({
      id: timeOrderedId(Date.parse(row.created_at)),
      document_id: row.id,
      role: f.role,
      position: f.role === "content" ? 0 : ++position,
      name: f.name,
      media_type: f.mediaType,
      size: f.size,
      sha256: f.sha256,
    }));
    fileRows.push(...files);
    ledger.push({
      organization_id: sender.org.id,
      branch_id: branch.id,
      document_id: row.id,
      event: "registration",
      bytes: row.total_bytes,
      at: row.created_at,
      subscription_id: it.prepared.metering?.subscriptionId ?? null,
      outgoing: row.direction === "outgoing",
    });
    out.push({ document: row, files });
  }
  const retention = retentionOf(out.map((o) => o.document));
  out.forEach((o, i) => {
    Object.assign(o.document, retention[i]);
    Object.assign(documents[i], retention[i]);
  });
  const auditItems = items.map((it, i) => {
    const { row, kind, number, meta, sender, recipient } = it.prepared;
    return {
      meta: { actor: actorRef(it.ctx.actor), ...it.ctx.meta },
      events: [
        {
          action: "document.register" as const,
          target: { type: "document", id: row.id },
          organizationId: sender.org.id,
          details: {
            kind,
            number,
            direction: meta.direction,
            recipientOrganizationId: recipient.org.id,
            files: out[i].files.map((f) => f.sha256),
            bytes: row.total_bytes,
          },
        },
      ],
    };
  });
  const audit = (after: { seq: number; hash: string }) => auditWrites(auditChain(after, clock, auditItems, auditKey));
  const writes = [
    ...insertStatements("documents", documents, 200),
    ...insertStatements("document_files", fileRows, 1000),
    ...insertStatements("usage_ledger", ledger, 1000),
    ...usageCounter(items.flatMap((it) => it.prepared.metering ?? [])),
    ...remembered(
      items.flatMap((it, i) =>
        it.idempotency
          ? [
              {
                ...it.idempotency,
                response: { status: 201, body: presentDocument(out[i].document, out[i].files) },
                at: out[i].document.created_at,
              },
            ]
          : [],
      ),
    ),
    ...(head ? audit(head) : []),
  ];
  return { out, writes, audit };
}

/** Why a registration hit a unique index: its number was taken meanwhile (409), or null when it was not that. */
export async function registrationConflict(
  db: Tx,
  p: PreparedRegistration,
  err: unknown,
): Promise<ConflictError | null> {
  if (!isUniqueViolation(err) || !p.number) return null;
  if (!(await numberTaken(db, p.sender.org.id, p.kind, p.year!, p.number))) return null;
  return new ConflictError(
    "number_taken",
    `${p.kind} No. ${p.number} of ${p.year} is already registered by this organization`,
    { number: p.number, year: p.year },
  );
}
