import { Queue, Worker } from 'bullmq';
import { QUERY_JOB_OPTIONS } from '../shared/jobs.js';
import { bullConnection } from '../shared/redis.js';
import type { BenchLine } from './bench-table.js';

export interface CeilingResult {
  line: BenchLine;
  jobsPerSecond: number;
}

/**
 * (1) The ceiling: a bare BullMQ worker (concurrency 50) whose processor does nothing, on `jobs` jobs
 * enqueued beforehand with the pipeline's job options. Timed from the worker's start to the last completion;
 * best of `rounds`, since one round lasts about half a second and a neighbour's burst would decide it.
 */
export async function measureCeiling(
  redisUrl: string,
  jobs = 10_000,
  concurrency = 50,
  rounds = 3,
): Promise<CeilingResult> {
  let best: CeilingResult | undefined;
  for (let round = 0; round < rounds; round++) {
    const result = await ceilingRound(redisUrl, jobs, concurrency);
    if (!best || result.jobsPerSecond > best.jobsPerSecond) {
      best = result;
    }
  }
  const line = (best as CeilingResult).line;
  return { ...(best as CeilingResult), line: { ...line, name: `${line.name} (best of ${rounds})` } };
}

async function ceilingRound(redisUrl: string, jobs: number, concurrency: number): Promise<CeilingResult> {
  const prefix = 'bench-ceiling';
  const queue = new Queue('ceiling', { connection: bullConnection(redisUrl, `${prefix}:queue`), prefix });
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
    const done = new Promise<void>((resolve) => (resolveDone = resolve));
    const started = performance.now();
    const worker = new Worker('ceiling', async () => {}, {
      connection: bullConnection(redisUrl, `${prefix}:worker`),
      prefix,
      concurrency,
    });
    worker.on('completed', () => {
      if (++completed === jobs) {
        resolveDone();
      }
    });
    await done;
    const seconds = (performance.now() - started) / 1000;
    await worker.close();
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
    await queue.obliterate({ force: true }).catch(() => {});
    await queue.close();
  }
}
