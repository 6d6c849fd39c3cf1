// What a registration says about a document (SPEC R2.1–R2.3): its metadata schema — kind, direction,
// sender branch, recipient, structured fields — and the files the caller staged for it.

import { z } from "zod";
import { Bin, Edrpou, ParticipantKindField, Rnokpp } from "../../shared/identifiers.js";
import { ValidationError } from "../../../errors.js";

import { KINDS, KIND_FIELDS, checkTotals } from "../../shared/kinds.js";
import { displayName } from "../../shared/text.js";

export const RegistrationMetadata = z.strictObject({
  kind: z.enum(KINDS),
  title: displayName(500).optional(),
  direction: z.enum(["outgoing", "internal"]).default("outgoing"),
  /** The sending branch; may be left out when the caller writes for exactly one branch. */
  branchId: z.uuid().optional(),
  recipient: z
    .strictObject({
      organizationId: z.uuid().optional(),
      branchId: z.uuid().optional(),
      /** where to invite the recipient when nobody of it is on the appliance yet (SPEC R2.7) */
      email: z.email().max(254).optional(),
      /** a counterparty not registered here: it is created as an external organization */
      organization: z
        .strictObject({
          name: displayName(300),
          country: z.enum(["KZ", "UA"]),
          kind: ParticipantKindField.optional(),
          bin: Bin.optional(),
          edrpou: Edrpou.optional(),
          rnokpp: Rnokpp.optional(),
        })
        .optional(),
    })
    .optional(),
  fields: z.record(z.string(), z.unknown()).default({}),
});
export type RegistrationMetadata = z.infer<typeof RegistrationMetadata>;

export interface RegisteredFile {
  role: "content" | "attachment";
  name: string;
  mediaType: string;
  sha256: string;
  size: number;
}

export interface RegistrationProps {
  metadata: unknown;
  files: RegisteredFile[];
}

function invalid(issues: Array<{ field: string; code: string; message: string }>) {
  return new ValidationError("validation_failed", "The document's metadata is not valid", { errors: issues });
}

export function parseMetadata(raw: unknown): { meta: RegistrationMetadata; fields: Record<string, any> } {
  const parsed = RegistrationMetadata.safeParse(raw ?? {});
  if (!parsed.success)
    throw invalid(parsed.error.issues.map((i) => ({ field: i.path.join("."), code: i.code, message: i.message })));
  const meta = parsed.data;
  const fieldsParsed = KIND_FIELDS[meta.kind].safeParse(meta.fields);
  if (!fieldsParsed.success) {
    throw invalid(
      fieldsParsed.error.issues.map((i) => ({
        field: ["fields", ...i.path].join("."),
        code: i.code,
        message: i.message,
      })),
    );
  }
  const fields = fieldsParsed.data as Record<string, any>;
  const totals = checkTotals(meta.kind, fields);
  if (totals.length) throw invalid(totals.map((p) => ({ ...p, field: `fields.${p.field}` })));
  return { meta, fields };
}
