import { Queue, Worker, type Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { QUERY_JOB_NAME, QUERY_QUEUE, queryJobId, type QueryJob } from '../shared/query-job.js';
import { createRedis, bullConnection } from '../shared/redis.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

describe('BullMQ against the harness Redis', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) {
      await close();
    }
  });

  it('completes a job added by a queue, and ignores a re-add of the same job id', async () => {
    const prefix = testPrefix();
    const connection = createRedis(testRedisUrl(), { connectionName: `${prefix}:test` });
    closers.push(() => connection.quit());
    const queue = new Queue<QueryJob>(QUERY_QUEUE, { connection, prefix });
    closers.push(() => queue.close());

    const job: QueryJob = { runId: 'r1', seq: 0, query: 'What is Q-learning?', user: { key: 'u1' } };
    const completed = new Promise<Job>((resolve) => {
      const worker = new Worker<QueryJob>(QUERY_QUEUE, async (j) => `answered ${j.data.query}`, {
        connection: bullConnection(testRedisUrl()),
        prefix,
      });
      closers.push(() => worker.close());
      worker.on('completed', resolve);
    });
    await queue.add(QUERY_JOB_NAME, job, { jobId: queryJobId('r1', 0) });
    await queue.add(QUERY_JOB_NAME, job, { jobId: queryJobId('r1', 0) });

    const done = await completed;
    expect(done.id).toBe('r1.0');
    expect(done.returnvalue).toBe('answered What is Q-learning?');
    expect(await queue.getJobCounts('completed', 'waiting')).toEqual({ completed: 1, waiting: 0 });
  });
});
