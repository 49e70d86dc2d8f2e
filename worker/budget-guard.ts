import { UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../shared/redis.js';
import type { RunMeta, RunStore } from '../shared/runs.js';

/** The message of every job refused because its run spent its budget. */
export const BUDGET_EXHAUSTED = 'budget exhausted';

/** What the worker needs of a run's meta; cached per process (a run's meta never changes). */
export interface RunInfo {
  budgetUsd: number | null;
  /** Jobs the producer enqueued, for "[n/total]" output; null for jobs enqueued without a run record. */
  total: number | null;
}

/**
 * Refuses new work for runs that are stopped or have spent their budget. The spend counter is the run's
 * `spend` key in Redis (request plus harness cost, added atomically by every worker as steps finish), so
 * a run overshoots its budget by at most what the jobs already in flight spend.
 */
export class BudgetGuard {
  private readonly runs = new Map<string, Promise<RunInfo>>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly store: RunStore,
  ) {}

  /** The run's budget and size (cached; a run without a record has neither). */
  info(runId: string): Promise<RunInfo> {
    let info = this.runs.get(runId);
    if (!info) {
      info = this.store.get(runId).then((state) => toInfo(state?.meta));
      info.catch(() => this.runs.delete(runId));
      // Bounded: a long-lived worker sees many runs; the oldest entries go first.
      if (this.runs.size >= 1000) {
        this.runs.delete(this.runs.keys().next().value as string);
      }
      this.runs.set(runId, info);
    }
    return info;
  }

  /**
   * Throws an `UnrecoverableError` when the run may not start another request: it is stopped, or its spend
   * has reached its budget (then the run is marked stopped with reason "budget exhausted").
   */
  async check(runId: string): Promise<void> {
    const [info, fields] = await Promise.all([
      this.info(runId),
      this.redis
        .multi()
        .hmget(this.keys.run(runId), 'status', 'stopReason')
        .get(this.keys.runSpend(runId))
        .exec(),
    ]);
    const [status, stopReason] = (fields?.[0]?.[1] ?? []) as (string | null)[];
    const spend = Number(fields?.[1]?.[1] ?? 0);
    if (status === 'stopped') {
      throw new UnrecoverableError(
        stopReason === BUDGET_EXHAUSTED
          ? BUDGET_EXHAUSTED
          : `run stopped: ${stopReason ?? 'no reason given'}`,
      );
    }
    if (info.budgetUsd !== null && spend >= info.budgetUsd) {
      await this.store.setStatus(runId, 'stopped', BUDGET_EXHAUSTED);
      throw new UnrecoverableError(BUDGET_EXHAUSTED);
    }
  }
}

function toInfo(meta: RunMeta | undefined): RunInfo {
  return { budgetUsd: meta?.budgetUsd ?? null, total: meta?.counts.queries ?? null };
}
