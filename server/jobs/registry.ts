// node-cron registry with persisted job records. Several nodes may run the same schedules: each
// scheduled instant (the schedule's, not a node's clock reading, so clocks some way apart agree)
// is claimed once in `job_runs`, and a run holds a lease on its job row (`locked_until`,
// `locked_by`), renewed while it runs, so no job runs twice at once anywhere. Both are plain rows:
// no session-level lock, so a transaction-mode pooler in front of PostgreSQL is fine.
// Duties every node has to do after a run (reloading what the winner refreshed) go over the
// cluster bus (`fanOut`).
import cron, { type ScheduledTask } from "node-cron";
import type { Clock } from "../clock.js";
import type { Db } from "../storage/db.js";
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
/** skipped_locked: a run of the job is in progress (on this or another node), or one began a moment ago — this request joins it */
export type JobOutcome = "success" | "failure" | "skipped_locked";

export interface JobRow {
  name: string;
  schedule: string;
  locked_until: string | null;
  locked_by: string | null;
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
  runningOn: j.locked_until !== null ? j.locked_by : null,
  lastStartedAt: j.last_started_at,
  lastFinishedAt: j.last_finished_at,
  lastDurationMs: j.last_duration_ms,
  lastOutcome: j.last_outcome,
  lastError: j.last_error,
  runCount: Number(j.run_count),
});

export interface JobRunResult {
  outcome: JobOutcome;
  result?: Record<string, unknown> | void;
  error?: string;
  /** with skipped_locked: the node whose run this request joined */
  runningOn?: string | null;
}

/** A "run now" arriving this soon after a run began (on any node) joins that run. */
const COALESCE_MS = 1_000;
/** Scheduled instants older than this are deleted when a new one is claimed. */
const KEEP_RUNS_MS = 7 * 24 * 3_600_000;

export class JobRegistry {
  private jobs = new Map<string, JobDefinition>();
  private tasks: ScheduledTask[] = [];
  private running = new Set<Promise<unknown>>();
  /** the scheduled instant each job's next run was claimed for (logged with the run) */
  private claimed = new Map<string, string>();

  constructor(
    private ctx: JobContext,
    private staleLockMinutes: number,
    /** the IANA zone cron schedules run in (server.timeZone) */
    private timeZone = "Asia/Almaty",
    /** this node's name (cluster.nodeName): who holds a lease, who ran a scheduled instant */
    private node = "node",
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
            const slot = this.claimed.get(j.name);
            this.claimed.delete(j.name);
            const p = this.runLeased(j.name, 0, slot).catch((err) =>
              this.ctx.logger.error({ err, job: j.name }, "job crashed"),
            );
            this.running.add(p);
            p.finally(() => this.running.delete(p));
          },
          {
            name: j.name,
            noOverlap: true,
            // Schedules run in the appliance's zone (server.timeZone), as billing's days are: a daily
            // job at 00:10 runs on the local day it computes, whatever the server's own time zone.
            timezone: this.timeZone,
            // node-cron asks before each scheduled instant whether this node runs it: the first
            // node to claim the instant does, every other one skips it.
            distributed: true,
            runCoordinator: { shouldRun: (key: string) => this.claimSlot(j.name, key.slice(j.name.length + 1)) },
          },
        ),
      );
    }
  }

  /** Claims a scheduled instant of a job for this node; false when another node claimed it first. */
  async claimSlot(name: string, slot: string): Promise<boolean> {
    const { db, clock } = this.ctx;
    const now = clock.now();
    const r: any = await db.raw(
      "insert into job_runs (name, slot, node, claimed_at) values (?, ?, ?, ?) on conflict do nothing returning slot",
      [name, slot, this.node, now.toISOString()],
    );
    const won = (Array.isArray(r) ? r : r.rows).length === 1;
    if (won) this.claimed.set(name, slot);
    if (won)
      await db("job_runs")
        .where({ name })
        .andWhere("claimed_at", "<", new Date(now.getTime() - KEEP_RUNS_MS).toISOString())
        .delete();
    else this.ctx.logger.debug({ job: name, slot }, "job: another node runs this instant");
    return won;
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

  /** Runs a job now unless a run of it is in progress anywhere; returns the outcome. */
  runNow(name: string): Promise<JobRunResult> {
    return this.runLeased(name);
  }

  /**
   * "Run now" from a person: as runNow, and it also joins a run that began on any node less than a
   * second ago, so the same request sent through several nodes at once runs the job once.
   */
  runRequested(name: string): Promise<JobRunResult> {
    return this.runLeased(name, COALESCE_MS);
  }

  private async runLeased(name: string, coalesceMs = 0, slot?: string): Promise<JobRunResult> {
    const job = this.jobs.get(name);
    if (!job) throw new Error(`unknown job ${name}`);
    const { db, clock } = this.ctx;
    const lease = await this.lease(name, coalesceMs);
    if (!lease.taken) {
      if (slot)
        this.ctx.logger.info(
          { job: name, node: this.node, slot, runningOn: lease.holder },
          "job skipped: a run of it is still in progress",
        );
      return { outcome: "skipped_locked", runningOn: lease.holder };
    }
    const started = clock.now();
    const t0 = performance.now();
    let outcome: JobOutcome = "success";
    let error: string | undefined;
    let result: Record<string, unknown> | void = undefined;
    // A run longer than the lease keeps it: renewed at a third of its length.
    const renew = setInterval(
      () => {
        void db("jobs")
          .where({ name, locked_by: this.node })
          .update({ locked_until: this.leaseEnd() })
          .catch((err) => this.ctx.logger.warn({ err, job: name }, "job: could not renew its lease"));
      },
      (this.staleLockMinutes * 60_000) / 3,
    );
    renew.unref();
    try {
      result = await job.run(this.ctx);
    } catch (e) {
      outcome = "failure";
      error = (e as Error).message;
      this.ctx.logger.error({ err: e, job: name }, "job failed");
    } finally {
      clearInterval(renew);
      await db("jobs")
        .where({ name })
        .update({
          last_finished_at: clock.now().toISOString(),
          last_duration_ms: Math.round(performance.now() - t0),
          last_outcome: outcome,
          last_error: error ?? null,
          run_count: db.raw("run_count + 1"),
          locked_until: null,
          locked_by: null,
        });
    }
    this.ctx.logger.info(
      {
        job: name,
        node: this.node,
        slot: slot ?? null,
        startedAt: started.toISOString(),
        outcome,
        ms: Math.round(performance.now() - t0),
      },
      "job ran",
    );
    return { outcome, result, error };
  }

  private leaseEnd() {
    return new Date(this.ctx.clock.now().getTime() + this.staleLockMinutes * 60_000).toISOString();
  }

  /**
   * Takes the job's lease in one conditional update (atomic on both databases): free, or stale past
   * jobs.staleLockMinutes (its node died), and — for a person's request — no run began within
   * `coalesceMs`.
   */
  private async lease(name: string, coalesceMs: number): Promise<{ taken: boolean; holder: string | null }> {
    const { db, clock } = this.ctx;
    const now = clock.now();
    const q = db("jobs")
      .where({ name })
      .andWhere((w) => w.whereNull("locked_until").orWhere("locked_until", "<", now.toISOString()));
    if (coalesceMs > 0)
      q.andWhere((w) =>
        w
          .whereNull("last_started_at")
          .orWhere("last_started_at", "<", new Date(now.getTime() - coalesceMs).toISOString()),
      );
    const n = await q.update({
      locked_until: this.leaseEnd(),
      locked_by: this.node,
      last_started_at: now.toISOString(),
    });
    if (n === 1) return { taken: true, holder: this.node };
    const row = await db("jobs").where({ name }).first("locked_by");
    return { taken: false, holder: row?.locked_by ?? null };
  }
}
