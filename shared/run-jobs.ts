import type { JobType, Queue } from 'bullmq';
import { notRunReason, type RunStore } from './runs.js';

// A run's jobs in the shared queue: found by their id prefix (`<runId>.<seq>`), a page at a time.

/** The job states in which a job has not finished: it may still start, or is running, or will retry. */
const UNFINISHED: readonly JobType[] = ['waiting', 'prioritized', 'active', 'delayed'];

/** The job states in which a job has not started yet. */
const NOT_STARTED: readonly JobType[] = ['waiting', 'prioritized', 'delayed'];

/**
 * Removes the run's jobs that wait in the queue, each ending with a failed result record (`removed: <why>`) so
 * the run still has one record per job; a job a worker took meanwhile is locked and stays (the worker's budget
 * check then refuses it and records it as failed). Returns the ids of the jobs removed before they started.
 */
export async function removeWaitingJobs(
  queue: Queue,
  runId: string,
  record: { store: Pick<RunStore, 'recordRemoved' | 'resultsOf'>; reason: string },
): Promise<string[]> {
  const removed: string[] = [];
  // Delayed jobs too (retries waiting out a backoff): nothing of a stopped run should start again. Listed by
  // pages of lists that shrink as workers take jobs, some ids shift past a page: list again until none is left.
  for (;;) {
    const ids = [...new Set(await runJobIds(queue, runId, NOT_STARTED))];
    if (ids.length === 0) {
      return removed;
    }
    // In parallel (one pipeline's worth at a time): removed one by one, most jobs would be taken, refused and
    // recorded as failed by the workers before their turn came (339 of 1,500 in one zero-latency run).
    for (let i = 0; i < ids.length; i += 500) {
      const batch = ids.slice(i, i + 500);
      const results = await Promise.all(batch.map((id) => queue.remove(id)));
      // A job that finished meanwhile (a worker took it, the stopped run's job was refused) is removed from
      // the finished set only: it has its record already, so it is not counted as removed. (A worker that
      // saw the removal event may have written the `removed` record first: still counted.)
      const gone = batch.filter((_, k) => results[k] === 1);
      await record.store.recordRemoved(gone, record.reason, runId);
      const records = await record.store.resultsOf(runId, gone);
      removed.push(...records.filter((r) => notRunReason(r) === 'removed').map((r) => r.jobId));
    }
  }
}

export function unfinishedJobs(queue: Queue, runId: string): Promise<string[]> {
  return runJobIds(queue, runId, UNFINISHED);
}

/** Ids of the run's jobs in these states, read a page at a time (a queue holds other runs' jobs too). */
export async function runJobIds(queue: Queue, runId: string, types: readonly JobType[]): Promise<string[]> {
  const page = 1000;
  const ids: string[] = [];
  for (const type of types) {
    for (let start = 0; ; start += page) {
      const batch = await queue.getRanges([type], start, start + page - 1, true);
      ids.push(...batch.filter((id) => id.startsWith(`${runId}.`)));
      if (batch.length < page) {
        break;
      }
    }
  }
  return ids;
}

/**
 * Whether the run still has a job that may end later: one not started (delayed, prioritized, waiting), or
 * running without a result record yet (a running job whose record landed is finishing). Stops at the first
 * such job, a page at a time, so a run with work left answers after a read or two. States are read in the
 * order jobs move through them, so a job moving on during the scan is seen in its next state; a job moving
 * back (a retry's backoff, a stalled job put back) could slip past one scan, so "none" is only answered when a
 * second scan agrees. Jobs a pause set aside are not in the queue: the caller checks the run's status.
 */
export async function hasPendingJobs(
  queue: Queue,
  store: Pick<RunStore, 'recorded'>,
  runId: string,
): Promise<boolean> {
  return (await scanForPending(queue, store, runId)) || scanForPending(queue, store, runId);
}

async function scanForPending(
  queue: Queue,
  store: Pick<RunStore, 'recorded'>,
  runId: string,
): Promise<boolean> {
  for (const type of ['delayed', 'prioritized', 'waiting', 'active'] as const) {
    // A small first page: a run with work left usually shows it among the first jobs listed.
    for (let start = 0, page = 50; ; start += page, page = 1000) {
      const batch = await queue.getRanges([type], start, start + page - 1, true);
      const ids = batch.filter((id) => id.startsWith(`${runId}.`));
      if (type !== 'active' ? ids.length > 0 : (await store.recorded(runId, ids)).includes(false)) {
        return true;
      }
      if (batch.length < page) {
        break;
      }
    }
  }
  return false;
}
