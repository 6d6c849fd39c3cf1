// Participants' identifiers as the API accepts them (SPEC R1.1): a Kazakh BIN has 12 digits, a
// Ukrainian EDRPOU 8. Check digits are checked where an organization registers (identity).
import { z } from "zod";

export const Bin = z.string().regex(/^\d{12}$/);
export const Edrpou = z.string().regex(/^\d{8}$/);
