import type { JobType, Queue } from 'bullmq';

// A run's jobs in the shared queue: found by their id prefix (`<runId>.<seq>`), a page at a time.

/** The job states in which a job has not finished: it may still start, or is running, or will retry. */
const UNFINISHED: readonly JobType[] = ['waiting', 'prioritized', 'active', 'delayed'];

/**
 * Removes the run's jobs that wait in the queue; a job a worker took meanwhile is locked and stays (the
 * worker's budget check then refuses it and records it as failed).
 */
export async function removeWaitingJobs(queue: Queue, runId: string): Promise<string[]> {
  const removed: string[] = [];
  // Delayed jobs too (retries waiting out a backoff): nothing of a stopped run should start again. Listed by
  // pages of lists that shrink as workers take jobs, some ids shift past a page: list again until none is left.
  for (;;) {
    const ids = [...new Set(await runJobIds(queue, runId, ['waiting', 'prioritized', 'delayed']))];
    if (ids.length === 0) {
      return removed;
    }
    // In parallel (one pipeline's worth at a time): removed one by one, most jobs would be taken, refused and
    // recorded as failed by the workers before their turn came (339 of 1,500 in one zero-latency run).
    for (let i = 0; i < ids.length; i += 500) {
      const batch = ids.slice(i, i + 500);
      const results = await Promise.all(batch.map((id) => queue.remove(id)));
      removed.push(...batch.filter((_, k) => results[k] === 1));
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
