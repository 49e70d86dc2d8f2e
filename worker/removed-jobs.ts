import { QueueEvents, type ConnectionOptions, type Queue } from 'bullmq';
import type { Logger } from '../shared/logger.js';
import { REMOVED, runIdOfJob, type RunStore } from '../shared/runs.js';

/** The states a removed job was in when it had finished (and so has its record already). */
const FINISHED = new Set(['completed', 'failed']);

export interface RemovedJobsOptions {
  connection: ConnectionOptions;
  prefix: string;
  /** The queue the events are of: a job back in it (resumed, re-added) is not recorded. */
  queue: Pick<Queue, 'name' | 'getJobState'>;
  store: Pick<RunStore, 'recordRemoved' | 'setAside'>;
  logger: Logger;
  /** Called after a removed job's record is written (the run may now be complete). */
  onRecorded?: (runId: string, jobId: string) => void;
}

/**
 * Records a failed result, reason `removed`, for each job of a recorded run that is removed from the queue
 * before it finished (a script's `queue.remove`, Bull Board's remove button), so the run still gets one record
 * per job and finishes. Listens to BullMQ's `removed` events, from the start of the events stream (BullMQ keeps
 * the last ~10,000 events), so a worker that starts catches up on removals made while none ran; a queue-wide
 * clean or empty sends no per-job event, and older removals are trimmed: the run's follower reconciles those
 * (`RunReconciler`). A job a pause set aside, or back in the queue, is not recorded. Every worker listens: the
 * record is written once whichever does (HSETNX). The job's data is gone with it, so the record has its run and
 * seq from the job id (`<runId>.<seq>`), and no user.
 */
export class RemovedJobs {
  private readonly events: QueueEvents;
  private closed = false;

  constructor(private readonly options: RemovedJobsOptions) {
    this.events = new QueueEvents(options.queue.name, {
      connection: options.connection,
      prefix: options.prefix,
      lastEventId: '0',
    });
    this.events.on('error', (err) => options.logger.warn({ err }, 'queue events error'));
    this.events.on('removed', ({ jobId, prev }) => {
      if (FINISHED.has(prev)) {
        return;
      }
      void this.record(jobId);
    });
  }

  /** Resolves once the listener reads the events stream. */
  waitUntilReady(): Promise<void> {
    return this.events.waitUntilReady().then(() => undefined);
  }

  private async record(jobId: string): Promise<void> {
    const runId = runIdOfJob(jobId);
    if (!runId || this.closed) {
      return;
    }
    try {
      const [aside] = await this.options.store.setAside(runId, [jobId]);
      if (aside || (await this.options.queue.getJobState(jobId)) !== 'unknown') {
        return;
      }
      const [recorded] = await this.options.store.recordRemoved([jobId], REMOVED, runId);
      if (recorded) {
        this.options.logger.info({ runId, jobId }, 'job removed from the queue before it ran: recorded');
        this.options.onRecorded?.(runId, jobId);
      }
    } catch (err) {
      this.options.logger.warn({ err, jobId }, 'cannot record the removed job');
    }
  }

  /** Safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    await this.events.close();
  }
}
