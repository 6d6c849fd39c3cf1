// Disposition (SPEC R5.5): nothing is destroyed without a batch that one compliance officer
// previewed and another approved.
//
//  - The preview and the execution run one query — `dueDocuments(db, asOf)`: live documents whose
//    retain-until date is on or before the batch's as-of date — with the same as-of date, so the
//    execution destroys what the preview counted (less what a hold placed since then covers).
//  - A batch is previewed under a retention epoch; when anything that decides dates changes after
//    that (a policy version, an event, an early destruction) approval and execution are refused
//    with 409 preview_stale: preview again.
//  - Execution is resumable: each step destroys up to retention.batchSize documents in one
//    transaction (tombstones written, file/signature/receipt/history rows deleted, the row marked
//    `destroyed`, the batch's cursor and counters moved), so a crash redoes at most the step in
//    progress; blobs are removed after the step commits, and a tombstone records when they were, so
//    a resumed run removes what a crash left. A blob another live document shares stays.
//  - When no step is left the certificate is written: every destroyed document's hashes, signed by
//    the HSM system key (detached CMS) and timestamped (CAdES-T). Its body is kept in the blob store
//    under its SHA-256 (certificate_sha256); batches executed before that keep it in certificate_body.
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import type { Clock } from "../../clock.js";
import type { Config } from "../../config/index.js";
import { ConflictError, notFound, StateConflictError, UnavailableError } from "../../errors.js";
import type { Logger } from "../../log.js";
import type { Signer } from "../../pki/signer.js";
import { timestampSource, TimestampAuthority, TsaClient, withSignatureTimestamp } from "../../pki/tsa.js";
import type { TrustStore } from "../../pki/trust.js";
import type { BlobStore } from "../../storage/blobs.js";
import { type Db, type Tx } from "../../storage/db.js";
import { inLanes, inSlices } from "../../storage/statements.js";
import type { DocumentRecords } from "./documentRecords.js";
import { auditAppender } from "../audit/commands.js";
import type { CertificateServices } from "../signatures/validation.js";
import { actorRef, type RequestMeta } from "../context.js";
import type { Actor } from "../identity/roles.js";
import { heldDocumentIds, heldSql } from "./holds.js";
import { assertSecondOfficer, authorizeCompliance } from "./compliance.js";
import { retentionEpoch } from "./facts.js";
import { retentionAssigner } from "./assignment.js";
import { yieldToRequests } from "../../storage/writeBudget.js";

export interface DispositionDeps {
  db: Db;
  config: Config;
  clock: Clock;
  logger: Logger;
  signer: Signer;
  blobs: BlobStore;
  trust: TrustStore;
  pki: CertificateServices;
  timestampAuthority: TimestampAuthority | null;
  /** documents' writes retention needs (documentRecords.ts) */
  documentRecords: DocumentRecords;
}

export interface BatchRow {
  id: string;
  state: string;
  as_of: string;
  epoch: number;
  preview: string;
  document_count: number | string;
  bytes: number | string;
  previewed_by: string;
  previewed_at: string;
  approved_by: string | null;
  approved_at: string | null;
  cursor: string | null;
  destroyed_count: number | string;
  destroyed_bytes: number | string;
  skipped_held: number | string;
  executed_at: string | null;
  certificate_body: string | null;
  certificate_cms: Buffer | null;
  certificate_sha256: string | null;
  timestamped_at: string | null;
  cancelled_by: string | null;
  cancelled_at: string | null;
}

const OPEN = ["previewed", "approved", "executing"];

/** The one query of what is due on `asOf`: live documents kept until that day or before. */
export const dueDocuments = (db: Tx, asOf: string) =>
  db("documents")
    .whereNot("documents.status", "destroyed")
    .whereNotNull("documents.retain_until")
    .where("documents.retain_until", "<=", asOf);

interface Group {
  organizationId: string;
  kind: string;
  documents: number;
  bytes: number;
  oldestRegisteredAt: string;
  newestRegisteredAt: string;
  earliestRetainUntil: string;
  latestRetainUntil: string;
}
interface Bucket {
  documents: number;
  bytes: number;
  oldestRegisteredAt: string | null;
  newestRegisteredAt: string | null;
  byOrganizationAndKind: Group[];
}

/** Counts of what is due on `asOf`: to destroy, skipped because held, and left for review — per sender organization and kind. */
export async function dispositionCounts(db: Tx, asOf: string) {
  const rows: any[] = await dueDocuments(db, asOf)
    .select(
      db.raw(
        `documents.sender_organization_id as org, documents.kind as kind, documents.retention_action as action, case when ${heldSql()} then 1 else 0 end as held,
     count(*) as n, sum(documents.total_bytes) as bytes, min(documents.created_at) as oldest, max(documents.created_at) as newest,
     min(documents.retain_until) as first_due, max(documents.retain_until) as last_due`,
      ),
    )
    .groupByRaw("1, 2, 3, 4")
    .orderByRaw("1, 2");
  const bucket = (): Bucket => ({
    documents: 0,
    bytes: 0,
    oldestRegisteredAt: null,
    newestRegisteredAt: null,
    byOrganizationAndKind: [],
  });
  const out = { destroy: bucket(), held: bucket(), review: bucket() };
  for (const r of rows) {
    const b = Number(r.held) ? out.held : r.action === "review" ? out.review : out.destroy;
    const g: Group = {
      organizationId: r.org,
      kind: r.kind,
      documents: Number(r.n),
      bytes: Number(r.bytes),
      oldestRegisteredAt: r.oldest,
      newestRegisteredAt: r.newest,
      earliestRetainUntil: r.first_due,
      latestRetainUntil: r.last_due,
    };
    b.byOrganizationAndKind.push(g);
    b.documents += g.documents;
    b.bytes += g.bytes;
    if (!b.oldestRegisteredAt || g.oldestRegisteredAt < b.oldestRegisteredAt)
      b.oldestRegisteredAt = g.oldestRegisteredAt;
    if (!b.newestRegisteredAt || g.newestRegisteredAt > b.newestRegisteredAt)
      b.newestRegisteredAt = g.newestRegisteredAt;
  }
  return out;
}

const meta = (actor: Actor, m: RequestMeta) => ({ actor: actorRef(actor), ...m });

/**
 * A compliance officer previews what is due on `asOf` (default today, never later): retain-until
 * dates are brought up to date first, then counted. The batch replaces any earlier preview not yet
 * approved; one approved or executing batch at a time.
 */
export async function dispositionPreviewer(deps: DispositionDeps, actor: Actor, m: RequestMeta, p: { asOf?: string }) {
  authorizeCompliance(actor, "disposition.preview");
  const today = deps.clock.now().toISOString().slice(0, 10);
  const asOf = p.asOf ?? today;
  if (asOf > today)
    throw new ConflictError("as_of_in_future", "A disposition is previewed as of today or an earlier day", { today });
  const state = await retentionEpoch(deps.db);
  if (state.assignedEpoch < state.epoch) await retentionAssigner(deps.db, deps.config, deps.documentRecords);
  const { epoch } = await retentionEpoch(deps.db);
  const counts = await dispositionCounts(deps.db, asOf);
  return deps.db.transaction(async (tx) => {
    if (await tx("disposition_batches").whereIn("state", ["approved", "executing"]).first("id")) {
      throw new ConflictError(
        "disposition_in_progress",
        "An approved disposition has not finished yet: execute or cancel it first",
      );
    }
    const now = deps.clock.now().toISOString();
    await tx("disposition_batches")
      .where({ state: "previewed" })
      .update({ state: "cancelled", cancelled_by: actor.id, cancelled_at: now });
    const row = {
      id: randomUUID(),
      state: "previewed",
      as_of: asOf,
      epoch,
      preview: JSON.stringify(counts),
      document_count: counts.destroy.documents,
      bytes: counts.destroy.bytes,
      previewed_by: actor.id!,
      previewed_at: now,
      destroyed_count: 0,
      destroyed_bytes: 0,
      skipped_held: 0,
    };
    await tx("disposition_batches").insert(row);
    await auditAppender(tx, deps.clock, meta(actor, m), [
      {
        action: "disposition.preview",
        target: { type: "disposition_batch", id: row.id },
        details: {
          asOf,
          epoch,
          documents: counts.destroy.documents,
          bytes: counts.destroy.bytes,
          held: counts.held.documents,
          review: counts.review.documents,
        },
      },
    ]);
    return presentBatch((await tx("disposition_batches").where({ id: row.id }).first())!);
  });
}

async function assertCurrent(db: Tx, b: BatchRow) {
  const { epoch } = await retentionEpoch(db);
  if (epoch !== Number(b.epoch)) {
    throw new StateConflictError(
      "preview_stale",
      "Retention rules changed after this preview (a policy version, event or early destruction): preview again",
      { previewEpoch: Number(b.epoch), epoch },
    );
  }
}

/** A second compliance officer approves (or cancels) the previewed batch. */
export async function dispositionDecider(
  deps: DispositionDeps,
  actor: Actor,
  m: RequestMeta,
  id: string,
  approve: boolean,
) {
  authorizeCompliance(actor, "disposition.approve");
  return deps.db.transaction(async (tx) => {
    const b: BatchRow | undefined = await tx("disposition_batches").where({ id }).first();
    if (!b) throw notFound();
    if (approve) {
      if (b.state !== "previewed")
        throw new StateConflictError("not_previewed", `The batch is ${b.state}`, { state: b.state });
      assertSecondOfficer(actor, b.previewed_by, "A disposition");
      await assertCurrent(tx, b);
      await tx("disposition_batches")
        .where({ id })
        .update({ state: "approved", approved_by: actor.id, approved_at: deps.clock.now().toISOString() });
    } else {
      if (b.state !== "previewed" && b.state !== "approved")
        throw new StateConflictError("not_cancellable", `The batch is ${b.state}`, { state: b.state });
      await tx("disposition_batches")
        .where({ id })
        .update({ state: "cancelled", cancelled_by: actor.id, cancelled_at: deps.clock.now().toISOString() });
    }
    await auditAppender(tx, deps.clock, meta(actor, m), [
      {
        action: approve ? "disposition.approve" : "disposition.cancel",
        target: { type: "disposition_batch", id },
        details: { asOf: b.as_of, documents: Number(b.document_count), previewedBy: b.previewed_by },
      },
    ]);
    return presentBatch((await tx("disposition_batches").where({ id }).first())!);
  });
}

/** The timestamp source for certificates: the configured TSA, else the appliance's own. */
function timestampClient(deps: DispositionDeps): TsaClient | null {
  return timestampSource(
    deps.pki.timestamps?.client ?? null,
    deps.timestampAuthority,
    deps.trust,
    deps.config.tsa.timeoutMs,
  );
}

const running = new Map<string, Promise<ReturnType<typeof presentBatch>>>();

/**
 * Executes an approved batch, or resumes one a crash or a step limit interrupted. `maxSteps`
 * bounds the write transactions of this call (the rest is resumed by the next call or the daily job).
 */
export function dispositionExecutor(
  deps: DispositionDeps,
  actor: Actor,
  m: RequestMeta,
  id: string,
  opts: { maxSteps?: number } = {},
) {
  authorizeCompliance(actor, "disposition.execute");
  const inFlight = running.get(id);
  if (inFlight) return inFlight;
  const run = execute(deps, actor, m, id, opts).finally(() => running.delete(id));
  running.set(id, run);
  return run;
}

async function execute(deps: DispositionDeps, actor: Actor, m: RequestMeta, id: string, opts: { maxSteps?: number }) {
  const { db, clock } = deps;
  const b: BatchRow | undefined = await db("disposition_batches").where({ id }).first();
  if (!b) throw notFound();
  if (b.state === "executed") return presentBatch(b);
  if (b.state !== "approved" && b.state !== "executing")
    throw new StateConflictError("not_approved", `Only an approved batch is executed; this one is ${b.state}`, {
      state: b.state,
    });
  if (b.state === "approved") {
    // Nothing is destroyed unless the certificate can be made: a system key and a timestamp source.
    const hsm = await deps.signer.status();
    if (!hsm.available)
      throw new UnavailableError("hsm_unavailable", `The disposition certificate cannot be signed: ${hsm.detail}`);
    if (!timestampClient(deps))
      throw new UnavailableError(
        "tsa_not_configured",
        "The disposition certificate cannot be timestamped: configure tsa.url or tsa.serve",
      );
    await assertCurrent(db, b);
    const n = await db("disposition_batches").where({ id, state: "approved" }).update({ state: "executing" });
    if (n !== 1) return presentBatch((await db("disposition_batches").where({ id }).first())!);
    await auditAppender(db, clock, meta(actor, m), [
      { action: "disposition.start", target: { type: "disposition_batch", id }, details: { asOf: b.as_of } },
    ]);
  }
  await removeBlobs(deps, id);
  let steps = 0;
  for (;;) {
    if (opts.maxSteps !== undefined && steps >= opts.maxSteps)
      return presentBatch((await db("disposition_batches").where({ id }).first())!);
    const more = await step(deps, actor, m, id);
    steps += 1;
    await removeBlobs(deps, id);
    if (!more) break;
    await yieldToRequests();
  }
  const done: BatchRow = (await db("disposition_batches").where({ id }).first())!;
  if (!done.certificate_cms) await certify(deps, actor, m, done);
  return presentBatch((await db("disposition_batches").where({ id }).first())!);
}

/**
 * Rows (or ids) per statement of a step. Building a statement is event-loop work that grows with
 * its rows — some 20 ms for 500 tombstones on a small machine — while the API waits; at 100 each
 * stretch stays a few milliseconds, and the requests get in between the statements.
 */
const STATEMENT_ROWS = 100;

/** One transaction: the next documents due (by id after the cursor) destroyed, held ones skipped. Returns whether any were left. */
async function step(deps: DispositionDeps, actor: Actor, m: RequestMeta, id: string): Promise<boolean> {
  const { clock, config } = deps;
  return deps.db.transaction(async (tx) => {
    const b: BatchRow = (await tx("disposition_batches").where({ id }).first())!;
    await assertCurrent(tx, b);
    // Walked in (retain_until, id) order from the cursor, on the index of that pair; a destroyed
    // document's retain_until is cleared, so what is done drops out of the range.
    const q = dueDocuments(tx, b.as_of)
      .where("documents.retention_action", "destroy")
      .orderBy([{ column: "documents.retain_until" }, { column: "documents.id" }])
      .limit(config.retention.batchSize)
      .select(
        "id",
        "kind",
        "number",
        "sender_organization_id",
        "recipient_organization_id",
        "content_sha256",
        "total_bytes",
        "created_at",
        "doc_date",
        "retain_until",
        "retention_version_id",
      );
    if (b.cursor) {
      const [until, after] = b.cursor.split(" ");
      q.where((w) =>
        w
          .where("documents.retain_until", ">", until)
          .orWhere((x) => x.where("documents.retain_until", until).where("documents.id", ">", after)),
      );
    }
    const rows: any[] = await q;
    if (rows.length === 0) return false;
    const held = await heldDocumentIds(
      tx,
      rows.map((r) => r.id),
    );
    const doomed = rows.filter((r) => !held.has(r.id));
    const ids = doomed.map((r) => r.id);
    const now = clock.now().toISOString();
    const bytes = doomed.reduce((n, d) => n + Number(d.total_bytes), 0);
    if (ids.length) {
      type FileRef = { document_id: string; role: string; sha256: string; size: number | string };
      const files = await inSlices(
        ids,
        STATEMENT_ROWS,
        (slice) =>
          tx("document_files")
            .whereIn("document_id", slice)
            .orderBy(["document_id", "role", "position"])
            .select("document_id", "role", "sha256", "size") as Promise<FileRef[]>,
      );
      const byDoc = new Map<string, FileRef[]>();
      for (const f of files) {
        if (!byDoc.has(f.document_id)) byDoc.set(f.document_id, []);
        byDoc.get(f.document_id)!.push(f);
      }
      const tombstones = doomed.map((d) => ({
        document_id: d.id,
        batch_id: id,
        kind: d.kind,
        number: d.number,
        sender_organization_id: d.sender_organization_id,
        recipient_organization_id: d.recipient_organization_id,
        content_sha256: d.content_sha256,
        files: JSON.stringify(
          (byDoc.get(d.id) ?? []).map((f) => ({ role: f.role, sha256: f.sha256, size: Number(f.size) })),
        ),
        bytes: Number(d.total_bytes),
        registered_at: d.created_at,
        doc_date: d.doc_date,
        retain_until: d.retain_until,
        retention_version_id: d.retention_version_id,
        destroyed_at: now,
        blobs_removed_at: null,
      }));
      await inSlices(tombstones, STATEMENT_ROWS, (slice) => tx("document_tombstones").insert(slice));
      // Documents destroy their own rows (documents/retentionRecords.ts), a slice at a time.
      await inSlices(ids, STATEMENT_ROWS, (slice) => deps.documentRecords.documentsDestroyer(tx, slice, now));
    }
    await tx("disposition_batches")
      .where({ id })
      .update({
        cursor: `${rows[rows.length - 1].retain_until} ${rows[rows.length - 1].id}`,
        destroyed_count: tx.raw("destroyed_count + ?", [ids.length]),
        destroyed_bytes: tx.raw("destroyed_bytes + ?", [bytes]),
        skipped_held: tx.raw("skipped_held + ?", [held.size]),
      });
    await auditAppender(tx, clock, meta(actor, m), [
      {
        action: "disposition.step",
        target: { type: "disposition_batch", id },
        details: {
          destroyed: ids.length,
          bytes,
          skippedHeld: [...held],
          first: rows[0].id,
          last: rows[rows.length - 1].id,
        },
      },
    ]);
    return rows.length === config.retention.batchSize;
  });
}

const UNLINK_LANES = 8;

/** Removes the blobs of this batch's tombstones that no live document still refers to. */
async function removeBlobs(deps: DispositionDeps, id: string) {
  const { db } = deps;
  for (;;) {
    const stones: Array<{ document_id: string; files: string }> = await db("document_tombstones")
      .where({ batch_id: id })
      .whereNull("blobs_removed_at")
      .limit(500)
      .select("document_id", "files");
    if (stones.length === 0) return;
    const hashes = [
      ...new Set(stones.flatMap((s) => (JSON.parse(s.files) as Array<{ sha256: string }>).map((f) => f.sha256))),
    ];
    const live = new Set(
      (
        await inSlices(
          hashes,
          500,
          (slice) =>
            db("document_files").whereIn("sha256", slice).distinct("sha256") as Promise<Array<{ sha256: string }>>,
        )
      ).map((r) => r.sha256),
    );
    // A few removals in flight at a time: the thread pool that runs them also runs every query.
    await inLanes(
      hashes.filter((h) => !live.has(h)),
      UNLINK_LANES,
      (h) => deps.blobs.remove(h),
    );
    await db("document_tombstones")
      .whereIn(
        "document_id",
        stones.map((s) => s.document_id),
      )
      .update({ blobs_removed_at: deps.clock.now().toISOString() });
  }
}

/** The certificate: every destroyed document's hashes, signed by the system key and timestamped. */
async function certify(deps: DispositionDeps, actor: Actor, m: RequestMeta, b: BatchRow) {
  const { db, clock } = deps;
  // The body (some 40 MB for 100,000 documents) is streamed a page at a time into the blob store,
  // which hashes it as it writes; its SHA-256 is both what the HSM signs and where it is kept. Small
  // pages with a yield between them keep every stretch of event-loop work to a few milliseconds
  // while the API serves requests.
  const [{ n }] = await db("document_tombstones").where({ batch_id: b.id }).count({ n: "*" });
  const destroyed = Number(n);
  const executedAt = clock.now().toISOString();
  const head = JSON.stringify({
    format: "qujat.disposition-certificate/1",
    appliance: deps.config.server.publicUrl || deps.config.server.host,
    // where the destroyed content was kept, and removed from: the one store every node shares
    store: deps.blobs.location,
    batch: b.id,
    asOf: b.as_of,
    epoch: Number(b.epoch),
    previewedBy: b.previewed_by,
    previewedAt: b.previewed_at,
    approvedBy: b.approved_by,
    approvedAt: b.approved_at,
    executedAt,
    destroyed,
    bytes: Number(b.destroyed_bytes),
    skippedHeld: Number(b.skipped_held),
    documents: [],
  });
  let listed = 0;
  async function* body() {
    yield Buffer.from(head.slice(0, -2));
    let after = "";
    for (;;) {
      const rows: any[] = await db("document_tombstones")
        .where({ batch_id: b.id })
        .where("document_id", ">", after)
        .orderBy("document_id")
        .limit(CERTIFICATE_PAGE);
      await yieldToRequests();
      if (rows.length) {
        yield Buffer.from(
          (listed ? "," : "") +
            rows
              .map((t) =>
                JSON.stringify({
                  id: t.document_id,
                  kind: t.kind,
                  number: t.number,
                  sender: t.sender_organization_id,
                  recipient: t.recipient_organization_id,
                  sha256: t.content_sha256,
                  files: (JSON.parse(t.files) as Array<{ sha256: string }>).map((f) => f.sha256),
                  bytes: Number(t.bytes),
                  registeredAt: t.registered_at,
                  retainUntil: t.retain_until,
                  policyVersion: t.retention_version_id,
                  destroyedAt: t.destroyed_at,
                }),
              )
              .join(","),
        );
        listed += rows.length;
      }
      if (rows.length < CERTIFICATE_PAGE) break;
      after = rows[rows.length - 1].document_id;
    }
    yield Buffer.from("]}");
  }
  const staged = await deps.blobs.stage(Readable.from(body()));
  try {
    if (listed !== destroyed) throw new Error(`disposition ${b.id}: ${listed} tombstones listed, ${destroyed} counted`);
    const signed = await deps.signer.signSystemDigest(Buffer.from(staged.sha256, "hex"));
    const client = timestampClient(deps);
    if (!client)
      throw new UnavailableError(
        "tsa_not_configured",
        "The disposition certificate cannot be timestamped: configure tsa.url or tsa.serve",
      );
    const { cms, info } = await withSignatureTimestamp(signed, client);
    await staged.commit(); // the body is on disk before the row that names it (the blob sweep keeps it from then on)
    await db.transaction(async (tx) => {
      await tx("disposition_batches").where({ id: b.id }).update({
        state: "executed",
        executed_at: executedAt,
        certificate_cms: cms,
        certificate_sha256: staged.sha256,
        timestamped_at: info.genTime,
      });
      await auditAppender(tx, clock, meta(actor, m), [
        {
          action: "disposition.execute",
          target: { type: "disposition_batch", id: b.id },
          details: {
            destroyed,
            bytes: Number(b.destroyed_bytes),
            skippedHeld: Number(b.skipped_held),
            certificateSha256: staged.sha256,
            timestampedAt: info.genTime,
          },
        },
      ]);
    });
  } finally {
    await staged.discard(); // nothing once committed
  }
}

/** Tombstones per page of the certificate: about 100 KB of JSON, a few milliseconds of work. */
const CERTIFICATE_PAGE = 250;

/** Approved or interrupted batches, for the daily job to carry on. */
export async function unfinishedBatches(db: Tx): Promise<string[]> {
  return (await db("disposition_batches").whereIn("state", ["approved", "executing"]).select("id")).map(
    (r: { id: string }) => r.id,
  );
}

export async function openBatch(db: Tx): Promise<boolean> {
  return Boolean(await db("disposition_batches").whereIn("state", OPEN).first("id"));
}

export function presentBatch(b: BatchRow) {
  return {
    id: b.id,
    state: b.state,
    asOf: b.as_of,
    epoch: Number(b.epoch),
    preview: JSON.parse(b.preview),
    documents: Number(b.document_count),
    bytes: Number(b.bytes),
    previewedBy: b.previewed_by,
    previewedAt: b.previewed_at,
    approvedBy: b.approved_by,
    approvedAt: b.approved_at,
    progress: {
      destroyed: Number(b.destroyed_count),
      bytes: Number(b.destroyed_bytes),
      skippedHeld: Number(b.skipped_held),
      cursor: b.cursor,
    },
    executedAt: b.executed_at,
    certificate: b.certificate_sha256 ? { sha256: b.certificate_sha256, timestampedAt: b.timestamped_at } : null,
    cancelledBy: b.cancelled_by,
    cancelledAt: b.cancelled_at,
  };
}

/** Disposition batches, newest preview first (without their certificates' bodies). */
export function dispositionBatches(db: Tx, limit: number): Promise<BatchRow[]> {
  return db("disposition_batches")
    .select(db.raw("*"))
    .orderBy("previewed_at", "desc")
    .limit(limit) as unknown as Promise<BatchRow[]>;
}

export function dispositionBatch(db: Tx, id: string): Promise<BatchRow | undefined> {
  return db("disposition_batches").where({ id }).first();
}
