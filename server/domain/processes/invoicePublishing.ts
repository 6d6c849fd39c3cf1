// SPEC R4.9: the service's own invoices are exchanged as documents. Each invoice is registered as an
// `invoice` document of the billing operator's organization (billing.operatorOrganizationId) — a
// PDF with the structured fields — and sent to the payer (sealed first when the operator seals its
// outgoing documents). Runs after an invoice is issued and in the daily job; an invoice that could
// not be published stays without a document and is tried again next time.
import type { Clock } from "../../clock.js";
import type { Config } from "../../config/index.js";
import type { Logger } from "../../log.js";
import type { Signer } from "../../pki/signer.js";
import type { BlobStore } from "../../storage/blobs.js";
import type { Db, Tx } from "../../storage/db.js";
import type { CommandContext } from "../context.js";
import { registrationPreparer } from "../documents/registration/preparer.js";
import { registrationWriter } from "../documents/registration/writer.js";
import { documentSender, sendPreparer } from "../documents/exchange.js";
import { documentFont } from "../documents/protocol.js";
import type { CertificateServices } from "../signatures/validation.js";
import { systemActor } from "../identity/roles.js";
import { branchWithOrganization, organizationById } from "../identity/queries.js";
import { addDays } from "../shared/days.js";
import {
  invoiceDocumentLinker,
  invoiceForPublishing,
  invoiceLines,
  unpublishedInvoices,
  type InvoiceLineRow,
  type InvoiceRow,
} from "../billing/invoices.js";
import { formatAmount } from "../shared/money.js";

export interface PublisherDeps {
  db: Db;
  clock: Clock;
  config: Config;
  blobs: BlobStore;
  pki: CertificateServices;
  logger: Logger;
  signer: Signer;
}

const party = (o: { name: string; bin: string | null; edrpou: string | null; rnokpp?: string | null }) => ({
  name: o.name,
  ...(o.bin ? { bin: o.bin } : {}),
  ...(o.edrpou ? { edrpou: o.edrpou } : {}),
  ...(o.rnokpp ? { rnokpp: o.rnokpp } : {}),
});

/** The invoice's fields in the `invoice` kind's form: lines, VAT and total add up as checkTotals wants. */
export function invoiceFields(
  v: InvoiceRow,
  lines: InvoiceLineRow[],
  seller: Parameters<typeof party>[0],
  buyer: Parameters<typeof party>[0],
) {
  const penalty = v.kind === "penalty";
  const vatRate = v.vat_percent ?? null;
  return {
    number: v.number,
    date: v.issued_on,
    currency: v.currency,
    seller: party(seller),
    buyer: party(buyer),
    dueDate: v.due_on,
    lines: lines.map((l) => ({
      name: l.description,
      quantity: l.quantity,
      price: formatAmount(l.unit_price_minor),
      amount: formatAmount(l.amount_minor),
      ...(penalty || lines.length > 1 || vatRate === null ? {} : { vatRate, vatAmount: formatAmount(v.vat_minor) }),
    })),
    vat: formatAmount(v.vat_minor),
    total: formatAmount(v.total_minor),
    ...(v.period_from || vatRate === null || v.original_currency
      ? {
          basis: [
            v.period_from ? `Service period ${v.period_from} – ${addDays(v.period_to!, -1)}` : null,
            v.original_currency
              ? `1 ${v.original_currency} = ${v.exchange_rate} KZT (${v.exchange_rate_day}, ${v.exchange_rate_source})`
              : null,
            vatRate === null && !penalty ? "Без НДС / Без ПДВ / Without VAT" : null,
          ]
            .filter(Boolean)
            .join("; "),
        }
      : {}),
  };
}

export async function invoicePdf(fields: ReturnType<typeof invoiceFields>): Promise<Buffer> {
  const { PDFDocument } = await import("pdf-lib");
  const fontkit = (await import("@pdf-lib/fontkit")).default;
  const pdf = await PDFDocument.create({ updateMetadata: false });
  pdf.registerFontkit(fontkit);
  const font = await pdf.embedFont(documentFont(), { subset: true });
  pdf.setTitle(`Invoice ${fields.number}`);
  const page = pdf.addPage([595, 842]);
  let y = 790;
  const line = (text: string, size = 10) => {
    page.drawText(text, { x: 50, y, size, font });
    y -= size + 8;
  };
  line(`Счёт на оплату / Invoice № ${fields.number} от ${fields.date}`, 14);
  line(`Поставщик / Seller: ${fields.seller.name}${fields.seller.bin ? ", БИН " + fields.seller.bin : ""}`);
  line(
    `Покупатель / Buyer: ${fields.buyer.name}${"bin" in fields.buyer && fields.buyer.bin ? ", БИН " + fields.buyer.bin : ""}`,
  );
  if (fields.basis) line(fields.basis);
  y -= 6;
  for (const [i, l] of fields.lines.entries())
    line(`${i + 1}. ${l.name} — ${l.quantity} × ${l.price} = ${l.amount} ${fields.currency}`);
  y -= 6;
  line(`НДС / VAT: ${fields.vat} ${fields.currency}`);
  line(`Итого к оплате / Total: ${fields.total} ${fields.currency}`, 12);
  line(`Оплатить до / Due: ${fields.dueDate}`);
  return Buffer.from(await pdf.save());
}

/** The operator's organization and head office, or null (none configured, or it names nobody). */
export async function operatorOf(deps: PublisherDeps, what: string) {
  const operatorId = deps.config.billing.operatorOrganizationId;
  if (!operatorId) return null;
  const operator = await branchWithOrganization(deps.db, { organizationId: operatorId, branchId: null });
  if (!operator)
    deps.logger.warn({ operatorId }, `billing.operatorOrganizationId names no organization: ${what} are not published`);
  return operator ?? null;
}

/**
 * Registers a PDF with its structured fields as the operator's outgoing document to a payer, links
 * it (false from `link`: another run published it first), then sends it — sealed first when the
 * operator seals. A document that could not be sent waits in the operator's drafts.
 */
export async function operatorDocumentPublisher(
  deps: PublisherDeps,
  operator: NonNullable<Awaited<ReturnType<typeof operatorOf>>>,
  p: {
    kind: "invoice" | "act_of_work";
    title: string;
    fileName: string;
    pdf: Buffer;
    recipient: { organizationId: string; branchId?: string };
    fields: Record<string, unknown>;
    /** locks the source row before anything else in the transaction; false: published meanwhile */
    claim: (tx: Tx) => Promise<boolean>;
    link: (tx: Tx, documentId: string) => Promise<boolean>;
  },
): Promise<string> {
  const base: Omit<CommandContext, "tx"> = {
    actor: systemActor,
    clock: deps.clock,
    config: deps.config,
    meta: { ip: null, requestId: null },
    signer: deps.signer,
  };
  const stored = await deps.blobs.put(p.pdf);
  const metadata = {
    kind: p.kind,
    direction: "outgoing",
    branchId: operator.branch.id,
    title: p.title,
    recipient: p.recipient,
    fields: p.fields,
  };
  const files = [
    {
      role: "content" as const,
      name: p.fileName,
      mediaType: "application/pdf",
      sha256: stored.sha256,
      size: stored.size,
    },
  ];
  const documentId = await deps.db.transaction(async (tx) => {
    if (!(await p.claim(tx))) throw new Error("published meanwhile");
    const prepared = await registrationPreparer({ ...base, tx }, { metadata, files });
    const [registered] = await registrationWriter(tx, deps.clock, [{ ctx: base, prepared, files }]);
    if (!(await p.link(tx, registered.document.id))) throw new Error("published meanwhile");
    return registered.document.id;
  });
  // Sending is a separate step: the operator's seal (HSM) is made outside a transaction.
  try {
    const seal = await sendPreparer({ ...base, tx: deps.db }, { documentId, pki: deps.pki });
    await deps.db.transaction((tx) => documentSender({ ...base, tx }, { documentId, seal }));
  } catch (err) {
    deps.logger.warn(
      { title: p.title, documentId, err: (err as Error).message },
      "registered as a document but not sent; it waits in the operator's drafts",
    );
  }
  return documentId;
}

export async function invoiceDocumentsPublisher(
  deps: PublisherDeps,
  limit = 200,
): Promise<{ published: number; failed: number }> {
  const operator = await operatorOf(deps, "invoices");
  if (!operator) return { published: 0, failed: 0 };
  const invoices = await unpublishedInvoices(deps.db, operator.org.id, limit);
  let published = 0,
    failed = 0;
  for (const v of invoices) {
    try {
      const lines = await invoiceLines(deps.db, v.id);
      const buyer = (await organizationById(deps.db, v.payer_organization_id))!.org;
      const fields = invoiceFields(v, lines, operator.org, buyer);
      await operatorDocumentPublisher(deps, operator, {
        kind: "invoice",
        title: `Invoice ${v.number}`,
        fileName: `invoice-${v.number}.pdf`,
        pdf: await invoicePdf(fields),
        recipient: {
          organizationId: v.payer_organization_id,
          ...(v.payer_organization_id === v.organization_id ? { branchId: v.branch_id } : {}),
        },
        fields,
        claim: (tx) => invoiceForPublishing(tx, v.id),
        link: (tx, documentId) => invoiceDocumentLinker(tx, v.id, documentId),
      });
      published++;
    } catch (err) {
      failed++;
      deps.logger.error({ invoice: v.number, err }, "invoice not published as a document");
    }
  }
  return { published, failed };
}
