// node-cron registry with persisted job records. A job never runs twice at once: on PostgreSQL a
// session advisory lock (held on one pooled connection) guards it across processes; on SQLite a
// lease row (`locked_until`) does. Later issues register their jobs here.
import cron, { type ScheduledTask } from "node-cron";
import { createHash } from "node:crypto";
import type { Clock } from "../clock.js";
import type { Db } from "../storage/db.js";
import { isPostgres } from "../storage/db.js";
import type { Logger } from "../log.js";

export interface JobContext {
  db: Db;
  clock: Clock;
  logger: Logger;
}
export interface JobDefinition {
  name: string;
  schedule: string;
  run(ctx: JobContext): Promise<Record<string, unknown> | void>;
}
export type JobOutcome = "success" | "failure" | "skipped_locked";

export interface JobRow {
  name: string;
  schedule: string;
  locked_until: string | null;
  last_started_at: string | null;
  last_finished_at: string | null;
  last_duration_ms: number | null;
  last_outcome: string | null;
  last_error: string | null;
  run_count: number;
}

export const presentJob = (j: JobRow) => ({
  name: j.name,
  schedule: j.schedule,
  running: j.locked_until !== null,
  lastStartedAt: j.last_started_at,
  lastFinishedAt: j.last_finished_at,
  lastDurationMs: j.last_duration_ms,
  lastOutcome: j.last_outcome,
  lastError: j.last_error,
  runCount: Number(j.run_count),
});

const lockKey = (name: string) =>
  createHash("sha256")
    .update("qujat-job:" + name)
    .digest()
    .readInt32BE(0);

export class JobRegistry {
  private jobs = new Map<string, JobDefinition>();
  private tasks: ScheduledTask[] = [];
  private running = new Set<Promise<unknown>>();

  constructor(
    private ctx: JobContext,
    private staleLockMinutes: number,
    /** the IANA zone cron schedules run in (server.timeZone) */
    private timeZone = "Asia/Almaty",
  ) {}

  register(job: JobDefinition) {
    if (!cron.validate(job.schedule)) throw new Error(`job ${job.name}: invalid cron expression ${job.schedule}`);
    this.jobs.set(job.name, job);
  }

  async sync() {
    for (const j of this.jobs.values()) {
      await this.ctx
        .db("jobs")
        .insert({ name: j.name, schedule: j.schedule, run_count: 0 })
        .onConflict("name")
        .merge(["schedule"]);
    }
  }

  start() {
    for (const j of this.jobs.values()) {
      this.tasks.push(
        cron.schedule(
          j.schedule,
          () => {
            const p = this.runNow(j.name).catch((err) => this.ctx.logger.error({ err, job: j.name }, "job crashed"));
            this.running.add(p);
            p.finally(() => this.running.delete(p));
            // Schedules run in the appliance's zone (server.timeZone), as billing's days are: a daily
            // job at 00:10 runs on the local day it computes, whatever the server's own time zone.
          },
          { name: j.name, noOverlap: true, timezone: this.timeZone },
        ),
      );
    }
  }

  /** Stop scheduling and wait for runs in progress (graceful shutdown). */
  async stop() {
    for (const t of this.tasks) await t.stop();
    this.tasks = [];
    await Promise.allSettled([...this.running]);
  }

  list(): Promise<JobRow[]> {
    return this.ctx.db("jobs").orderBy("name");
  }

  /** Runs a job now unless another run holds its lock anywhere; returns the outcome. */
  async runNow(
    name: string,
  ): Promise<{ outcome: JobOutcome; result?: Record<string, unknown> | void; error?: string }> {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`unknown job ${name}`);
    const { db, clock } = this.ctx;
    const release = isPostgres(db) ? await this.pgLock(name) : await this.sqliteLock(name);
    if (!release) return { outcome: "skipped_locked" };
    const started = clock.now();
    const t0 = performance.now();
    let outcome: JobOutcome = "success";
    let error: string | undefined;
    let result: Record<string, unknown> | void = undefined;
    try {
      await db("jobs").where({ name }).update({ last_started_at: started.toISOString() });
      result = await job.run(this.ctx);
    } catch (e) {
      outcome = "failure";
      error = (e as Error).message;
      this.ctx.logger.error({ err: e, job: name }, "job failed");
    } finally {
      await db("jobs")
        .where({ name })
        .update({
          last_finished_at: clock.now().toISOString(),
          last_duration_ms: Math.round(performance.now() - t0),
          last_outcome: outcome,
          last_error: error ?? null,
          run_count: db.raw("run_count + 1"),
          locked_until: null,
        });
      await release();
    }
    return { outcome, result, error };
  }

  private async sqliteLock(name: string): Promise<(() => Promise<void>) | null> {
    const { db, clock } = this.ctx;
    const now = clock.now();
    const until = new Date(now.getTime() + this.staleLockMinutes * 60_000).toISOString();
    const n = await db("jobs")
      .where({ name })
      .andWhere((w) => w.whereNull("locked_until").orWhere("locked_until", "<", now.toISOString()))
      .update({ locked_until: until });
    return n === 1 ? async () => {} : null;
  }

  private async pgLock(name: string): Promise<(() => Promise<void>) | null> {
    const { db, clock } = this.ctx;
    const client: any = await (db.client as any).acquireConnection();
    const key = lockKey(name);
    try {
      const r = await client.query("select pg_try_advisory_lock($1) as ok", [key]);
      if (!r.rows[0].ok) {
        await (db.client as any).releaseConnection(client);
        return null;
      }
    } catch (e) {
      await (db.client as any).releaseConnection(client);
      throw e;
    }
    await db("jobs")
      .where({ name })
      .update({ locked_until: new Date(clock.now().getTime() + this.staleLockMinutes * 60_000).toISOString() });
    return async () => {
      try {
        await client.query("select pg_advisory_unlock($1)", [key]);
      } finally {
        await (db.client as any).releaseConnection(client);
      }
    };
  }
}
