import type { Queue } from 'bullmq';
import { unfinishedJobs } from './run-jobs.js';
import { REMOVED, type RunStore } from './runs.js';

/** What one reconciliation pass found. */
export interface ReconcilePass {
  /** Jobs of the run that may still end: in the queue unfinished, or gone and not yet confirmed removed. */
  pending: number;
  /** Jobs found gone from the queue without a record, recorded `removed` by this pass. */
  removed: string[];
}

/**
 * Finds the jobs of a run that left the queue without a result record, however they left (Bull Board's
 * clean or empty, a script's `queue.remove`, `redis-cli`), so that whoever waits on the run never waits on a
 * job that cannot end. Event listeners miss removals while they are down, and a queue-wide clean sends no
 * per-job event; this compares the run's job ids it has seen in the queue with the run's records instead.
 * A job seen unfinished, then gone from the queue (BullMQ knows no such job) with no record, set aside by no
 * pause, on two passes in a row, is recorded `removed` (the second pass gives a worker recording its failure
 * the time to do so). Memory: the ids of the run's unfinished jobs; a pass lists the run's unfinished jobs.
 */
export class RunReconciler {
  private readonly seen = new Set<string>();
  private suspects = new Set<string>();
  /** Whether a pass found a job of the run in the queue (none yet: it may still be being enqueued). */
  private sawJobs = false;

  constructor(
    private readonly queue: Queue,
    private readonly store: Pick<RunStore, 'recorded' | 'setAside' | 'recordRemoved' | 'transition'>,
    private readonly runId: string,
  ) {}

  async pass(): Promise<ReconcilePass> {
    const { runId } = this;
    const unfinished = new Set(await unfinishedJobs(this.queue, runId));
    for (const id of unfinished) {
      this.seen.add(id);
    }
    this.sawJobs ||= unfinished.size > 0;
    const left = [...this.seen].filter((id) => !unfinished.has(id));
    const [recorded, aside] = await Promise.all([
      this.store.recorded(runId, left),
      this.store.setAside(runId, left),
    ]);
    const gone: string[] = [];
    for (const [i, id] of left.entries()) {
      if (recorded[i]) {
        this.seen.delete(id);
      } else if (!aside[i] && (await this.queue.getJobState(id)) === 'unknown') {
        gone.push(id);
      }
    }
    const confirmed = gone.filter((id) => this.suspects.has(id));
    this.suspects = new Set(gone.filter((id) => !this.suspects.has(id)));
    const removed = await this.store.recordRemoved(confirmed, REMOVED, runId);
    for (const id of confirmed) {
      this.seen.delete(id);
    }
    return { pending: unfinished.size + this.suspects.size, removed };
  }

  /**
   * For a run whose results stopped coming: a pass, then, when no job of the run may still end, marks it
   * `done` (if it is still enqueued). Not before the run showed a job (in the queue, or `results` recorded): a
   * run followed from its creation may not have its jobs yet (a producer still enqueueing), and would otherwise
   * be done before it began. Returns whether this pass recorded removed jobs or ended the run.
   */
  async settle(results: number): Promise<boolean> {
    const pass = await this.pass();
    if (pass.removed.length > 0) {
      return true;
    }
    if (pass.pending > 0 || !(this.sawJobs || results > 0)) {
      return false;
    }
    return this.store.transition(this.runId, ['enqueued'], 'done');
  }
}
