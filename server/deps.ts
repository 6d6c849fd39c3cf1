// What every part of the running appliance is handed (createApp builds it): the side effects passed
// in (AppInput) and the services built from them. Types only — routes, jobs and the CLI depend on
// this, not on app.ts, which wires it.
import type { Clock } from "./clock.js";
import type { Config } from "./config/index.js";
import type { AuditJournal } from "./domain/audit/journal.js";
import type { Registered, RegistrationItem } from "./domain/documents/registration/writer.js";
import type { DirectoryCache } from "./domain/documents/directoryCache.js";
import type { AuthService } from "./domain/identity/authService.js";
import type { CertificateServices } from "./domain/signatures/validation.js";
import type { DocumentRecords } from "./domain/retention/documentRecords.js";
import type * as PromClient from "prom-client";
import type { JobRegistry } from "./jobs/registry.js";
import type { Logger } from "./log.js";
import type { OutboxDispatcher } from "./mail/dispatcher.js";
import type { Mailer } from "./mail/mailer.js";
import type { Signer } from "./pki/signer.js";
import type { TimestampAuthority } from "./pki/tsa.js";
import type { TrustStore } from "./pki/trust.js";
import type { BlobStore } from "./storage/blobs.js";
import type { ClusterBus } from "./storage/bus.js";
import type { Db } from "./storage/db.js";
import type { GroupCommit } from "./storage/groupCommit.js";

export interface AppInput {
  config: Config;
  db: Db;
  clock: Clock;
  logger: Logger;
  mailer: Mailer;
  signer: Signer;
  blobs: BlobStore;
  /** messages to every node (PostgreSQL LISTEN/NOTIFY); built by createApp when not given */
  bus?: ClusterBus;
}

export interface AppDeps extends AppInput {
  /** reads that need no transaction (see createReader): the same pool on PostgreSQL */
  reader: Db;
  /** CA certificates signatures must chain to (pki.trustDir) */
  trust: TrustStore;
  /** trust, revocation (OCSP, CRL) and its policy: what certificate checks need */
  pki: CertificateServices;
  /** the appliance's own RFC 3161 TSA, when tsa.serve and an HSM */
  timestampAuthority: TimestampAuthority | null;
  auth: AuthService;
  auditJournal: AuditJournal;
  /** document registrations, group-committed */
  registrar: GroupCommit<RegistrationItem, Registered>;
  /** what registrations read about senders and recipients, between registrations */
  directory: DirectoryCache;
  jobs: JobRegistry;
  /** the notification outbox's worker */
  outbox: OutboxDispatcher;
  /** registers and sends issued invoices as documents of the billing operator (R4.9) */
  invoicePublisher: () => Promise<{ published: number; failed: number }>;
  /** brings every document's retain-until date up to the current retention rules (one run at a time) */
  retentionAssign: () => Promise<{ epoch: number; changed: number }>;
  /** documents' writes that retention needs (retain-until dates, destruction) */
  documentRecords: DocumentRecords;
  bus: ClusterBus;
  metrics: HttpMetrics;
  version: string;
}

/** The HTTP metrics /metrics serves (http/middleware/basics.ts makes them). */
export interface HttpMetrics {
  registry: PromClient.Registry;
  record(method: string, route: string, status: number, seconds: number): void;
}
