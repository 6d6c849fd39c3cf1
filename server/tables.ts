// Typed Knex tables (knex/types/tables): `db("invoices")` is a builder of InvoiceRow, so a query's
// rows, its where() and its writes are checked against the table's row type. Each row type lives
// beside its queries, in the capability that owns the table; this file only lists them.
import type { AuditRow } from "./domain/audit/chain.js";
import type { CheckpointRow } from "./domain/audit/checkpoints.js";
import type { InvoiceLineRow, InvoiceRow, PaymentRow } from "./domain/billing/invoices.js";
import type { ExchangeRateRow } from "./domain/billing/exchangeRates.js";
import type { PlanRow } from "./domain/billing/plans.js";
import type { ServiceActRow } from "./domain/billing/serviceActs.js";
import type { SubscriptionRow } from "./domain/billing/subscriptions.js";
import type { ApproverRow, StepRow } from "./domain/documents/approval.js";
import type { InvitationRow } from "./domain/documents/invitations.js";
import type { PowerOfAttorneyRow } from "./domain/documents/powersOfAttorney.js";
import type { DocumentFileRow, DocumentRow } from "./domain/documents/queries.js";
import type { SignatureRow } from "./domain/documents/signing.js";
import type { BranchRow, OrganizationRow, UserRow } from "./domain/identity/queries.js";
import type { SessionRow } from "./domain/identity/sessions.js";
import type { AnnouncementRow } from "./domain/operations/announcements.js";
import type { BatchRow } from "./domain/retention/disposition.js";
import type { EarlyDestructionRow } from "./domain/retention/earlyDestruction.js";
import type { HoldRow } from "./domain/retention/holds.js";
import type { PolicyRow, PolicyVersionRow } from "./domain/retention/policyVersions.js";
import type { JobRow } from "./jobs/registry.js";
import type { OutboxRow } from "./mail/outbox.js";

declare module "knex/types/tables.js" {
  interface Tables {
    audit_log: AuditRow;
    audit_checkpoints: CheckpointRow;
    invoices: InvoiceRow;
    invoice_lines: InvoiceLineRow;
    payments: PaymentRow;
    tariff_plans: PlanRow;
    service_acts: ServiceActRow;
    exchange_rates: ExchangeRateRow;
    subscriptions: SubscriptionRow;
    document_approval_steps: StepRow;
    document_approvers: ApproverRow;
    invitations: InvitationRow;
    powers_of_attorney: PowerOfAttorneyRow;
    documents: DocumentRow;
    document_files: DocumentFileRow;
    document_signatures: SignatureRow;
    organizations: OrganizationRow;
    branches: BranchRow;
    users: UserRow;
    sessions: SessionRow;
    announcements: AnnouncementRow;
    disposition_batches: BatchRow;
    early_destruction_requests: EarlyDestructionRow;
    legal_holds: HoldRow;
    retention_policies: PolicyRow;
    retention_policy_versions: PolicyVersionRow;
    jobs: JobRow;
    outbox: OutboxRow;
  }
}
