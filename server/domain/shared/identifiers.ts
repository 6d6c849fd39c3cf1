// Participants' identifiers as the API accepts them (SPEC R1.1): a Kazakh BIN has 12 digits, a
// Ukrainian EDRPOU 8. Check digits are checked where an organization registers (identity).
import { z } from "zod";

export const Bin = z.string().regex(/^\d{12}$/);
export const Edrpou = z.string().regex(/^\d{8}$/);
/** A Ukrainian person's tax number (РНОКПП / ІПН): 10 digits. */
export const Rnokpp = z.string().regex(/^\d{10}$/);

/** What a participant is (SPEC R1.1): a person may take part as a sole proprietor or himself. */
export const PARTICIPANT_KINDS = ["legal_entity", "sole_proprietor", "individual"] as const;
export type ParticipantKind = (typeof PARTICIPANT_KINDS)[number];
export const ParticipantKindField = z.enum(PARTICIPANT_KINDS);
