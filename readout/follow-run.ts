import type { Queue } from 'bullmq';
import { z } from 'zod';
import { buildReadout, isDecided, type Readout } from './build-readout.js';
import type { Experiment } from './experiments.js';
import { usd } from './format.js';
import { removeWaitingJobs, unfinishedJobs } from '../shared/run-jobs.js';
import type { RunState, RunStore } from '../shared/runs.js';

/** `--decide-every`'s default: results between two readouts of a `--stop-when-decided` run. */
export const DEFAULT_DECIDE_EVERY = 50;

/**
 * `--stop-when-decided [ids]`: off (false or unset), every experiment (true, `[]` after parsing) or the
 * comma-separated ids of the experiments to wait for.
 */
export const StopWhenDecidedSchema = z
  .union([z.boolean(), z.string()])
  .optional()
  .transform((v) =>
    v === undefined || v === false
      ? undefined
      : v === true
        ? []
        : v
            .split(',')
            .map((id) => id.trim())
            .filter(Boolean),
  );

/** Whether a readout answers every experiment, so the rest of the run would only cost money. */
export type DecidedPredicate = (readout: Readout) => boolean;

/** The predicate `run` and `start` stop on. */
export const everyExperimentDecided: DecidedPredicate = (readout) => readout.experiments.every(isDecided);

export interface StopWhenDecided {
  experiments: readonly Experiment[];
  /** Bootstrap seed of the readout (the run's seed, as `report` uses). */
  seed: number;
  /** Build a readout each time this many more results are recorded. */
  every: number;
  isDecided: DecidedPredicate;
}

export interface FollowRunInput {
  store: RunStore;
  /** The query queue: a decided run's waiting jobs are removed from it. */
  queue: Queue;
  runId: string;
  /** Stop the run once every experiment is decided; absent: follow it to its end. */
  decide?: StopWhenDecided | undefined;
  pollMs?: number;
  /**
   * Once the run is stopped (by its budget, or `loadgen stop`), how long to wait for the jobs it had started to
   * finish, so the spend read after is final; default {@link DEFAULT_DRAIN_MS}.
   */
  drainMs?: number;
  /** Called after each poll with the run's result count. */
  onProgress?: (results: number) => void;
}

export interface FollowRunOutcome {
  state: RunState;
  results: number;
  /** Present when this follower stopped the run because it was decided. */
  decided?: { reason: string; removedJobs: number; savings: Savings };
  /**
   * For a run stopped by something else: its jobs still unfinished (running, waiting or retrying) when the
   * follower gave up waiting after `drainMs`; 0 when every job had ended, so the spend is final.
   */
  unfinished?: number;
}

/** How long a follower of a stopped run waits for its jobs in flight: a chat's and a judge's default timeouts. */
export const DEFAULT_DRAIN_MS = 300_000;

export interface Savings {
  /** The producer's request-cost estimate for every query of the run, USD (null when it was not recorded). */
  plannedUsd: number | null;
  /** What the recorded requests cost, USD (the estimate's counterpart: judge and generation not included). */
  spentUsd: number;
  /** plannedUsd − spentUsd. */
  savedUsd: number | null;
}

/**
 * Polls a run's result count in Redis (so any process may follow it, wherever its workers run) until it is
 * done, or stopped and its jobs in flight have ended (waiting at most `drainMs` for them). With `decide`, every `every` results it builds the readout from the run's records and,
 * once `isDecided` holds, stops the run the way the budget guard does (status `stopped` with a reason, so
 * workers refuse its jobs), removes its waiting jobs from the queue, and waits until the jobs that had
 * started are finished and recorded.
 */
export async function followRun(input: FollowRunInput): Promise<FollowRunOutcome> {
  const { store, runId, decide } = input;
  const pollMs = input.pollMs ?? 500;
  let nextCheck = decide?.every ?? Infinity;
  for (;;) {
    const [results, state] = await Promise.all([store.resultCount(runId), store.get(runId)]);
    if (!state) {
      throw new Error(`run ${runId} has no record in Redis`);
    }
    input.onProgress?.(results);
    if (state.status === 'done') {
      return { state, results };
    }
    if (state.status === 'stopped') {
      return drainStopped(input, pollMs);
    }
    if (decide && results >= nextCheck) {
      nextCheck = (Math.floor(results / decide.every) + 1) * decide.every;
      const records = await store.allResults(runId);
      const readout = buildReadout({
        records,
        run: state,
        experiments: decide.experiments,
        seed: decide.seed,
      });
      if (decide.isDecided(readout)) {
        const reason = `decided after ${records.length} results: ${readout.experiments
          .map((e) => `${e.id} ${e.state}`)
          .join(', ')}`;
        const stopped = await stopDecided(input, reason, pollMs);
        if (stopped) {
          return stopped;
        }
      }
    }
    await delay(pollMs);
  }
}

/**
 * Waits (at most `drainMs`) until a stopped run has no job waiting, running or due to retry: workers finish the
 * ones they had started and refuse the rest, so the spend read after includes every job in flight.
 */
async function drainStopped(input: FollowRunInput, pollMs: number): Promise<FollowRunOutcome> {
  const { store, queue, runId } = input;
  const deadline = Date.now() + (input.drainMs ?? DEFAULT_DRAIN_MS);
  let unfinished = (await unfinishedJobs(queue, runId)).length;
  while (unfinished > 0 && Date.now() < deadline) {
    input.onProgress?.(await store.resultCount(runId));
    await delay(pollMs);
    unfinished = (await unfinishedJobs(queue, runId)).length;
  }
  const [state, results] = await Promise.all([store.get(runId), store.resultCount(runId)]);
  if (!state) {
    throw new Error(`run ${runId} has no record in Redis`);
  }
  input.onProgress?.(results);
  return { state, results, unfinished };
}

/** Stops a decided run and drains it; undefined when the run had finished or stopped otherwise meanwhile. */
async function stopDecided(
  input: FollowRunInput,
  reason: string,
  pollMs: number,
): Promise<FollowRunOutcome | undefined> {
  const { store, queue, runId } = input;
  // First the status, as the budget guard does: from here no worker starts a request of this run. Only if it is
  // still enqueued: the last result may have finished it, or the budget stopped it, since the readout was read.
  if (!(await store.stopIfEnqueued(runId, reason))) {
    return undefined;
  }
  const removedIds = await removeWaitingJobs(queue, runId);
  while ((await unfinishedJobs(queue, runId)).length > 0) {
    input.onProgress?.(await store.resultCount(runId));
    await delay(pollMs);
  }
  const [state, records] = await Promise.all([store.get(runId), store.allResults(runId)]);
  if (!state) {
    throw new Error(`run ${runId} has no record in Redis`);
  }
  input.onProgress?.(records.length);
  // A job a worker took (and refused, the run being stopped) between the listing and its removal has a record:
  // it was removed only from the finished set, so it counts as recorded, not as removed.
  const recorded = new Set(records.map((r) => r.jobId));
  const removedJobs = removedIds.filter((id) => !recorded.has(id)).length;
  const planned = state.meta.options.estimatedCostUsd;
  const plannedUsd = typeof planned === 'number' ? planned : null;
  const spentUsd = records.reduce((sum, r) => sum + (r.requestCostUsd ?? 0), 0);
  return {
    state,
    results: records.length,
    decided: {
      reason,
      removedJobs,
      savings: { plannedUsd, spentUsd, savedUsd: plannedUsd === null ? null : plannedUsd - spentUsd },
    },
  };
}

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a decided stop reports: why, what it removed and what it saved. */
export function formatDecidedStop(outcome: FollowRunOutcome): string {
  const d = outcome.decided;
  if (!d) {
    return '';
  }
  const queries = outcome.state.meta.counts.queries;
  const s = d.savings;
  const saved =
    s.plannedUsd === null || s.savedUsd === null
      ? `spent ${usd(s.spentUsd)} on requests (no planned estimate recorded with the run)`
      : `saved ${usd(s.savedUsd)} of the planned ${usd(s.plannedUsd)} (estimate for ${queries} requests) ` +
        `by spending ${usd(s.spentUsd)} on requests`;
  return (
    `stopped early: ${d.reason}\n` +
    `  ${outcome.results} of ${queries} planned results recorded; ${d.removedJobs} waiting jobs removed\n` +
    `  ${saved}`
  );
}
