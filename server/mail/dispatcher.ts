// The outbox worker (SPEC R6.2). Picks due notices, resolves their addressees (a branch's people
// with the roles the topic concerns, one user, an address, or everyone), renders one message per
// addressee in his language and sends it. Delivery is at-least-once — nothing is lost, and only a
// message in flight at a crash can go out twice:
//  - a notice is claimed with a lease of CLAIM_MS (claimed_until, owned by claim_token) before it
//    is worked on, renewed while it is being sent, so two live workers never send it and a crashed
//    worker's notices are picked up within half a minute;
//  - before each SMTP transaction the addressee is recorded as `attempting` (with everything
//    already `delivered`), and it joins `delivered` once the server took it; a worker resuming a
//    notice skips what is delivered and sends again only the attempt it found unconfirmed, with the
//    same Message-ID (outbox id + addressee), so mail systems can tell it is one message;
//  - a failed attempt is retried with exponential back-off; after mail.maxAttempts it is `failed`
//    and stays listed for the operator.
import { createHash, randomUUID } from "node:crypto";
import type { Clock } from "../clock.js";
import type { Config } from "../config/index.js";
import type { Logger } from "../log.js";
import type { Knex } from "knex";
import { type Db } from "../storage/db.js";
import { inLanes } from "../storage/statements.js";
import { GroupCommit } from "../storage/groupCommit.js";
import type { Mailer } from "./mailer.js";
import type { OutboxRow } from "./outbox.js";
import { LANGUAGES, render, type Language } from "./templates.js";

interface Addressee {
  email: string;
  language: Language;
}

/** Which roles of a branch hear of a topic. */
export function rolesFor(topic: string): string[] {
  if (topic.startsWith("billing.")) return ["org_admin", "head", "accountant"];
  if (topic === "document.signature_requested") return ["head", "signer"];
  return ["org_admin", "head", "signer", "accountant", "clerk"];
}

/**
 * Optional processing a user may withdraw consent to (SPEC R5.6): notices about documents and
 * maintenance announcements. Billing, security and account notices are part of the contract and
 * always go.
 */
export const isOptionalTopic = (topic: string) => topic.startsWith("document.") || topic === "maintenance.announcement";

/** A claim's lease: renewed every third of it while its notices are sent. */
export const CLAIM_MS = 30_000;
/** Payload fields that must not outlive the message (the invitation link is the only copy of its token). */
const SECRET_FIELDS = ["token", "link"];

export interface DrainResult {
  sent: number;
  retried: number;
  failed: number;
  messages: number;
}

export class OutboxDispatcher {
  private timer: NodeJS.Timeout | null = null;
  private draining: Promise<DrainResult> | null = null;
  private stopped = false;
  /**
   * A notice's progress (delivered addressees, its status) is written before its lane goes on;
   * the lanes' writes that meet are committed in one transaction, so a busy outbox does not queue
   * a write transaction per notice in front of the appliance's other writers.
   */
  private progress: GroupCommit<{ id: number; set: Record<string, unknown> }, null>;
  /** Notices being sent, with their claim's token: their leases are renewed until they are done. */
  private inFlight = new Map<number, string>();
  private renewer: NodeJS.Timeout | null = null;

  constructor(
    private deps: {
      db: Db;
      clock: Clock;
      config: Config;
      mailer: Mailer;
      logger: Logger;
      /** where addressees are looked up (SQLite: the read-only connections, off the writer's queue) */
      reader?: Db;
      /** how often leases are renewed (real milliseconds; a third of the lease) */
      renewMs?: number;
    },
  ) {
    this.progress = new GroupCommit(
      deps.db,
      async (tx, items) => {
        for (const it of items) await tx("outbox").where({ id: it.id }).update(it.set);
        return items.map(() => null);
      },
      200,
    );
  }

  private record(id: number, set: Record<string, unknown>) {
    return this.progress.submit({ id, set });
  }

  /** Polls every mail.pollMs (the appliance; tests call drain()). */
  start() {
    this.stopped = false;
    const tick = async () => {
      if (this.stopped) return;
      await this.drain().catch((err) => this.deps.logger.error({ err }, "outbox drain failed"));
      if (!this.stopped) this.timer = setTimeout(tick, this.deps.config.mail.pollMs);
    };
    this.timer = setTimeout(tick, this.deps.config.mail.pollMs);
  }

  async stop() {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.draining;
  }

  /** Sends everything due now; returns when nothing due is left. One drain at a time. */
  drain(): Promise<DrainResult> {
    this.draining ??= this.drainAll().finally(() => {
      this.draining = null;
    });
    return this.draining;
  }

  private async drainAll(): Promise<DrainResult> {
    const total: DrainResult = { sent: 0, retried: 0, failed: 0, messages: 0 };
    // Without SMTP nothing is claimed: a notice stays pending, never "sent" (SPEC R6.2).
    if (!this.deps.mailer.configured) return total;
    const batch = Math.max(50, this.deps.config.mail.concurrency * 8);
    this.renewer = setInterval(
      () => void this.renew().catch((err) => this.deps.logger.warn({ err }, "outbox lease renewal failed")),
      this.deps.renewMs ?? CLAIM_MS / 3,
    );
    try {
      for (;;) {
        const rows = await this.claim(batch);
        if (rows.length === 0) return total;
        for (const r of rows) this.inFlight.set(r.id, r.claim_token!);
        await inLanes(rows, this.deps.config.mail.concurrency, async (row) => {
          try {
            const r = await this.deliver(row);
            total[r.outcome] += 1;
            total.messages += r.messages;
          } finally {
            this.inFlight.delete(row.id);
          }
        });
      }
    } finally {
      clearInterval(this.renewer);
      this.renewer = null;
    }
  }

  /** Extends the lease of every notice still being sent (only while this worker still owns it). */
  private async renew() {
    if (this.inFlight.size === 0) return;
    const until = new Date(this.deps.clock.now().getTime() + CLAIM_MS).toISOString();
    const byToken = new Map<string, number[]>();
    for (const [id, token] of this.inFlight) byToken.set(token, [...(byToken.get(token) ?? []), id]);
    for (const [token, ids] of byToken)
      await this.deps.db("outbox").whereIn("id", ids).where({ claim_token: token }).update({ claimed_until: until });
  }

  private async claim(limit: number): Promise<OutboxRow[]> {
    const { db, clock } = this.deps;
    const now = clock.now();
    const nowIso = now.toISOString();
    const until = new Date(now.getTime() + CLAIM_MS).toISOString();
    const token = randomUUID();
    const due = (q: Knex.QueryBuilder<OutboxRow, OutboxRow[]>) =>
      q
        .where({ status: "pending" })
        .where("next_attempt_at", "<=", nowIso)
        .where((w) => w.whereNull("claimed_until").orWhere("claimed_until", "<", nowIso));
    const ids: number[] = await due(db("outbox")).orderBy("id").limit(limit).pluck("id");
    if (ids.length === 0) return [];
    // One statement claims the batch; rows another worker took meanwhile no longer match.
    await due(db("outbox")).whereIn("id", ids).update({ claimed_until: until, claim_token: token });
    return db("outbox").whereIn("id", ids).where({ claim_token: token }).orderBy("id");
  }

  private async addressees(row: OutboxRow): Promise<Addressee[]> {
    const { config } = this.deps;
    const db = this.deps.reader ?? this.deps.db;
    const lang = (l: string | null | undefined): Language =>
      (LANGUAGES as readonly string[]).includes(l ?? "") ? (l as Language) : config.mail.defaultLanguage;
    if (row.email) return [{ email: row.email, language: lang(JSON.parse(row.payload).language) }];
    const users = db("users as u").where("u.status", "active").distinct("u.email", "u.language");
    if (isOptionalTopic(row.topic)) users.where("u.notifications_consent", true);
    if (row.user_id)
      return (await users.where("u.id", row.user_id)).map((u: any) => ({ email: u.email, language: lang(u.language) }));
    if (row.organization_id && row.branch_id) {
      const branch = await db("branches").where({ id: row.branch_id }).first("path");
      if (!branch) return [];
      // Everyone whose grant reaches the branch (its own or an ancestor's) with a role the topic concerns.
      const rows = await users
        .join("role_grants as g", "g.user_id", "u.id")
        .leftJoin("branches as gb", "gb.id", "g.branch_id")
        .where("g.organization_id", row.organization_id)
        .whereIn("g.role", rolesFor(row.topic))
        .where((w) => w.whereNull("g.branch_id").orWhereRaw("? like gb.path || '%'", [branch.path]));
      return rows.map((u: any) => ({ email: u.email, language: lang(u.language) }));
    }
    // No addressee named: everyone (maintenance announcements).
    return (await users).map((u: any) => ({ email: u.email, language: lang(u.language) }));
  }

  private async deliver(row: OutboxRow): Promise<{ outcome: "sent" | "retried" | "failed"; messages: number }> {
    const { clock, config, mailer, logger } = this.deps;
    const delivered = new Set<string>(row.delivered ? JSON.parse(row.delivered) : []);
    let messages = 0;
    try {
      const payload = JSON.parse(row.payload);
      const base = config.server.publicUrl.replace(/\/$/, "");
      const vars = {
        ...payload,
        ...(row.document_id && !payload.link ? { link: `${base}/documents/${row.document_id}` } : {}),
      };
      const people = await this.addressees(row);
      const seen = new Set<string>();
      if (row.attempting && !delivered.has(row.attempting))
        logger.warn(
          { outboxId: row.id, topic: row.topic },
          "resuming a notice whose last SMTP transaction was not confirmed: that message goes again, with its Message-ID",
        );
      for (const a of people) {
        const key = a.email.toLowerCase();
        if (seen.has(key) || delivered.has(key)) continue;
        seen.add(key);
        const m = render(row.topic, a.language, vars);
        const id = createHash("sha256").update(key).digest("hex").slice(0, 16);
        // The attempt is on disk before the SMTP transaction starts (with what went before it).
        await this.record(row.id, { delivered: JSON.stringify([...delivered]), attempting: key.slice(0, 254) });
        await mailer.send({
          to: a.email,
          subject: m.subject,
          text: m.text,
          html: m.html,
          messageId: `<outbox-${row.id}-${id}@qujat>`,
          headers: { "X-Qujat-Topic": row.topic, "Content-Language": a.language },
        });
        messages += 1;
        delivered.add(key); // recorded with the next attempt, or with the notice's status below
      }
      const scrubbed = SECRET_FIELDS.some((f) => f in payload)
        ? JSON.stringify(Object.fromEntries(Object.entries(payload).filter(([k]) => !SECRET_FIELDS.includes(k))))
        : row.payload;
      const sentAt = clock.now().toISOString();
      await this.record(row.id, {
        status: "sent",
        sent_at: sentAt,
        // Delivered when the SMTP server took a message — unless the console showed it earlier.
        ...(messages > 0 || delivered.size > 0 ? { delivered_at: row.delivered_at ?? sentAt } : {}),
        claimed_until: null,
        claim_token: null,
        attempting: null,
        payload: scrubbed,
        delivered: JSON.stringify([...delivered]),
        last_error: people.length === 0 ? "no addressees" : null,
      });
      return { outcome: "sent", messages };
    } catch (err) {
      const attempts = row.attempts + 1;
      const failed = attempts >= config.mail.maxAttempts;
      const delay = Math.min(config.mail.retryMaxSeconds, config.mail.retryBaseSeconds * 2 ** (attempts - 1));
      await this.record(row.id, {
        attempts,
        status: failed ? "failed" : "pending",
        claimed_until: null,
        claim_token: null,
        // what went before the failure stays delivered; the failed one was refused, not sent
        delivered: JSON.stringify([...delivered]),
        attempting: null,
        last_error: (err as Error).message.slice(0, 1000),
        next_attempt_at: new Date(clock.now().getTime() + delay * 1000).toISOString(),
      });
      logger.warn(
        { outboxId: row.id, topic: row.topic, attempts, failed, err: (err as Error).message },
        "mail delivery failed",
      );
      return { outcome: failed ? "failed" : "retried", messages };
    }
  }
}

export const presentOutbox = (r: OutboxRow & { claimed_until?: string | null; delivered?: string | null }) => ({
  id: Number(r.id),
  topic: r.topic,
  status: r.status,
  attempts: Number(r.attempts),
  createdAt: r.created_at,
  nextAttemptAt: r.next_attempt_at,
  sentAt: r.sent_at,
  lastError: r.last_error,
  delivered: r.delivered ? JSON.parse(r.delivered).length : 0,
  to: r.email
    ? { email: r.email }
    : r.user_id
      ? { userId: r.user_id }
      : r.branch_id
        ? { organizationId: r.organization_id, branchId: r.branch_id }
        : { everyone: true },
});
