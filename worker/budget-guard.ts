import { UnrecoverableError } from 'bullmq';
import type { Redis } from 'ioredis';
import { LuaScript } from '../shared/lua-script.js';
import type { RedisKeys } from '../shared/redis.js';
import type { RunMeta, RunStore } from '../shared/runs.js';

/** The message of every job refused because its run spent its budget. */
export const BUDGET_EXHAUSTED = 'budget exhausted';

/**
 * How long a reservation counts when nothing releases it: longer than any attempt can run (chat at most
 * 2,000 s, then the judge). Only a job that is never picked up again after its worker died needs it.
 */
export const RESERVATION_TTL_MS = 3600_000;

/** Finished jobs served the same variations it takes before their mean cost counts as an estimate. */
export const MIN_OBSERVED_JOBS = 5;

/** The segment a job without one is estimated under (as the planner counts it). */
const NO_SEGMENT = '(none)';

/** What the worker needs of a run's meta; cached per process (a run's meta never changes). */
export interface RunInfo {
  budgetUsd: number | null;
  /** Jobs the producer enqueued, for "[n/total]" output; null for jobs enqueued without a run record. */
  total: number | null;
  /**
   * The planner's cost of a request served the dearest variations it may get, USD: per segment, and over the
   * run (0: unknown).
   */
  plannedUsd: { bySegment: Record<string, number>; perRequest: number };
}

// Reservation values are `usd|expiresAtMs`. The reservations of the run's other jobs in flight (a job's own
// field is an earlier attempt of it: a retry, or a dead worker's attempt, which this one replaces) plus the
// spend so far plus this job's estimate must fit the budget; if not, the run stops with `budget exhausted`.
// A job's variations are known only after its chat, so the estimate is what its segment's dearest variations
// cost: the highest mean actual cost of the segment's finished jobs per set of variations served (those with
// MIN_OBSERVED_JOBS jobs), else the larger of the planner's figure and the mean of the run's finished jobs.
// (Not the segment's mean: dear variations are often the slow ones, so the jobs in flight are dearer than
// the jobs finished, and a mean would let the run pass its budget by that difference times the jobs in flight.)
const RESERVE = new LuaScript(
  'loadgenReserveBudget',
  4,
  `
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'stopped' then
  redis.call('HDEL', KEYS[3], ARGV[1])
  return {'stopped', redis.call('HGET', KEYS[1], 'stopReason') or false}
end
local now = tonumber(ARGV[4])
local reserved = 0
local entries = redis.call('HGETALL', KEYS[3])
for i = 1, #entries, 2 do
  if entries[i] ~= ARGV[1] then
    local usd, expires = string.match(entries[i + 1], '^([^|]+)|(%d+)$')
    if not usd or tonumber(expires) <= now then
      redis.call('HDEL', KEYS[3], entries[i])
    else
      reserved = reserved + tonumber(usd)
    end
  end
end
local settled = redis.call('HGETALL', KEYS[4])
local fields = {}
for i = 1, #settled, 2 do
  fields[settled[i]] = tonumber(settled[i + 1])
end
local prefix = 'jobs:' .. ARGV[6] .. '|'
local estimate
for field, jobs in pairs(fields) do
  if string.sub(field, 1, #prefix) == prefix and jobs >= tonumber(ARGV[7]) then
    local mean = fields['usd:' .. string.sub(field, 6)] / jobs
    estimate = math.max(estimate or 0, mean)
  end
end
if not estimate then
  estimate = tonumber(ARGV[3])
  local jobs = fields['jobs'] or 0
  if jobs > 0 then
    estimate = math.max(estimate, fields['usd'] / jobs)
  end
end
local spend = tonumber(redis.call('GET', KEYS[2]) or '0')
local budget = tonumber(ARGV[2])
if spend + reserved >= budget or spend + reserved + estimate > budget then
  redis.call('HDEL', KEYS[3], ARGV[1])
  redis.call('HSET', KEYS[1], 'status', 'stopped', 'stopReason', ARGV[8])
  return {'exhausted', tostring(spend), tostring(reserved), tostring(estimate)}
end
redis.call('HSET', KEYS[3], ARGV[1], string.format('%.17g', estimate) .. '|' .. tostring(now + tonumber(ARGV[5])))
return {'reserved', tostring(spend), tostring(reserved), tostring(estimate)}
`,
);

/** What `reserve` held for a job: nothing for a run without a budget. */
export interface Reservation {
  usd: number;
  /** Spend and other jobs' reservations when it was made. */
  spendUsd: number;
  reservedUsd: number;
}

/**
 * Refuses new work for runs that are stopped or whose budget cannot pay for another request. Before a job's
 * chat, `reserve` holds the job's expected cost in the run's reservations (atomically, against the run's
 * `spend` key plus every other job's reservation); the checkpoint store takes each step's actual cost off the
 * reservation as it adds it to spend, and `release` drops what is left when the attempt ends, however it ends.
 * So jobs in flight never promise more than the budget, and a run passes its budget only by its last jobs'
 * estimate errors, not by a wave of jobs already running.
 */
export class BudgetGuard {
  private readonly runs = new Map<string, Promise<RunInfo>>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly store: RunStore,
    private readonly now: () => number = Date.now,
  ) {
    RESERVE.define(redis);
  }

  /** The run's budget, size and planned cost (cached; a run without a record has none of them). */
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
   * Reserves the job's expected cost from the run's budget before its request. Throws an `UnrecoverableError`
   * when the run is stopped, or when its spend plus the reservations of the jobs in flight plus this estimate
   * would pass its budget (then the run is marked stopped with reason "budget exhausted"). A run without a
   * budget reserves nothing.
   */
  async reserve(runId: string, jobId: string, segment: string | undefined): Promise<Reservation> {
    const info = await this.info(runId);
    if (info.budgetUsd === null) {
      const [status, stopReason] = await this.redis.hmget(this.keys.run(runId), 'status', 'stopReason');
      if (status === 'stopped') {
        throw stoppedError(stopReason ?? null);
      }
      return { usd: 0, spendUsd: 0, reservedUsd: 0 };
    }
    const key = segment ?? NO_SEGMENT;
    const planned = info.plannedUsd.bySegment[key] ?? info.plannedUsd.perRequest;
    const [outcome, ...figures] = (await RESERVE.run(
      this.redis,
      this.keys.run(runId),
      this.keys.runSpend(runId),
      this.keys.runReservations(runId),
      this.keys.runSettled(runId),
      jobId,
      String(info.budgetUsd),
      String(planned),
      String(this.now()),
      String(RESERVATION_TTL_MS),
      key,
      String(MIN_OBSERVED_JOBS),
      BUDGET_EXHAUSTED,
    )) as [string, ...(string | null)[]];
    if (outcome === 'stopped') {
      throw stoppedError(figures[0] ?? null);
    }
    if (outcome === 'exhausted') {
      throw new UnrecoverableError(BUDGET_EXHAUSTED);
    }
    const [spendUsd, reservedUsd, usd] = figures.map(Number) as [number, number, number];
    return { usd, spendUsd, reservedUsd };
  }

  /**
   * Ends a job attempt's reservation (what the steps did not spend of it is free again). `completed`, for a job
   * that completed: what it cost in all (request plus judge) and the variations it was served (config key →
   * variation key), which feed the estimate of the next jobs.
   */
  async release(
    runId: string,
    jobId: string,
    segment?: string,
    completed?: { costUsd: number; variations: Record<string, string> },
  ): Promise<void> {
    const info = await this.info(runId);
    if (info.budgetUsd === null) {
      return;
    }
    const tx = this.redis.multi().hdel(this.keys.runReservations(runId), jobId);
    if (completed) {
      const served = Object.entries(completed.variations)
        .map(([config, variation]) => `${config}=${variation}`)
        .sort()
        .join(',');
      const key = `${segment ?? NO_SEGMENT}|${served}`;
      const settled = this.keys.runSettled(runId);
      tx.hincrbyfloat(settled, 'usd', completed.costUsd)
        .hincrby(settled, 'jobs', 1)
        .hincrbyfloat(settled, `usd:${key}`, completed.costUsd)
        .hincrby(settled, `jobs:${key}`, 1);
    }
    const results = await tx.exec();
    const failed = results?.find(([err]) => err);
    if (failed?.[0]) {
      throw failed[0];
    }
  }
}

function stoppedError(stopReason: string | null): UnrecoverableError {
  return new UnrecoverableError(
    stopReason === BUDGET_EXHAUSTED ? BUDGET_EXHAUSTED : `run stopped: ${stopReason ?? 'no reason given'}`,
  );
}

/**
 * The planned cost per request: the meta's `costEstimate`, or for runs recorded before it the total estimate
 * in its options over its queries; 0 when unknown (a run enqueued by a script: then the mean of its finished
 * jobs is all the estimate there is).
 */
function toInfo(meta: RunMeta | undefined): RunInfo {
  const estimate = meta?.costEstimate;
  const total = meta?.options.estimatedCostUsd;
  const queries = meta?.counts.queries ?? 0;
  const perRequest =
    estimate?.perRequestUsd ?? (typeof total === 'number' && queries > 0 ? total / queries : 0);
  return {
    budgetUsd: meta?.budgetUsd ?? null,
    total: meta?.counts.queries ?? null,
    plannedUsd: { bySegment: estimate?.bySegment ?? {}, perRequest },
  };
}
