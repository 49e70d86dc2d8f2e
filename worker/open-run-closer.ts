import type { Queue } from 'bullmq';
import type { Logger } from '../shared/logger.js';
import { RUN_ID_PATTERN } from '../shared/query-job.js';
import { hasPendingJobs } from '../shared/run-jobs.js';
import type { RunStore } from '../shared/runs.js';

/** Runs whose kind this process remembers (a worker sees few runs; the cache is cleared past this). */
const MAX_REMEMBERED = 1000;

/**
 * Marks a run of unknown size `done` once every job it has in the queue has its record. A run enqueued by a
 * plain BullMQ script gets a record without a size (`RunStore.ensure`), so no count can end it; instead, after
 * each of its jobs finishes (or is removed), this checks whether any of its jobs may still end
 * (`hasPendingJobs`: waiting, delayed or running without a record). Cheap per job: a run is looked up once per
 * process (a sized run is never checked again), the check stops at the first job left (a read or two while the
 * run has work waiting), and while a run has work left at most one check per run and interval runs in a worker,
 * jobs ending meanwhile asking for one more after it (so the last job's end is always checked). A script that enqueues more jobs after the queue ran dry sees its run done early: create the run
 * with its size (`LoadgenClient.createRun`) for that.
 */
export class OpenRunCloser {
  private readonly kinds = new Map<string, 'open' | 'other'>();
  private readonly running = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** When a check last found work left in a run: the next one waits `minIntervalMs` after it. */
  private readonly busyAt = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly queue: Queue,
    private readonly store: Pick<RunStore, 'get' | 'recorded' | 'transition'>,
    private readonly logger: Logger,
    private readonly minIntervalMs = 1000,
  ) {}

  /** A job of `runId` finished or left the queue. */
  jobEnded(runId: unknown): void {
    if (this.closed || typeof runId !== 'string' || !RUN_ID_PATTERN.test(runId)) {
      return;
    }
    if (this.running.has(runId)) {
      this.again.add(runId);
      return;
    }
    if (this.timers.has(runId)) {
      return;
    }
    // While the run has work left, at most one check per interval (the last job still gets one, later).
    const wait = (this.busyAt.get(runId) ?? -Infinity) + this.minIntervalMs - Date.now();
    if (wait > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(runId);
        this.jobEnded(runId);
      }, wait);
      timer.unref();
      this.timers.set(runId, timer);
      return;
    }
    const check = this.check(runId)
      .catch((err: unknown) => this.logger.warn({ err, runId }, 'cannot check whether the run is done'))
      .finally(() => {
        this.running.delete(runId);
        if (this.again.delete(runId)) {
          this.jobEnded(runId);
        }
      });
    this.running.set(runId, check);
  }

  private async check(runId: string): Promise<void> {
    if (this.kinds.get(runId) === 'other') {
      return;
    }
    const state = await this.store.get(runId);
    if (!state) {
      return;
    }
    if (state.meta.counts.queries > 0) {
      // Sized: its last record marks it done (RunStore.recordResult).
      this.remember(runId, 'other');
      return;
    }
    this.remember(runId, 'open');
    if (state.status !== 'enqueued' || (await hasPendingJobs(this.queue, this.store, runId))) {
      this.busyAt.set(runId, Date.now());
      return;
    }
    this.busyAt.delete(runId);
    if (await this.store.transition(runId, ['enqueued'], 'done')) {
      this.remember(runId, 'other');
      this.logger.info({ runId }, 'run done: every job it has in the queue has its record');
    }
  }

  private remember(runId: string, kind: 'open' | 'other'): void {
    if (this.kinds.size >= MAX_REMEMBERED) {
      this.kinds.clear();
      this.busyAt.clear();
    }
    this.kinds.set(runId, kind);
  }

  /** Stops checking (checks under way finish, scheduled ones are dropped); safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers.values()) {
      clearTimeout(timer);
    }
    this.timers.clear();
    await Promise.allSettled([...this.running.values()]);
  }
}
