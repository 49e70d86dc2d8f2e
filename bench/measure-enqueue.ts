import { Queue } from 'bullmq';
import { createRun } from '../producer/index.js';
import {
  QUERY_JOB_NAME,
  QUERY_JOB_OPTIONS,
  QUERY_QUEUE,
  queryJobId,
  type QueryJob,
} from '../shared/query-job.js';
import { bullConnection, createRedis } from '../shared/redis.js';
import type { BenchLine } from './bench-table.js';

/** Empties the bench Redis, so each side of the comparison starts from the same state. */
async function flush(redisUrl: string): Promise<void> {
  const redis = createRedis(redisUrl, { connectionName: 'bench-flush' });
  try {
    await redis.flushdb();
  } finally {
    await redis.quit();
  }
}

/** `addBulk` of `jobs` in chunks of 1,000 (the producer's default), with the producer's job options. */
async function rawAddBulk(redisUrl: string, jobs: readonly QueryJob[]): Promise<number> {
  const queue = new Queue(QUERY_QUEUE, {
    connection: bullConnection(redisUrl, 'bench-raw'),
    prefix: 'bench-raw',
  });
  try {
    await queue.waitUntilReady();
    const started = performance.now();
    for (let start = 0; start < jobs.length; start += 1000) {
      await queue.addBulk(
        jobs.slice(start, start + 1000).map((data) => ({
          name: QUERY_JOB_NAME,
          data,
          opts: { ...QUERY_JOB_OPTIONS, jobId: queryJobId(data.runId, data.seq) },
        })),
      );
    }
    return (performance.now() - started) / 1000;
  } finally {
    await queue.close();
  }
}

/** One producer run of `jobs` queries from an empty Redis: total and query-generation seconds, and the jobs. */
async function producerRun(redisUrl: string, jobs: number) {
  await flush(redisUrl);
  const started = performance.now();
  let planned = started;
  const run = await createRun(
    { runId: 'bench-enqueue', queries: jobs, seed: 3, topics: 'extractive' },
    { redisUrl, prefix: 'bench-producer', onPlan: () => (planned = performance.now()) },
  );
  const seconds = (performance.now() - started) / 1000;
  await flush(redisUrl);
  return { seconds, generating: (planned - started) / 1000, jobs: run.jobs };
}

/**
 * (4) `jobs` queries through the producer (`createRun`: knowledge base, topics, questions, users, run record,
 * addBulk) against a raw `addBulk` of the very same payloads: what the producer's work costs on top of Redis.
 * Each side runs `rounds` times, alternating, and keeps its best time: on a shared machine a neighbour's burst
 * would otherwise decide the ratio.
 */
export async function measureEnqueue(redisUrl: string, jobs = 100_000, rounds = 2): Promise<BenchLine> {
  let producer = { seconds: Infinity, generating: 0 };
  let rawSeconds = Infinity;
  for (let round = 0; round < rounds; round++) {
    const run = await producerRun(redisUrl, jobs);
    if (run.seconds < producer.seconds) {
      producer = run;
    }
    rawSeconds = Math.min(rawSeconds, await rawAddBulk(redisUrl, run.jobs));
    await flush(redisUrl);
  }
  return {
    id: 4,
    name: `enqueue ${jobs.toLocaleString('en-US')} jobs: producer time / raw addBulk time (best of ${rounds})`,
    value: producer.seconds / rawSeconds,
    unit: 'ratio',
    target: { op: '<=', value: 1.5 },
    details: {
      'producer s': producer.seconds,
      'of which generating s': producer.generating,
      'raw addBulk s': rawSeconds,
    },
  };
}
