// Shared request schemas. Every object schema is strict: unknown keys are rejected.
import { z } from "zod";
import { ROLES } from "../../domain/identity/roles.js";
import { displayName } from "../../domain/shared/text.js";

export const PasswordField = z.string().min(1).max(1024);
export const LoginField = z.string().regex(/^[A-Za-z0-9._@-]{3,100}$/, "3-100 letters, digits or . _ @ -");
export const IinField = z.string().regex(/^\d{12}$/, "12 digits");
export const RnokppField = z.string().regex(/^\d{10}$/, "10 digits");
export const Uuid = z.uuid();

export const PersonSchema = z.strictObject({
  login: LoginField,
  email: z.email().max(254),
  fullName: displayName(300),
  iin: IinField.optional(),
  rnokpp: RnokppField.optional(),
});

export const GrantSchema = z.strictObject({
  role: z.enum(ROLES),
  organizationId: Uuid.optional(),
  branchId: Uuid.optional(),
});

export const PageQuery = {
  limit: z.coerce.number().int().min(1).max(500).default(50),
  cursor: z.string().max(200).optional(),
};
