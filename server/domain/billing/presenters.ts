// Billing as the API shows it: amounts as decimal strings with their currency, never raw rows.
import { formatAmount } from "../shared/money.js";
import type { InvoiceLineRow, InvoiceRow, PaymentRow } from "./invoices.js";

export const presentInvoice = (
  v: InvoiceRow,
  extra: { lines?: InvoiceLineRow[]; payments?: PaymentRow[]; penaltyToDate?: bigint } = {},
) => ({
  id: v.id,
  number: v.number,
  kind: v.kind,
  status: v.status,
  subscriptionId: v.subscription_id,
  payerOrganizationId: v.payer_organization_id,
  organizationId: v.organization_id,
  branchId: v.branch_id,
  currency: v.currency,
  subtotal: formatAmount(v.subtotal_minor),
  vat: formatAmount(v.vat_minor),
  vatPercent: v.vat_percent ?? null,
  exchange: v.original_currency
    ? {
        currency: v.original_currency,
        rate: v.exchange_rate,
        day: v.exchange_rate_day,
        source: v.exchange_rate_source,
      }
    : null,
  total: formatAmount(v.total_minor),
  paid: formatAmount(v.paid_minor),
  outstanding: formatAmount(BigInt(v.total_minor) - BigInt(v.paid_minor)),
  issuedOn: v.issued_on,
  dueOn: v.due_on,
  periodFrom: v.period_from,
  periodTo: v.period_to,
  noticeOn: v.notice_on,
  paidOn: v.paid_on,
  penalty: formatAmount(extra.penaltyToDate ?? BigInt(v.penalty_minor)),
  penaltyForInvoiceId: v.penalty_for_invoice_id,
  documentId: v.document_id,
  ...(extra.lines
    ? {
        lines: extra.lines.map((l) => ({
          position: l.position,
          description: l.description,
          quantity: l.quantity,
          unitPrice: formatAmount(l.unit_price_minor),
          amount: formatAmount(l.amount_minor),
        })),
      }
    : {}),
  ...(extra.payments ? { payments: extra.payments.map(presentPayment) } : {}),
});

export const presentPayment = (p: PaymentRow) => ({
  id: p.id,
  invoiceId: p.invoice_id,
  amount: formatAmount(p.amount_minor),
  currency: p.currency,
  paidOn: p.paid_on,
  reference: p.reference,
  source: p.source,
  createdAt: p.created_at,
});
