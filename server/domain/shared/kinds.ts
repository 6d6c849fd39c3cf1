// Document kinds and their forms (SPEC R2.2). Accounting kinds carry structured fields that are
// checked here: every amount is exact decimal arithmetic (BigInt in minor units), a line's amount is
// quantity × price, and the lines, VAT and total must add up.
import { z } from "zod";
import { KINDS, defaultTitle } from "./vocabulary.js";
import { Bin, Edrpou, Rnokpp } from "./identifiers.js";
import { isIsoCurrency } from "./currencies.js";
import { fromMinor, lineAmount, toMinor, vatOf } from "./arithmetic.js";
import { displayName } from "./text.js";

export { fromMinor, toMinor };

export { KINDS, defaultTitle };
export type Kind = (typeof KINDS)[number];

/** Acts that become accepted by silence when the recipient neither signs nor refuses (R2.6). */
export const DEEMED_ACCEPTANCE_KINDS: readonly Kind[] = ["act_of_work", "reconciliation_act"];

const Money = z.string().regex(/^-?\d{1,15}(\.\d{1,2})?$/, "an amount with at most 2 decimals, e.g. 1250.00");
const Quantity = z.string().regex(/^\d{1,12}(\.\d{1,3})?$/, "a quantity with at most 3 decimals");
const Rate = z.string().regex(/^\d{1,2}(\.\d{1,2})?$/, "a VAT rate in percent, e.g. 12");
const IsoDate = z.iso.date();
const Currency = z
  .string()
  .regex(/^[A-Z]{3}$/, "an ISO 4217 code such as KZT, UAH or USD")
  .refine(isIsoCurrency, "not an ISO 4217 currency code");
const Party = z.strictObject({
  name: displayName(500),
  bin: Bin.optional(),
  edrpou: Edrpou.optional(),
  /** a Ukrainian ФОП or individual (SPEC R1.1) */
  rnokpp: Rnokpp.optional(),
  address: z.string().max(1000).optional(),
});
const Line = z.strictObject({
  name: displayName(1000),
  unit: z.string().max(32).optional(),
  quantity: Quantity,
  price: Money,
  amount: Money,
  vatRate: Rate.optional(),
  vatAmount: Money.optional(),
});

const accounting = {
  number: z.string().trim().min(1).max(100),
  date: IsoDate,
  currency: Currency,
  seller: Party,
  buyer: Party,
  lines: z.array(Line).min(1).max(10_000),
  vat: Money,
  total: Money,
  basis: z.string().max(500).optional(),
};

export const KIND_FIELDS = {
  invoice: z.strictObject({ ...accounting, dueDate: IsoDate.optional() }),
  act_of_work: z.strictObject({ ...accounting, periodFrom: IsoDate.optional(), periodTo: IsoDate.optional() }),
  waybill: z.strictObject({
    ...accounting,
    shipFrom: z.string().max(1000).optional(),
    shipTo: z.string().max(1000).optional(),
  }),
  reconciliation_act: z.strictObject({
    number: z.string().trim().min(1).max(100),
    date: IsoDate,
    currency: Currency,
    periodFrom: IsoDate,
    periodTo: IsoDate,
    openingBalance: Money,
    debit: Money,
    credit: Money,
    closingBalance: Money,
  }),
  contract: z.strictObject({
    number: z.string().trim().min(1).max(100).optional(),
    date: IsoDate.optional(),
    validUntil: IsoDate.optional(),
  }),
  supplementary_agreement: z.strictObject({
    number: z.string().trim().min(1).max(100).optional(),
    date: IsoDate.optional(),
    contractNumber: z.string().trim().min(1).max(100),
  }),
  letter: z.strictObject({ number: z.string().trim().min(1).max(100).optional(), date: IsoDate.optional() }),
  arbitrary: z.strictObject({ number: z.string().trim().min(1).max(100).optional(), date: IsoDate.optional() }),
} satisfies Record<Kind, z.ZodType>;

export type KindFields = { [K in Kind]: z.infer<(typeof KIND_FIELDS)[K]> };

export interface FieldProblem {
  field: string;
  code: string;
  message: string;
}

/** The arithmetic of an accounting document; every mismatch is listed with the expected figure. */
export function checkTotals(kind: Kind, fields: Record<string, any>): FieldProblem[] {
  const problems: FieldProblem[] = [];
  if (kind === "reconciliation_act") {
    const expected = toMinor(fields.openingBalance, 2) + toMinor(fields.debit, 2) - toMinor(fields.credit, 2);
    if (expected !== toMinor(fields.closingBalance, 2)) {
      problems.push({
        field: "closingBalance",
        code: "totals_mismatch",
        message: `opening + debit − credit is ${fromMinor(expected, 2)}`,
      });
    }
    if (fields.periodFrom > fields.periodTo)
      problems.push({ field: "periodTo", code: "invalid_period", message: "the period ends before it starts" });
    return problems;
  }
  if (!("lines" in fields)) return problems;
  let sum = 0n;
  let lineVat = 0n;
  let everyLineHasVat = true;
  fields.lines.forEach((line: z.infer<typeof Line>, i: number) => {
    const amount = lineAmount(line.quantity, line.price);
    if (amount !== toMinor(line.amount, 2)) {
      problems.push({
        field: `lines.${i}.amount`,
        code: "totals_mismatch",
        message: `quantity × price is ${fromMinor(amount, 2)}`,
      });
    }
    sum += toMinor(line.amount, 2);
    if (line.vatAmount === undefined) {
      everyLineHasVat = false;
    } else {
      lineVat += toMinor(line.vatAmount, 2);
      if (line.vatRate !== undefined) {
        const vat = vatOf(line.amount, line.vatRate);
        if (vat !== toMinor(line.vatAmount, 2)) {
          problems.push({
            field: `lines.${i}.vatAmount`,
            code: "totals_mismatch",
            message: `${line.vatRate} % of ${line.amount} is ${fromMinor(vat, 2)}`,
          });
        }
      }
    }
  });
  const vat = toMinor(fields.vat, 2);
  if (everyLineHasVat && lineVat !== vat) {
    problems.push({
      field: "vat",
      code: "totals_mismatch",
      message: `the lines' VAT adds up to ${fromMinor(lineVat, 2)}`,
    });
  }
  if (sum + vat !== toMinor(fields.total, 2)) {
    problems.push({ field: "total", code: "totals_mismatch", message: `lines + VAT is ${fromMinor(sum + vat, 2)}` });
  }
  return problems;
}
