import { Queue, Worker } from 'bullmq';
import { QUERY_JOB_OPTIONS } from '../shared/query-job.js';
import { bullConnection } from '../shared/redis.js';
import type { BenchLine } from './bench-table.js';

export interface CeilingResult {
  line: BenchLine;
  jobsPerSecond: number;
}

export interface CeilingOptions {
  jobs?: number;
  concurrency?: number;
  rounds?: number;
  /** Key prefix of the queue (tests give their own). */
  prefix?: string;
  /** A round that has not finished by then fails, naming how far it got. */
  timeoutMs?: number;
  /** The job processor; a no-op unless a test needs another. */
  processor?: () => Promise<void>;
}

/**
 * (1) The ceiling: a bare BullMQ worker (concurrency 50) whose processor does nothing, on `jobs` jobs
 * enqueued beforehand with the pipeline's job options. Timed from the worker's start to the last completion;
 * best of `rounds`, since one round lasts about half a second and a neighbour's burst would decide it. A
 * failed job, a worker error or the timeout fails the measurement rather than leaving it waiting.
 */
export async function measureCeiling(redisUrl: string, options: CeilingOptions = {}): Promise<CeilingResult> {
  const rounds = options.rounds ?? 3;
  let best: CeilingResult | undefined;
  for (let round = 0; round < rounds; round++) {
    const result = await ceilingRound(redisUrl, options);
    if (!best || result.jobsPerSecond > best.jobsPerSecond) {
      best = result;
    }
  }
  const line = (best as CeilingResult).line;
  return { ...(best as CeilingResult), line: { ...line, name: `${line.name} (best of ${rounds})` } };
}

async function ceilingRound(redisUrl: string, options: CeilingOptions): Promise<CeilingResult> {
  const { jobs = 10_000, concurrency = 50, prefix = 'bench-ceiling', timeoutMs = 120_000 } = options;
  const queue = new Queue('ceiling', { connection: bullConnection(redisUrl, `${prefix}:queue`), prefix });
  let worker: Worker | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    for (let start = 0; start < jobs; start += 1000) {
      await queue.addBulk(
        Array.from({ length: Math.min(1000, jobs - start) }, (_, i) => ({
          name: 'noop',
          data: { seq: start + i },
          opts: { ...QUERY_JOB_OPTIONS, jobId: `ceiling.${start + i}` },
        })),
      );
    }
    let completed = 0;
    let resolveDone: () => void = () => {};
    let rejectDone: (err: Error) => void = () => {};
    const done = new Promise<void>((resolve, reject) => {
      resolveDone = resolve;
      rejectDone = reject;
    });
    const started = performance.now();
    worker = new Worker('ceiling', options.processor ?? (async () => {}), {
      connection: bullConnection(redisUrl, `${prefix}:worker`),
      prefix,
      concurrency,
    });
    worker.on('completed', () => {
      if (++completed === jobs) {
        resolveDone();
      }
    });
    worker.on('failed', (job, err) => {
      rejectDone(new Error(`ceiling job ${job?.id ?? '?'} failed: ${err.message}`));
    });
    worker.on('error', (err) => {
      rejectDone(new Error(`ceiling worker: ${err.message}`));
    });
    timer = setTimeout(
      () => rejectDone(new Error(`ceiling: ${completed} of ${jobs} jobs done after ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    await done;
    const seconds = (performance.now() - started) / 1000;
    const jobsPerSecond = jobs / seconds;
    return {
      jobsPerSecond,
      line: {
        id: 1,
        name: `ceiling: bare BullMQ worker, concurrency ${concurrency}, ${jobs.toLocaleString('en-US')} no-op jobs`,
        value: jobsPerSecond,
        unit: 'jobs/s',
        details: { seconds },
      },
    };
  } finally {
    clearTimeout(timer);
    // Closing without waiting for jobs in flight: a timed-out or failing round must not hang here.
    await worker?.close(true).catch(() => {});
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  }
}
