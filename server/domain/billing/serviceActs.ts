// The operator's monthly acts of services rendered (SPEC R4.9; 000 §4.8, 004 §3.5–3.6): for every
// calendar month of a term invoice that has ended, one act for the share of the term's price its
// days are, with the invoice's VAT rate. Issued by the daily run; published as documents by the
// processes (processes/actPublishing.ts), where the recipient's receipt starts the period after
// which an unanswered act is accepted by silence (R2.6).
import { randomUUID } from "node:crypto";
import { isPostgres, type Tx } from "../../storage/db.js";
import type { CommandContext } from "../context.js";
import { addDays, addMonths, daysBetween } from "../shared/days.js";
import { divRound, percentOf } from "../shared/money.js";
import type { InvoiceRow } from "./invoices.js";

export interface ServiceActRow {
  id: string;
  number: string;
  invoice_id: string;
  subscription_id: string | null;
  payer_organization_id: string;
  organization_id: string;
  branch_id: string;
  period_from: string;
  period_to: string;
  currency: string;
  subtotal_minor: number | string;
  vat_minor: number | string;
  vat_percent: string | null;
  total_minor: number | string;
  issued_on: string;
  document_id: string | null;
  created_at: string;
}

/** The calendar months [from, to) of a term that have ended by `today`, cut to the term. */
export function endedMonths(periodFrom: string, periodTo: string, today: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let start = periodFrom;
  while (start < periodTo) {
    const nextFirst = addMonths(start.slice(0, 8) + "01", 1);
    const end = nextFirst < periodTo ? nextFirst : periodTo;
    if (end > today) break;
    out.push([start, end]);
    start = end;
  }
  return out;
}

/** Issues the acts due by today for term invoices (subscription, renewal, plan change) not cancelled. */
export async function serviceActsIssuer(ctx: CommandContext, today: string, limit = 500): Promise<number> {
  const invoices: InvoiceRow[] = await ctx
    .tx("invoices")
    .whereIn("kind", ["subscription", "renewal", "plan_change"])
    .whereNot("status", "cancelled")
    .whereNotNull("period_from")
    .where("period_from", "<", today)
    .where("subtotal_minor", ">", 0)
    .orderBy("period_from")
    .limit(limit * 4);
  if (invoices.length === 0) return 0;
  const done = new Set(
    (
      await ctx
        .tx("service_acts")
        .whereIn(
          "invoice_id",
          invoices.map((v) => v.id),
        )
        .select("invoice_id", "period_from")
    ).map((a: { invoice_id: string; period_from: string }) => `${a.invoice_id} ${a.period_from}`),
  );
  const year = today.slice(0, 4);
  const [{ n }] = await ctx.tx("service_acts").where("number", "like", `ACT-${year}-%`).count({ n: "*" });
  let seq = Number(n);
  const rows: ServiceActRow[] = [];
  for (const v of invoices) {
    const termDays = daysBetween(v.period_from!, v.period_to!);
    for (const [from, to] of endedMonths(v.period_from!, v.period_to!, today)) {
      if (done.has(`${v.id} ${from}`) || rows.length >= limit) continue;
      const subtotal = divRound(BigInt(v.subtotal_minor) * BigInt(daysBetween(from, to)), BigInt(termDays));
      const vat = v.vat_percent ? percentOf(subtotal, v.vat_percent) : 0n;
      rows.push({
        id: randomUUID(),
        number: `ACT-${year}-${String(++seq).padStart(6, "0")}`,
        invoice_id: v.id,
        subscription_id: v.subscription_id,
        payer_organization_id: v.payer_organization_id,
        organization_id: v.organization_id,
        branch_id: v.branch_id,
        period_from: from,
        period_to: to,
        currency: v.currency,
        subtotal_minor: subtotal.toString(),
        vat_minor: vat.toString(),
        vat_percent: v.vat_percent ?? null,
        total_minor: (subtotal + vat).toString(),
        issued_on: today,
        document_id: null,
        created_at: ctx.clock.now().toISOString(),
      });
    }
  }
  if (rows.length) await ctx.tx("service_acts").insert(rows);
  return rows.length;
}

export function unpublishedActs(db: Tx, operatorId: string, limit: number): Promise<ServiceActRow[]> {
  return db("service_acts")
    .whereNull("document_id")
    .whereNot("payer_organization_id", operatorId)
    .orderBy("created_at")
    .limit(limit);
}

/** Locks an act still to be published, before the audit head (see invoiceForPublishing). */
export async function actForPublishing(tx: Tx, actId: string): Promise<boolean> {
  const q = tx("service_acts").where({ id: actId }).whereNull("document_id").first("id");
  return Boolean(await (isPostgres(tx) ? q.forUpdate() : q));
}

/** Links an act to the document that publishes it; false when another run linked it first. */
export async function actDocumentLinker(tx: Tx, actId: string, documentId: string): Promise<boolean> {
  return (
    (await tx("service_acts").where({ id: actId }).whereNull("document_id").update({ document_id: documentId })) === 1
  );
}

/** The service period's last day, as acts print it. */
export const lastDayOf = (act: Pick<ServiceActRow, "period_to">) => addDays(act.period_to, -1);
