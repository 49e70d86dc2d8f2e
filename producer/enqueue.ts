import type { Queue } from 'bullmq';
import {
  QUERY_JOB_NAME,
  QUERY_JOB_OPTIONS,
  QUERY_QUEUE,
  queryJobId,
  type QueryJob,
} from '../shared/query-job.js';
import { startJobSpans } from '../shared/telemetry.js';

export interface EnqueueOptions {
  /** Jobs per `addBulk` call (one Redis round trip each). */
  chunkSize: number;
  onProgress?: ((done: number, total: number) => void) | undefined;
}

/**
 * Adds jobs with `addBulk` in chunks. Job ids are `${runId}.${seq}`, so adding a job that exists is a no-op
 * and re-enqueueing a run (or resuming one that stopped half-way) adds only what is missing.
 */
export async function enqueueJobs(
  queue: Queue,
  jobs: readonly QueryJob[],
  options: EnqueueOptions,
): Promise<void> {
  for (let start = 0; start < jobs.length; start += options.chunkSize) {
    const chunk = jobs.slice(start, start + options.chunkSize);
    // Tracing on: each job's own trace starts here (its context travels in the job to the worker).
    const spans = startJobSpans(
      QUERY_QUEUE,
      chunk.map((data) => ({
        'messaging.message.id': queryJobId(data.runId, data.seq),
        'loadgen.run_id': data.runId,
      })),
    );
    const added = queue.addBulk(
      chunk.map((data, i) => ({
        name: QUERY_JOB_NAME,
        data,
        opts: {
          ...QUERY_JOB_OPTIONS,
          jobId: queryJobId(data.runId, data.seq),
          // Open model: a delayed job arrives at its scheduled time whether or not the producer still runs.
          ...(data.scheduledAt !== undefined ? { delay: Math.max(0, data.scheduledAt - Date.now()) } : {}),
          ...(spans ? { telemetry: { metadata: spans.metadata[i] } } : {}),
        },
      })),
    );
    await added.then(
      () => spans?.end(),
      (err: unknown) => {
        spans?.end(err);
        throw err;
      },
    );
    options.onProgress?.(start + chunk.length, jobs.length);
  }
}
