// The operator's acts of services rendered as documents (SPEC R4.9; 000 §4.8, 004 §3.5–3.6): each
// act the billing run issued is registered as an `act_of_work` of the operator's organization — a
// PDF with the structured fields — and sent to the payer like the operator's invoices. Its receipt
// starts the period after which an act nobody answers is accepted by silence (R2.6).
import { organizationById } from "../identity/queries.js";
import {
  actDocumentLinker,
  actForPublishing,
  lastDayOf,
  unpublishedActs,
  type ServiceActRow,
} from "../billing/serviceActs.js";
import { formatAmount } from "../shared/money.js";
import { documentFont } from "../documents/protocol.js";
import { operatorDocumentPublisher, operatorOf, type PublisherDeps } from "./invoicePublishing.js";

type Party = { name: string; bin: string | null; edrpou: string | null; rnokpp?: string | null };
const party = (o: Party) => ({
  name: o.name,
  ...(o.bin ? { bin: o.bin } : {}),
  ...(o.edrpou ? { edrpou: o.edrpou } : {}),
  ...(o.rnokpp ? { rnokpp: o.rnokpp } : {}),
});

/** The act's fields in the `act_of_work` kind's form (lines, VAT and total add up). */
export function actFields(a: ServiceActRow, seller: Party, buyer: Party) {
  const amount = formatAmount(a.subtotal_minor);
  return {
    number: a.number,
    date: a.issued_on,
    currency: a.currency,
    seller: party(seller),
    buyer: party(buyer),
    periodFrom: a.period_from,
    periodTo: lastDayOf(a),
    lines: [
      {
        name: `Electronic document exchange services, ${a.period_from} – ${lastDayOf(a)}`,
        quantity: "1",
        price: amount,
        amount,
        ...(a.vat_percent ? { vatRate: a.vat_percent, vatAmount: formatAmount(a.vat_minor) } : {}),
      },
    ],
    vat: formatAmount(a.vat_minor),
    total: formatAmount(a.total_minor),
    basis: a.vat_percent ? `Invoice ${a.invoice_id}` : `Invoice ${a.invoice_id}; Без НДС / Без ПДВ / Without VAT`,
  };
}

async function actPdf(f: ReturnType<typeof actFields>): Promise<Buffer> {
  const { PDFDocument } = await import("pdf-lib");
  const fontkit = (await import("@pdf-lib/fontkit")).default;
  const pdf = await PDFDocument.create({ updateMetadata: false });
  pdf.registerFontkit(fontkit);
  const font = await pdf.embedFont(documentFont(), { subset: true });
  const page = pdf.addPage([595, 842]);
  let y = 790;
  const line = (text: string, size = 10) => {
    page.drawText(text, { x: 50, y, size, font });
    y -= size + 8;
  };
  line(`Акт оказанных услуг / Act of services rendered № ${f.number} от ${f.date}`, 14);
  line(`Исполнитель / Provider: ${f.seller.name}${f.seller.bin ? ", БИН " + f.seller.bin : ""}`);
  line(`Заказчик / Customer: ${f.buyer.name}${"bin" in f.buyer && f.buyer.bin ? ", БИН " + f.buyer.bin : ""}`);
  line(`Период / Period: ${f.periodFrom} – ${f.periodTo}`);
  y -= 6;
  for (const [i, l] of f.lines.entries()) line(`${i + 1}. ${l.name} — ${l.amount} ${f.currency}`);
  y -= 6;
  line(`НДС / VAT: ${f.vat} ${f.currency}`);
  line(`Итого / Total: ${f.total} ${f.currency}`, 12);
  line("Акт считается принятым, если в установленный срок не подписан и не отклонён мотивированно.");
  return Buffer.from(await pdf.save());
}

export async function actDocumentsPublisher(
  deps: PublisherDeps,
  limit = 200,
): Promise<{ published: number; failed: number }> {
  const operator = await operatorOf(deps, "acts");
  if (!operator) return { published: 0, failed: 0 };
  let published = 0,
    failed = 0;
  for (const a of await unpublishedActs(deps.db, operator.org.id, limit)) {
    try {
      const buyer = (await organizationById(deps.db, a.payer_organization_id))!.org;
      const fields = actFields(a, operator.org, buyer);
      await operatorDocumentPublisher(deps, operator, {
        kind: "act_of_work",
        title: `Act of services ${a.number}`,
        fileName: `act-${a.number}.pdf`,
        pdf: await actPdf(fields),
        recipient: {
          organizationId: a.payer_organization_id,
          ...(a.payer_organization_id === a.organization_id ? { branchId: a.branch_id } : {}),
        },
        fields,
        claim: (tx) => actForPublishing(tx, a.id),
        link: (tx, documentId) => actDocumentLinker(tx, a.id, documentId),
      });
      published++;
    } catch (err) {
      failed++;
      deps.logger.error({ act: a.number, err }, "act of services not published as a document");
    }
  }
  return { published, failed };
}
