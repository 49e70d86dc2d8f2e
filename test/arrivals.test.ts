import { Queue, Worker, type Job } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { arrivalOffsets, scheduleFrom } from '../shared/arrivals.js';
import { QUERY_QUEUE, type QueryJob } from '../shared/query-job.js';
import { bullConnection, createRedis, RedisKeys } from '../shared/redis.js';
import { RunStore } from '../shared/runs.js';
import { enqueueJobs } from '../producer/enqueue.js';
import { DROPPED, dropLateArrival } from '../worker/arrival-check.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

/** Open-model jobs of a seeded schedule, due from `start` on. */
function scheduledJobs(runId: string, offsets: number[], start: number, dropAfterMs?: number): QueryJob[] {
  return offsets.map((offset, seq) => ({
    runId,
    seq,
    query: `question ${seq}`,
    user: { key: `u${seq}` },
    scheduledAt: start + offset,
    ...(dropAfterMs !== undefined ? { dropAfterMs } : {}),
  }));
}

describe('open-model arrivals through BullMQ delayed jobs', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) {
      await close();
    }
  });

  function setUp() {
    const prefix = testPrefix();
    const redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:test` });
    closers.push(() => redis.quit());
    const queue = new Queue(QUERY_QUEUE, {
      connection: bullConnection(testRedisUrl(), `${prefix}:queue`),
      prefix,
    });
    closers.push(() => queue.close());
    return { prefix, redis, queue };
  }

  function startWorker(
    prefix: string,
    concurrency: number,
    process: (job: Job<QueryJob>) => Promise<void>,
    total: number,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      let done = 0;
      const worker = new Worker<QueryJob>(QUERY_QUEUE, process, {
        connection: bullConnection(testRedisUrl(), `${prefix}:worker`),
        prefix,
        concurrency,
      });
      closers.push(() => worker.close());
      worker.on('completed', () => {
        if (++done === total) {
          resolve();
        }
      });
      worker.on('failed', (_job, err) => reject(err));
    });
  }

  it('starts seeded Poisson arrivals at the scheduled rate, within 5%, over 30 s', async () => {
    const { prefix, queue } = setUp();
    const rate = 40;
    const offsets = arrivalOffsets(scheduleFrom({ arrival: 'poisson', rate, durationMs: 30_000 })!, 7);
    // Leave time to add every job before the first is due, so no arrival is late for the enqueueing itself.
    const start = Date.now() + 2000;
    const jobs = scheduledJobs('arrivals', offsets, start);
    const started: { scheduledAt: number; startedAt: number }[] = [];
    const finished = startWorker(
      prefix,
      50,
      async (job) => {
        started.push({ scheduledAt: job.data.scheduledAt!, startedAt: Date.now() });
      },
      jobs.length,
    );
    await enqueueJobs(queue, jobs, { chunkSize: 200 });
    await finished;

    expect(started).toHaveLength(jobs.length);
    const starts = started.map((s) => s.startedAt).sort((a, b) => a - b);
    const first = starts[0]!;
    const spanS = (starts.at(-1)! - first) / 1000;
    // Measured rate from start times: arrivals per second over the span they started in.
    const measured = (starts.length - 1) / spanS;
    expect(Math.abs(measured - rate) / rate, `measured ${measured.toFixed(2)}/s`).toBeLessThan(0.05);
    // And the shape holds: each 10 s window of start times has its scheduled window's count, within 5%.
    for (let w = 0; w < 3; w++) {
      const inWindow = (times: number[], origin: number) =>
        times.filter((t) => t - origin >= w * 10_000 && t - origin < (w + 1) * 10_000).length;
      const planned = inWindow(
        jobs.map((j) => j.scheduledAt!),
        start,
      );
      const seen = inWindow(starts, start);
      expect(Math.abs(seen - planned) / planned).toBeLessThan(0.05);
    }
  }, 90_000);

  it('counts jobs that could not start within their grace period as dropped when workers are too few', async () => {
    const { prefix, redis, queue } = setUp();
    const runs = new RunStore(redis, new RedisKeys(prefix));
    const offsets = arrivalOffsets(scheduleFrom({ rate: 20, durationMs: 2000 })!, 1);
    const dropAfterMs = 2000;
    const start = Date.now() + 500;
    const jobs = scheduledJobs('dropping', offsets, start, dropAfterMs);
    const lastDue = start + offsets.at(-1)! + dropAfterMs;
    let completed = 0;
    // One slot whose work outlasts every other job's grace period: the jobs behind it cannot start in time.
    const finished = startWorker(
      prefix,
      1,
      async (job) => {
        if (await dropLateArrival(runs, job, job.data)) {
          return;
        }
        completed++;
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, lastDue + 50 - Date.now())));
      },
      jobs.length,
    );
    await enqueueJobs(queue, jobs, { chunkSize: 100 });
    await finished;

    const records = await runs.allResults('dropping');
    const dropped = records.filter((r) => r.status === 'failed' && r.error === DROPPED);
    expect(records.length + completed).toBe(jobs.length);
    expect(completed).toBeGreaterThanOrEqual(1);
    expect(dropped.length).toBe(records.length);
    expect(dropped.length).toBeGreaterThanOrEqual(jobs.length - 3);
    // Their queue wait counts from the scheduled arrival, past the grace period.
    expect(dropped.every((r) => (r.queueWaitMs ?? 0) > dropAfterMs)).toBe(true);
  }, 60_000);
});
