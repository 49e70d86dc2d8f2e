import { randomUUID } from 'node:crypto';
import type { Logger } from '../shared/logger.js';
import type { CheckpointStore } from './checkpoint-store.js';
import { loadMetrics } from '../shared/catalog.js';
import {
  eventKeys,
  trackRequestEvents,
  type EventKeys,
  type EventsClient,
  type RequestEvents,
} from './request-events.js';
import { StepError } from './step-error.js';

/** What reporting one request sent. */
export interface ReportOutcome {
  feedbackEvents: number;
  costEvents: number;
  /** An earlier flush of this job was never confirmed, so its events were sent again (and noted). */
  resent: boolean;
}

/** A request to report, and the set its job id goes into if its events must be sent again. */
export interface ReportRequest extends RequestEvents {
  resentKey: string;
}

interface Pending {
  request: ReportRequest;
  resolve: (outcome: ReportOutcome) => void;
  reject: (err: Error) => void;
}

export interface ReporterOptions {
  /**
   * Shortest time between the starts of two flushes, ms. An idle reporter flushes a request at once; while
   * requests come faster, each waits at most this long (plus the flush in flight), so a batch is whatever
   * arrived meanwhile.
   */
  intervalMs: number;
  logger?: Logger | undefined;
  /** The event keys to send; default: those of the shipped catalog's metrics. */
  eventKeys?: EventKeys;
  /** Called after each flush attempt, for metrics. */
  onFlush?: (result: { ok: boolean; jobs: number; feedbackEvents: number; costEvents: number }) => void;
}

/**
 * One per process: sends LaunchDarkly events for finished requests in batches and checkpoints them.
 *
 * Exactly once is the goal, and the only gap is between LaunchDarkly accepting a POST and the checkpoint
 * write that follows it. Each flush therefore (1) claims its jobs in one pipeline, atomically skipping
 * jobs already reported, (2) tracks every claimed job's events and starts the SDK flush in the same tick,
 * so nothing else can send them earlier, (3) on delivery marks every job "reported" in one pipeline before
 * any of them goes on. A process that dies inside that gap leaves a claim without "reported": the next
 * claim finds it, sends the events again (a missing metric is worse than a rare duplicate) and adds the
 * job id to the run's `ld-resent` set, so a duplicate can only happen to a job listed there.
 */
export class LaunchDarklyReporter {
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastFlushAt = -Infinity;
  private closed = false;
  private readonly eventKeys: EventKeys;

  constructor(
    private readonly client: EventsClient,
    private readonly checkpoints: CheckpointStore,
    private readonly options: ReporterOptions,
  ) {
    this.eventKeys = options.eventKeys ?? eventKeys(loadMetrics());
  }

  /** Queues a request's events; resolves once they are delivered and checkpointed, rejects if not. */
  report(request: ReportRequest): Promise<ReportOutcome> {
    if (this.closed) {
      return Promise.reject(new StepError('LaunchDarkly reporter is closed', 'retryable'));
    }
    const outcome = new Promise<ReportOutcome>((resolve, reject) =>
      this.pending.push({ request, resolve, reject }),
    );
    this.schedule();
    return outcome;
  }

  /** Flushes what is buffered now (one flush at a time; a call during a flush waits for it first). */
  async flush(): Promise<void> {
    while (this.flushing) {
      await this.flushing;
    }
    if (this.pending.length === 0) {
      return;
    }
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastFlushAt = performance.now();
    const batch = this.pending.splice(0);
    this.flushing = this.flushBatch(batch)
      .catch((err: unknown) => {
        // Anything thrown outside flushBatch's own handling (a throwing track call, say) must still settle
        // every job of the batch, or they hang; the claims stay, so their retries count as in doubt.
        this.options.logger?.error({ err, jobs: batch.length }, 'LaunchDarkly flush failed unexpectedly');
        this.fail(batch, new StepError('LaunchDarkly reporting failed', 'retryable', {}, { cause: err }));
      })
      .finally(() => {
        this.flushing = undefined;
        this.schedule();
      });
    await this.flushing;
  }

  // A timer rather than a fixed interval: a job's wait for the flush holds one of the worker's concurrency
  // slots, and at 500 ms per LLM call a 200 ms interval cost 5% of throughput (an average 100 ms per job).
  // Jobs in doubt after a crash stay (POST round trip x jobs/s) whatever the spacing: smaller batches, more often.
  private schedule(): void {
    if (this.timer || this.flushing || this.closed || this.pending.length === 0) {
      return;
    }
    // setTimeout, even at 0 ms, lets the requests that finish in the same tick share the flush.
    const wait = Math.max(0, this.lastFlushAt + this.options.intervalMs - performance.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
  }

  private async flushBatch(batch: Pending[]): Promise<void> {
    const flushId = randomUUID();
    let claims: ('fresh' | 'in-doubt' | 'done')[];
    try {
      claims = await this.checkpoints.claimReporting(
        batch.map((p) => ({ jobId: p.request.jobId, resentKey: p.request.resentKey })),
        flushId,
      );
    } catch (err) {
      this.fail(
        batch,
        new StepError('cannot checkpoint LaunchDarkly reporting', 'retryable', {}, { cause: err }),
      );
      return;
    }
    const outcomes: ReportOutcome[] = batch.map((p, i) => {
      if (claims[i] === 'done') {
        return { feedbackEvents: 0, costEvents: 0, resent: false };
      }
      const counts = trackRequestEvents(this.client, p.request, this.eventKeys);
      return { feedbackEvents: counts.feedback, costEvents: counts.cost, resent: claims[i] === 'in-doubt' };
    });
    // No await between the track calls above and this flush: the SDK's own flush timer cannot take them.
    const failure = await new Promise<Error | null>((resolve) => {
      void this.client.flush((err) => resolve(err));
    });
    const claimed = batch.map((p) => p.request.jobId).filter((_, i) => claims[i] !== 'done');
    const feedbackEvents = outcomes.reduce((sum, o) => sum + o.feedbackEvents, 0);
    const costEvents = outcomes.reduce((sum, o) => sum + o.costEvents, 0);
    this.options.onFlush?.({ ok: failure === null, jobs: claimed.length, feedbackEvents, costEvents });
    if (failure) {
      // The claims stay: a timeout or a reset can come after LaunchDarkly took the events, so the retry must
      // count as in doubt (and list its job in ld-resent) rather than as fresh.
      this.options.logger?.warn({ err: failure, jobs: batch.length }, 'LaunchDarkly did not confirm events');
      this.fail(
        batch,
        new StepError(
          `LaunchDarkly events not delivered: ${failure.message}`,
          'retryable',
          {},
          { cause: failure },
        ),
      );
      return;
    }
    try {
      await this.checkpoints.markReported(claimed);
    } catch (err) {
      this.fail(batch, new StepError('cannot checkpoint delivered events', 'retryable', {}, { cause: err }));
      return;
    }
    batch.forEach((p, i) => p.resolve(outcomes[i] as ReportOutcome));
  }

  private fail(batch: Pending[], err: Error): void {
    for (const p of batch) {
      p.reject(err);
    }
  }

  /** Flushes what is left and stops the timer; safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
