import type { Queue } from 'bullmq';
import { z } from 'zod';
import { buildReadout, isDecided, type Readout } from './build-readout.js';
import type { Experiment } from './experiments.js';
import { usd } from './format.js';
import { removeWaitingJobs, unfinishedJobs } from '../shared/run-jobs.js';
import { RunReconciler } from '../shared/run-reconciler.js';
import { REMOVED, type RunState, type RunStore } from '../shared/runs.js';

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
  /** Called (and awaited) after each poll with the run's result count and state. */
  onProgress?: (results: number, state: RunState) => void | Promise<void>;
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

/** Polls without a new result before the follower checks the queue for jobs that left it without a record. */
const STALLED_POLLS = 2;

/**
 * Polls a run's result count in Redis (so any process may follow it, wherever its workers run) until it is
 * done, or stopped and its jobs in flight have ended (waiting at most `drainMs` for them). With `decide`, every `every` results it builds the readout from the run's records and,
 * once `isDecided` holds, stops the run the way the budget guard does (status `stopped` with a reason, so
 * workers refuse its jobs), removes its waiting jobs from the queue, and waits until the jobs that had
 * started are finished and recorded.
 *
 * It never waits on a job that cannot end: when no result arrives for a few polls it reconciles the run's jobs
 * with the queue ({@link RunReconciler}): a job that left the queue without a record (removed by Bull Board, a
 * script, `redis-cli`) is recorded `removed`, and a run with no job left that may end is marked `done`, every
 * job it has in the queue having its record.
 */
export async function followRun(input: FollowRunInput): Promise<FollowRunOutcome> {
  const { store, runId, decide } = input;
  const pollMs = input.pollMs ?? 500;
  let nextCheck = decide?.every ?? Infinity;
  const reconciler = new RunReconciler(input.queue, store, runId);
  // The first pass learns the run's job ids while they are all in the queue.
  await reconciler.pass();
  let last = -1;
  let stalled = 0;
  for (;;) {
    const [results, state] = await Promise.all([store.resultCount(runId), store.get(runId)]);
    if (!state) {
      throw new Error(`run ${runId} has no record in Redis`);
    }
    await input.onProgress?.(results, state);
    if (state.status === 'done') {
      return { state, results };
    }
    if (state.status === 'stopped') {
      return drainStopped(input, pollMs);
    }
    stalled = results === last ? stalled + 1 : 0;
    last = results;
    if (state.status === 'enqueued' && stalled > 0 && stalled % STALLED_POLLS === 0) {
      if (await reconciler.settle(results)) {
        continue;
      }
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
  for (;;) {
    const [state, results] = await Promise.all([store.get(runId), store.resultCount(runId)]);
    if (!state) {
      throw new Error(`run ${runId} has no record in Redis`);
    }
    await input.onProgress?.(results, state);
    if (unfinished === 0 || Date.now() >= deadline) {
      return { state, results, unfinished };
    }
    await delay(pollMs);
    unfinished = (await unfinishedJobs(queue, runId)).length;
  }
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
  const removedJobs = (
    await removeWaitingJobs(queue, runId, { store, reason: `${REMOVED}: run stopped (decided)` })
  ).length;
  for (;;) {
    const [pending, results, current] = await Promise.all([
      unfinishedJobs(queue, runId),
      store.resultCount(runId),
      store.get(runId),
    ]);
    if (current) {
      await input.onProgress?.(results, current);
    }
    if (pending.length === 0) {
      break;
    }
    await delay(pollMs);
  }
  const [state, records] = await Promise.all([store.get(runId), store.allResults(runId)]);
  if (!state) {
    throw new Error(`run ${runId} has no record in Redis`);
  }
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
    `  ${outcome.results - d.removedJobs} of ${queries} planned results recorded; ${d.removedJobs} waiting jobs ` +
    `removed (recorded as removed)\n` +
    `  ${saved}`
  );
}
