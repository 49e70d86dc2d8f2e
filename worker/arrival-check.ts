import type { Job } from 'bullmq';
import type { QueryJob } from '../shared/query-job.js';
import { DROPPED, type RunStore } from '../shared/runs.js';
import { buildResultRecord } from './result-record.js';

/** The error of a result record for a job that started too late after its scheduled arrival. */
export { DROPPED };

/** True when an open-model job starts later than its grace period after its scheduled time. */
export function isLateArrival(data: QueryJob, now: number): boolean {
  return (
    data.scheduledAt !== undefined &&
    data.dropAfterMs !== undefined &&
    now - data.scheduledAt > data.dropAfterMs
  );
}

/**
 * k6's dropped iterations: a job of an open-model run that could not start within its grace period is not run;
 * it ends with a failed result record, reason `dropped`, through the same path as every record (so it marks the
 * run done when it is the last), keeping its user, segment and queue wait (how late it was). The readout and
 * the summaries count dropped jobs apart from failures (`notRunReason`). Only a first attempt is checked (a
 * retry is late by its backoff, not for want of workers). Returns true when the job was dropped.
 */
export async function dropLateArrival(
  runs: Pick<RunStore, 'recordResult'>,
  job: Pick<Job, 'id' | 'timestamp' | 'attemptsMade'>,
  data: QueryJob,
  now = Date.now(),
): Promise<boolean> {
  if (job.attemptsMade > 0 || !isLateArrival(data, now)) {
    return false;
  }
  await runs.recordResult(
    buildResultRecord({
      jobId: job.id as string,
      job: data,
      status: 'failed',
      enqueuedAt: job.timestamp,
      firstStartedAt: now,
      // It was taken, not run: no attempt, as for every job that never ran.
      attempts: 0,
      error: DROPPED,
      finishedAt: now,
    }),
  );
  return true;
}
