// Registering a document (SPEC R2.1–R2.4): the whole flow after the files are staged. A retry under
// an Idempotency-Key gets the first response again; every check runs before any byte is kept; the
// files are made durable while the registration waits for its batch, and the batch commits only
// once they are; a unique index that still races is translated into the refusal it means.
import { stableJson } from "../../audit/chain.js";
import type { CommandContext } from "../../context.js";
import type { Db } from "../../../storage/db.js";
import type { GroupCommit } from "../../../storage/groupCommit.js";
import { replay, requestHash } from "../../../storage/idempotency.js";
import { isUniqueViolation } from "../../../storage/db.js";
import type { DirectoryCache } from "../directoryCache.js";
import { presentDocument } from "../presenters.js";
import { fileReferenced } from "../queries.js";
import { registrationPreparer } from "./preparer.js";
import { registrationConflict, type Registered, type RegistrationItem } from "./writer.js";

/** Files staged in the blob store, not yet kept (http/upload.ts makes them). */
export interface StagedUpload {
  metadata: unknown;
  files: Array<{
    role: "content" | "attachment";
    name: string;
    mediaType: string;
    staged: { sha256: string; size: number };
  }>;
  /** moves every file to its content address, durably */
  commit(): Promise<void>;
  /** drops what is still staged; committed files stay */
  discard(): Promise<void>;
  /** drops what is staged and removes what this upload committed that nothing refers to */
  withdraw(isReferenced: (sha256: string) => Promise<boolean>): Promise<void>;
}

export interface RegistrarDeps {
  db: Db;
  reader: Db;
  registrar: GroupCommit<RegistrationItem, Registered>;
  directory: DirectoryCache;
}

export type RegistrationOutcome =
  | { replayed: false; status: 201; body: ReturnType<typeof presentDocument> }
  | { replayed: true; status: number; body: unknown };

/** The upload is kept on success and withdrawn on any refusal or replay: a refusal keeps no byte. */
export async function documentRegistrar(
  deps: RegistrarDeps,
  c: CommandContext,
  upload: StagedUpload,
  idempotency: { principal: string; key: string } | null,
): Promise<RegistrationOutcome> {
  try {
    const hash = requestHash([
      stableJson(upload.metadata ?? null),
      ...upload.files.map((f) => `${f.role}:${f.name}:${f.mediaType}:${f.staged.sha256}`),
    ]);
    if (idempotency) {
      const earlier = await replay(deps.reader, idempotency.principal, idempotency.key, hash);
      if (earlier) {
        await upload.discard();
        return { replayed: true, status: earlier.status, body: earlier.body };
      }
    }
    const files = upload.files.map((f) => ({
      role: f.role,
      name: f.name,
      mediaType: f.mediaType,
      sha256: f.staged.sha256,
      size: f.staged.size,
    }));
    const props = { metadata: upload.metadata, files };
    const prepared = await registrationPreparer({ ...c, tx: deps.reader }, props, { cache: deps.directory });
    // Blobs first: the registrar commits the document's transaction only once they are durable (a
    // crash in between leaves at worst an unreferenced blob for the sweep). Meanwhile the
    // registration waits for its batch and its statements run: the flush overlaps both.
    const durable = upload.commit();
    durable.catch(() => {}); // the registrar reports it
    const { tx: _tx, ...withoutTx } = c;
    const stored = idempotency ? { ...idempotency, hash } : null;
    try {
      const r = await deps.registrar.submit({ ctx: withoutTx, prepared, props, files, durable, idempotency: stored });
      await upload.discard(); // kept: only lets go of the files
      return { replayed: false, status: 201, body: presentDocument(r.document, r.files) };
    } catch (err) {
      // Two retries racing with one key: the loser answers with the winner's response.
      const earlier =
        stored && isUniqueViolation(err) ? await replay(deps.db, stored.principal, stored.key, hash) : null;
      if (earlier) {
        await upload.discard(); // the winner's document refers to the same files
        return { replayed: false, status: 201, body: earlier.body as ReturnType<typeof presentDocument> };
      }
      throw (await registrationConflict(deps.db, prepared, err)) ?? err;
    }
  } catch (err) {
    // Refused after its files were committed (a quota or a block found in the batch): the bytes
    // this upload added go too, unless another document refers to them (README: refused input keeps nothing).
    await upload.withdraw((sha256) => fileReferenced(deps.db, sha256));
    throw err;
  }
}
