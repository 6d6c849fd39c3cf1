// Reading a document upload: multipart/form-data (`metadata` JSON field, `content` file, any number
// of `attachments[]` files) streamed part by part into staged blobs while hashing, or JSON with
// base64 files for small documents. Nothing is kept unless the caller commits: over the size limit,
// a bad file name, a type that contradicts the bytes, or a client that goes away mid-upload all
// discard every staged file.
import busboy from "busboy";
import { fileTypeFromBuffer, fileTypeFromFile } from "file-type";
import type { Context } from "koa";
import { Readable } from "node:stream";
import { PayloadTooLargeError, UnsupportedMediaTypeError, ValidationError } from "../errors.js";
import type { BlobStore, StagedBlob } from "../storage/blobs.js";

export interface UploadedFile {
  role: "content" | "attachment";
  name: string;
  mediaType: string;
  staged: StagedBlob;
}

export interface Upload {
  metadata: unknown;
  files: UploadedFile[];
  /** Moves every file to its content address; call before the database transaction commits. */
  commit(): Promise<void>;
  /** Drops what is still staged; committed files stay (and are let go of). */
  discard(): Promise<void>;
  /** Drops what is staged and removes what this upload committed that `isReferenced` says nothing refers to. */
  withdraw(isReferenced: (sha256: string) => Promise<boolean>): Promise<void>;
}

const MAX_FILES = 100;
const MAX_METADATA_BYTES = 256 * 1024;

/** Types whose bytes always carry a signature file-type recognizes: declaring one for other bytes is a lie. */
const SNIFFABLE =
  /^(application\/(pdf|zip|gzip|x-7z-compressed|vnd\.openxmlformats-officedocument\..+|msword|vnd\.ms-excel|x-cfb)|image\/(png|jpeg|gif|webp|tiff|bmp)|audio\/.+|video\/.+)$/;
/** Containers file-type reports by their container type. */
const SAME_BYTES: Record<string, string[]> = {
  "application/zip": [
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
  ],
  "application/x-cfb": ["application/msword", "application/vnd.ms-excel"],
};

// eslint-disable-next-line no-control-regex -- control characters are what it refuses
const NOT_IN_A_FILE_NAME = /[/\\\u0000-\u001f\u007f]/;

/** A plain file name: no directories, no parent references, no control characters. */
export function checkFileName(raw: string | undefined): string {
  const name = (raw ?? "").normalize("NFC");
  if (
    !name ||
    name.length > 255 ||
    NOT_IN_A_FILE_NAME.test(name) ||
    name === "." ||
    name === ".." ||
    name.startsWith("..")
  ) {
    throw new ValidationError("bad_file_name", `The file name ${JSON.stringify(raw ?? "")} is not a plain file name`);
  }
  return name;
}

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

function checkMediaType(raw: string | undefined): string {
  const t = (raw ?? "application/octet-stream").split(";")[0].trim().toLowerCase();
  if (!MEDIA_TYPE.test(t)) throw new ValidationError("bad_media_type", `${JSON.stringify(raw)} is not a media type`);
  return t;
}

/** Compares the declared media type with what the bytes are (magic numbers). */
async function checkMagic(file: UploadedFile): Promise<void> {
  if (file.staged.size === 0) throw new ValidationError("empty_file", `${file.name} is empty`);
  // The first 4100 bytes settle most types; containers (ZIP-based office files) may need the whole file.
  let detected = (await fileTypeFromBuffer(file.staged.head))?.mime;
  if (detected && detected in SAME_BYTES && file.staged.size > file.staged.head.length)
    detected = (await fileTypeFromFile(file.staged.tempPath))?.mime;
  const declared = file.mediaType;
  if (detected) {
    if (declared === "application/octet-stream" || detected === declared || SAME_BYTES[detected]?.includes(declared))
      return;
    throw new UnsupportedMediaTypeError(
      "media_type_mismatch",
      `${file.name} is declared ${declared} but its bytes are ${detected}`,
      { declared, detected },
    );
  }
  if (SNIFFABLE.test(declared)) {
    throw new UnsupportedMediaTypeError(
      "media_type_mismatch",
      `${file.name} is declared ${declared} but its bytes are not`,
      { declared, detected: null },
    );
  }
}

function collection(files: UploadedFile[], metadata: unknown): Upload {
  return {
    metadata,
    files,
    async commit() {
      await Promise.all(files.map((f) => f.staged.commit())); // one flush for all of them
    },
    async discard() {
      await Promise.all(files.map((f) => f.staged.discard()));
    },
    async withdraw(isReferenced: (sha256: string) => Promise<boolean>) {
      await Promise.all(files.map((f) => f.staged.withdraw(isReferenced)));
    },
  };
}

async function finish(upload: Upload): Promise<Upload> {
  try {
    const contents = upload.files.filter((f) => f.role === "content");
    if (contents.length !== 1) throw new ValidationError("content_required", "Send exactly one `content` file");
    for (const f of upload.files) await checkMagic(f);
    return upload;
  } catch (err) {
    await upload.discard();
    throw err;
  }
}

/** `withMetadata: false` reads files only (replacing a draft's content). */
export async function readUpload(
  ctx: Context,
  blobs: BlobStore,
  limitBytes: number,
  withMetadata = true,
): Promise<Upload> {
  if (ctx.is("multipart/form-data")) return finish(await readMultipart(ctx, blobs, limitBytes, withMetadata));
  if (ctx.is("application/json"))
    return finish(await readJsonUpload((ctx.request as any).body, blobs, limitBytes, withMetadata));
  throw new UnsupportedMediaTypeError(
    "unsupported_media_type",
    "Send multipart/form-data (metadata, content, attachments[]) or application/json with base64 files",
  );
}

function tooLarge(limitBytes: number) {
  return new PayloadTooLargeError("payload_too_large", `A document's files may total at most ${limitBytes} bytes`, {
    limit: limitBytes,
  });
}

function readMultipart(ctx: Context, blobs: BlobStore, limitBytes: number, withMetadata: boolean): Promise<Upload> {
  const declared = Number(ctx.get("content-length") || 0);
  if (declared > limitBytes + MAX_METADATA_BYTES + 64 * 1024) return Promise.reject(tooLarge(limitBytes));
  return new Promise((resolve, reject) => {
    const files: UploadedFile[] = [];
    const staging: Promise<unknown>[] = [];
    let metadata: unknown = undefined;
    let total = 0;
    let arrived = 0;
    let failed: unknown = null;
    const parser = busboy({
      headers: ctx.req.headers,
      defParamCharset: "utf8",
      preservePath: true,
      limits: { files: MAX_FILES + 1, fields: 4, fieldSize: MAX_METADATA_BYTES, parts: MAX_FILES + 5 },
    });

    const fail = (err: unknown) => {
      if (failed) return;
      failed = err;
      ctx.req.unpipe(parser);
      parser.destroy(err as Error); // ends the file being staged, which removes its temp file
      ctx.req.resume(); // drain what the client still sends, so it can read our answer
      Promise.allSettled(staging)
        .then(() => collection(files.filter(Boolean), metadata).discard())
        .then(
          () => reject(err),
          () => reject(err),
        );
    };

    parser.on("field", (name, value, info) => {
      if (name !== "metadata" || !withMetadata)
        return fail(new ValidationError("unknown_field", `Unexpected form field ${JSON.stringify(name)}`));
      if (info.valueTruncated)
        return fail(
          new PayloadTooLargeError("metadata_too_large", `metadata may be at most ${MAX_METADATA_BYTES} bytes`),
        );
      try {
        metadata = JSON.parse(value);
      } catch {
        fail(new ValidationError("invalid_json", "The metadata field is not valid JSON"));
      }
    });
    parser.on("file", (name, stream, info) => {
      stream.on("error", () => undefined); // a failed upload destroys the parser, which destroys this stream; the stage reports it
      if (failed) return stream.resume();
      const role =
        name === "content" ? "content" : name === "attachments[]" || name === "attachments" ? "attachment" : null;
      try {
        if (!role)
          throw new ValidationError(
            "unknown_field",
            `Unexpected file field ${JSON.stringify(name)}; use content or attachments[]`,
          );
        if (arrived >= MAX_FILES)
          throw new ValidationError("too_many_files", `At most ${MAX_FILES} files per document`);
        const fileName = checkFileName(info.filename);
        const mediaType = checkMediaType(info.mimeType);
        const entry = { role, name: fileName, mediaType } as Omit<UploadedFile, "staged">;
        const index = arrived++;
        staging.push(
          blobs
            .stage(stream, {
              onBytes: (n) => {
                total += n;
                if (total > limitBytes) throw tooLarge(limitBytes);
              },
            })
            .then((staged) => {
              files[index] = { ...entry, staged };
            }, fail),
        );
      } catch (err) {
        stream.resume();
        fail(err);
      }
    });
    parser.on("error", (err) =>
      fail(new ValidationError("malformed_multipart", `The upload is malformed: ${(err as Error).message}`)),
    );
    parser.on("close", () => {
      Promise.all(staging).then(() => {
        if (failed) return;
        if (metadata === undefined && withMetadata)
          return fail(
            new ValidationError("metadata_required", "Send a `metadata` field with the document's JSON description"),
          );
        resolve(collection(files, metadata));
      }, fail);
    });
    // A client that goes away mid-upload: everything staged so far is dropped.
    ctx.req.on("close", () => {
      if (!ctx.req.complete) fail(new ValidationError("upload_aborted", "The client closed the connection mid-upload"));
    });
    // A reset connection is the client going away too, not a fault of ours.
    ctx.req.on("error", () =>
      fail(new ValidationError("upload_aborted", "The client closed the connection mid-upload")),
    );
    ctx.req.pipe(parser);
  });
}

const JsonFile = (v: any) => v && typeof v === "object" && typeof v.data === "string" && typeof v.name === "string";

async function readJsonUpload(body: any, blobs: BlobStore, limitBytes: number, withMetadata: boolean): Promise<Upload> {
  if (!body || typeof body !== "object" || !JsonFile(body.content)) {
    throw new ValidationError(
      "content_required",
      "Send { metadata, content: { name, mediaType, data (base64) }, attachments?: [...] }",
    );
  }
  const extra = Object.keys(body).filter(
    (k) => !(withMetadata ? ["metadata", "content", "attachments"] : ["content"]).includes(k),
  );
  if (extra.length) throw new ValidationError("unknown_field", `Unexpected field ${JSON.stringify(extra[0])}`);
  const attachments: unknown[] = body.attachments ?? [];
  if (!Array.isArray(attachments) || !attachments.every(JsonFile))
    throw new ValidationError("bad_attachments", "attachments must be a list of { name, mediaType, data }");
  const parts = [
    { role: "content" as const, f: body.content },
    ...attachments.map((f) => ({ role: "attachment" as const, f: f as any })),
  ];
  const files: UploadedFile[] = [];
  let total = 0;
  try {
    for (const { role, f } of parts) {
      if (!/^[A-Za-z0-9+/]*={0,2}$/.test(f.data))
        throw new ValidationError("bad_base64", `${f.name}: data is not base64`);
      const name = checkFileName(f.name);
      const mediaType = checkMediaType(f.mediaType);
      const bytes = Buffer.from(f.data, "base64");
      total += bytes.length;
      if (total > limitBytes) throw tooLarge(limitBytes);
      files.push({ role, name, mediaType, staged: await blobs.stage(Readable.from([bytes])) });
    }
  } catch (err) {
    await collection(files, undefined).discard();
    throw err;
  }
  return collection(files, body.metadata);
}
