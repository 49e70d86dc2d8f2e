import type { JobsOptions, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUERY_JOB_OPTIONS } from './query-job.js';
import { removeWaitingJobs, runJobIds, unfinishedJobs } from './run-jobs.js';
import type { RedisKeys } from './redis.js';
import { pausedJobsKey, REMOVED, type RunStore } from './runs.js';

/**
 * Stop, pause and resume one run. Every run shares the one `queries` queue, so pausing the queue would pause
 * every run: a run is paused by taking its waiting (and delayed) jobs out of the queue into a hash of its own
 * (`run:<id>:paused`, job id → name, data, options) and resumed by adding them back with the same ids. Jobs
 * already running finish either way.
 */
export interface RunControlDeps {
  store: RunStore;
  queue: Queue;
  redis: Redis;
  keys: RedisKeys;
}

export interface ControlOutcome {
  runId: string;
  /** Whether the run's status changed (false: it was not in a state this action applies to). */
  changed: boolean;
  status: string;
  /** Jobs taken out of the queue (stop: removed; pause: set aside) or put back (resume). */
  jobs: number;
}

export type RunAction = 'stop' | 'pause' | 'resume';

/** The run page's buttons: one function for the three actions (a dashboard stop says where it came from). */
export function runController(
  deps: RunControlDeps,
): (runId: string, action: RunAction) => Promise<ControlOutcome> {
  return (runId, action) =>
    action === 'stop'
      ? stopRun(deps, runId, 'stopped from the dashboard')
      : action === 'pause'
        ? pauseRun(deps, runId)
        : resumeRun(deps, runId);
}

const pausedKey = pausedJobsKey;

/**
 * Stops a run: status `stopped` with `reason` (workers then refuse its jobs), its waiting, prioritized and
 * delayed jobs removed and jobs set aside by a pause dropped, each with a failed record `removed: run stopped`
 * (so the readout counts them); with `wait`, returns once the jobs in flight are finished and recorded. Results
 * already recorded are kept.
 */
export async function stopRun(
  deps: RunControlDeps,
  runId: string,
  reason: string,
  options: { wait?: boolean; pollMs?: number } = {},
): Promise<ControlOutcome> {
  await requireRun(deps, runId);
  const changed = await deps.store.transition(runId, ['enqueued', 'paused'], 'stopped', reason);
  let jobs = 0;
  if (changed) {
    const removed = `${REMOVED}: run stopped`;
    jobs = (await removeWaitingJobs(deps.queue, runId, { store: deps.store, reason: removed })).length;
    // Jobs a pause set aside end the same way (recorded first, so a crash in between loses no record).
    const aside = Object.entries(await deps.redis.hgetall(pausedKey(deps.keys, runId)));
    for (let i = 0; i < aside.length; i += 500) {
      await Promise.all(
        aside
          .slice(i, i + 500)
          .map(([id, json]) =>
            deps.store.recordUnstarted(runId, id, removed, (JSON.parse(json) as { data?: unknown }).data),
          ),
      );
    }
    jobs += aside.length;
    await deps.redis.del(pausedKey(deps.keys, runId));
    while (options.wait && (await unfinishedJobs(deps.queue, runId)).length > 0) {
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 200));
    }
  }
  return { runId, changed, status: (await requireRun(deps, runId)).status, jobs };
}

/** Pauses a run: its jobs not yet started leave the queue (kept aside); running ones finish. */
export async function pauseRun(deps: RunControlDeps, runId: string): Promise<ControlOutcome> {
  await requireRun(deps, runId);
  const changed = await deps.store.transition(runId, ['enqueued'], 'paused');
  let jobs = 0;
  if (changed) {
    const key = pausedKey(deps.keys, runId);
    for (;;) {
      const ids = [...new Set(await runJobIds(deps.queue, runId, ['waiting', 'prioritized', 'delayed']))];
      if (ids.length === 0) {
        break;
      }
      for (let i = 0; i < ids.length; i += 500) {
        await Promise.all(
          ids.slice(i, i + 500).map(async (id) => {
            const job = await deps.queue.getJob(id);
            if (!job) {
              return;
            }
            // Set aside first, then removed: a crash in between leaves a copy, never a lost job (resume adds
            // nothing for an id that still exists).
            const saved = JSON.stringify({ name: job.name, data: job.data, opts: keptOptions(job.opts) });
            await deps.redis.hset(key, id, saved);
            if ((await deps.queue.remove(id)) === 1) {
              jobs++;
            } else {
              // A worker took it meanwhile: it runs, so it is not paused.
              await deps.redis.hdel(key, id);
            }
          }),
        );
      }
    }
  }
  return { runId, changed, status: (await requireRun(deps, runId)).status, jobs };
}

/** Resumes a paused run: the jobs set aside go back into the queue with their ids. */
export async function resumeRun(deps: RunControlDeps, runId: string): Promise<ControlOutcome> {
  await requireRun(deps, runId);
  const changed = await deps.store.transition(runId, ['paused'], 'enqueued');
  let jobs = 0;
  if (changed) {
    const key = pausedKey(deps.keys, runId);
    const saved = await deps.redis.hgetall(key);
    const entries = Object.entries(saved);
    for (let i = 0; i < entries.length; i += 500) {
      const batch = entries.slice(i, i + 500);
      await deps.queue.addBulk(
        batch.map(([id, json]) => {
          const job = JSON.parse(json) as { name: string; data: unknown; opts: Record<string, unknown> };
          return { name: job.name, data: job.data, opts: { ...job.opts, jobId: id } };
        }),
      );
      await deps.redis.hdel(key, ...batch.map(([id]) => id));
      jobs += batch.length;
    }
  }
  return { runId, changed, status: (await requireRun(deps, runId)).status, jobs };
}

/** The options a job is re-added with: the retry policy, not BullMQ's bookkeeping (timestamps, delays). */
function keptOptions(options: JobsOptions): Record<string, unknown> {
  const opts = options as Record<string, unknown>;
  const kept: Record<string, unknown> = {};
  for (const name of ['attempts', 'backoff', 'removeOnComplete', 'removeOnFail', 'priority'] as const) {
    if (opts[name] !== undefined) {
      kept[name] = opts[name];
    }
  }
  return Object.keys(kept).length > 0 ? kept : { ...QUERY_JOB_OPTIONS };
}

async function requireRun(deps: RunControlDeps, runId: string) {
  const state = await deps.store.get(runId);
  if (!state) {
    throw new RunNotFoundError(runId);
  }
  return state;
}

export class RunNotFoundError extends Error {
  constructor(readonly runId: string) {
    super(`run "${runId}" not found`);
  }
}
