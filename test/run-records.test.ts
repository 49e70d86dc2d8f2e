import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createDashboardApp } from '../dashboard/index.js';
import { LoadgenClient } from '../lib.js';
import { followRun } from '../readout/index.js';
import { createLogger } from '../shared/logger.js';
import { QUERY_JOB_NAME, QUERY_JOB_OPTIONS, QUERY_QUEUE, queryJobId } from '../shared/query-job.js';
import { bullConnection, createRedis, RedisKeys } from '../shared/redis.js';
import { pauseRun, resumeRun } from '../shared/run-control.js';
import { RunStore } from '../shared/runs.js';
import { LiveFeed } from '../start/live-stats.js';
import { loadConfig as loadWorkerConfig, startWorker, type WorkerHandle } from '../worker/index.js';
import { CheckpointStore } from '../worker/checkpoint-store.js';
import { RemovedJobs } from '../worker/removed-jobs.js';
import { basic, PASSWORD, resultRecord, runMeta, USER } from './dashboard-fixtures.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';
import { queryJob, WorkerStack } from './worker-stack.js';

/** Every job ends with a record: removed jobs, whoever removed them, and runs that still finish. */
describe('jobs that never run still end with a record', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup();
    }
  });

  function setUp(label: string) {
    const prefix = testPrefix(label);
    const redis: Redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:test` });
    const queue = new Queue(QUERY_QUEUE, {
      connection: bullConnection(testRedisUrl(), `${prefix}:queue`),
      prefix,
    });
    cleanups.push(
      () => redis.quit(),
      () => queue.close(),
    );
    const keys = new RedisKeys(prefix);
    const store = new RunStore(redis, keys);
    const add = (runId: string, seqs: number[], delay = 0) =>
      queue.addBulk(
        seqs.map((seq) => ({
          name: QUERY_JOB_NAME,
          data: queryJob(runId, seq),
          opts: { ...QUERY_JOB_OPTIONS, jobId: queryJobId(runId, seq), ...(delay ? { delay } : {}) },
        })),
      );
    return { prefix, redis, queue, keys, store, add };
  }

  it("records jobs removed through Bull Board's API on the dashboard, and the run finishes", async () => {
    const { queue, store, add } = setUp('rbb');
    await store.create(runMeta('bb', { counts: { queries: 4, pii: 0, bySegment: {}, byComplexity: {} } }));
    await add('bb', [0], 3_600_000);
    await add('bb', [1, 2, 3]);
    const app = createDashboardApp({
      store,
      queue,
      auth: { user: USER, password: PASSWORD },
      allowDestructive: true,
    });
    const put = (path: string) =>
      app.request(`/queues/api/queues/${QUERY_QUEUE}/${path}`, {
        method: 'PUT',
        headers: { ...basic(), origin: 'http://localhost', 'sec-fetch-site': 'same-origin' },
      });
    // The remove button of one job (a delayed one), then "empty" for the waiting ones.
    expect((await put(`${encodeURIComponent(queryJobId('bb', 0))}/clean`)).status).toBe(204);
    expect((await put('empty')).status).toBe(200);
    expect(await queue.getJobCounts('waiting', 'delayed')).toEqual({ waiting: 0, delayed: 0 });

    const records = await store.allResults('bb');
    expect(records.map((r) => [r.seq, r.status, r.error]).sort()).toEqual(
      [0, 1, 2, 3].map((seq) => [seq, 'failed', 'removed: from Bull Board']),
    );
    // The last record completes the run's count: it is done, not waited on forever.
    expect((await store.get('bb'))?.status).toBe('done');
  });

  it('records a job a script removes with queue.remove (BullMQ removed event), but not one a pause set aside', async () => {
    const { prefix, queue, store, redis, keys, add } = setUp('rrm');
    await store.ensure('scripted');
    await add('scripted', [0, 1], 3_600_000);
    // A pause takes both jobs out of the queue and a resume puts them back: not removed.
    await pauseRun({ store, queue, redis, keys }, 'scripted');
    await resumeRun({ store, queue, redis, keys }, 'scripted');
    // Removed while no listener runs (every worker down): the listener catches up from the events stream.
    expect(await queue.remove(queryJobId('scripted', 1))).toBe(1);
    let onRecorded: (jobId: string) => void = () => {};
    const recorded = new Promise<string>((resolve) => (onRecorded = resolve));
    const listener = new RemovedJobs({
      connection: bullConnection(testRedisUrl(), `${prefix}:events`),
      prefix,
      queue,
      store,
      logger: createLogger({ level: 'silent' }),
      onRecorded: (_runId, jobId) => onRecorded(jobId),
    });
    cleanups.push(() => listener.close());
    expect(await recorded).toBe(queryJobId('scripted', 1));
    // Job 0 was removed by the pause too (and put back by the resume): no record.
    const records = await store.allResults('scripted');
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ seq: 1, status: 'failed', error: 'removed', attempts: 0 });
  });

  it('the follower never waits on a job that left the queue unseen: it records it and the run ends', async () => {
    const { redis, queue, keys, store, add } = setUp('rfw');
    await store.create(runMeta('gone', { counts: { queries: 3, pii: 0, bySegment: {}, byComplexity: {} } }));
    await add('gone', [0, 1, 2], 3_600_000);
    await store.recordResult(resultRecord('gone', 0));
    let first = true;
    const followed = await followRun({
      store,
      queue,
      runId: 'gone',
      pollMs: 20,
      onProgress: async () => {
        if (first) {
          first = false;
          // Gone without any event a listener could see (as when every worker is down): the job's keys and
          // its entry in the delayed set deleted directly.
          for (const seq of [1, 2]) {
            const id = queryJobId('gone', seq);
            await redis.del(`${keys.prefix}:${QUERY_QUEUE}:${id}`);
            await redis.zrem(`${keys.prefix}:${QUERY_QUEUE}:delayed`, id);
          }
          await queue.remove(queryJobId('gone', 0));
        }
      },
    });
    expect(followed.state.status).toBe('done');
    const records = await store.allResults('gone');
    expect(records.map((r) => [r.seq, r.error ?? null]).sort()).toEqual([
      [0, null],
      [1, 'removed'],
      [2, 'removed'],
    ]);
  });

  it("a script's waitForResults never waits on a job that left the queue while no worker listened", async () => {
    const { prefix, redis, queue, keys, store, add } = setUp('rwait');
    await store.create(runMeta('quiet', { counts: { queries: 2, pii: 0, bySegment: {}, byComplexity: {} } }));
    await add('quiet', [0, 1], 3_600_000);
    const client = new LoadgenClient({ redisUrl: testRedisUrl(), prefix });
    cleanups.push(() => client.close());
    // Job 0 ends with its record; job 1's keys are deleted with no event (no worker is running), once the
    // waiter has seen it in the queue.
    await queue.remove(queryJobId('quiet', 0));
    await store.recordResult(resultRecord('quiet', 0));
    let polls = 0;
    const waited = client.waitForResults('quiet', {
      pollMs: 20,
      timeoutMs: 60_000,
      onProgress: async () => {
        if (++polls === 1) {
          const id = queryJobId('quiet', 1);
          await redis.del(`${keys.prefix}:${QUERY_QUEUE}:${id}`);
          await redis.zrem(`${keys.prefix}:${QUERY_QUEUE}:delayed`, id);
        }
      },
    });
    const records = await waited;
    expect(records.map((r) => [r.seq, r.error ?? null]).sort()).toEqual([
      [0, null],
      [1, 'removed'],
    ]);
    expect((await store.get('quiet'))?.status).toBe('done');
  });

  it('a follower started before the run has jobs does not call it done: it waits for them', async () => {
    const { queue, store, add } = setUp('rearly');
    await store.create(runMeta('early', { counts: { queries: 2, pii: 0, bySegment: {}, byComplexity: {} } }));
    let polls = 0;
    const followed = await followRun({
      store,
      queue,
      runId: 'early',
      pollMs: 5,
      onProgress: async () => {
        polls += 1;
        // Many stalled polls (so many reconciliation passes) with no job yet, as while a producer enqueues;
        // then the jobs, recorded as a worker would (the last record marks the run done).
        if (polls === 20) {
          await add('early', [0, 1], 3_600_000);
        }
        if (polls === 40) {
          await queue.remove(queryJobId('early', 0));
          await queue.remove(queryJobId('early', 1));
          await store.recordResult(resultRecord('early', 0));
          await store.recordResult(resultRecord('early', 1));
        }
      },
    });
    expect(polls).toBeGreaterThanOrEqual(40);
    expect(followed).toMatchObject({ state: { status: 'done' }, results: 2 });
  });

  it('a run a script enqueued without a record is done once every job it has in the queue has its record', async () => {
    const prefix = testPrefix('ropen');
    const stack = await WorkerStack.start({ redisUrl: testRedisUrl(), prefix });
    cleanups.push(() => stack.close());
    const worker: WorkerHandle = await startWorker({
      config: loadWorkerConfig(stack.workerEnv()),
      logger: createLogger({ level: 'silent' }),
      tty: false,
    });
    cleanups.push(() => worker.close());
    // Job 3 waits an hour: the run is not done while it may still run.
    await stack.enqueue('open', 3);
    await stack.queue.add(QUERY_JOB_NAME, queryJob('open', 3), {
      ...QUERY_JOB_OPTIONS,
      jobId: queryJobId('open', 3),
      delay: 3_600_000,
    });
    await stack.waitForResults('open', 3, 60_000);
    expect(await stack.runs.get('open')).toMatchObject({ status: 'enqueued', meta: { mode: 'UNKNOWN' } });

    // A script removes it: the worker records it `removed`, and the run is done.
    await stack.queue.remove(queryJobId('open', 3));
    await expect
      .poll(async () => (await stack.runs.get('open'))?.status, { timeout: 30_000, interval: 50 })
      .toBe('done');
    const records = await stack.runs.allResults('open');
    expect(records.map((r) => [r.seq, r.status, r.error ?? null]).sort()).toEqual([
      [0, 'completed', null],
      [1, 'completed', null],
      [2, 'completed', null],
      [3, 'failed', 'removed'],
    ]);
  }, 90_000);

  it('live stats read only what is new: in flight, failures by reason, not run, spend, users per arm', async () => {
    const { prefix, redis, keys, queue, store, add } = setUp('rlive');
    await store.create(runMeta('live', { budgetUsd: 2 }));
    await add('live', [0]);
    // A job held by a worker until the test lets it go: in flight.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    let started: () => void = () => {};
    const active = new Promise<void>((resolve) => (started = resolve));
    const worker = new Worker(
      QUERY_QUEUE,
      async () => {
        started();
        await held;
      },
      { connection: bullConnection(testRedisUrl(), `${prefix}:worker`), prefix },
    );
    cleanups.push(() => worker.close());
    await active;

    const feed = new LiveFeed(store, queue, 'live');
    const arm = (variation: string) => ({ 'support-agent': variation });
    await store.recordResult(resultRecord('live', 1, { userKey: 'a', variations: arm('control') }));
    await store.recordResult(resultRecord('live', 2, { userKey: 'a', variations: arm('control') }));
    await store.recordResult(resultRecord('live', 3, { userKey: 'b', variations: arm('treatment') }));
    await store.recordResult(
      resultRecord('live', 4, { status: 'failed', error: 'agent service: HTTP 503', variations: {} }),
    );
    await store.recordUnstarted('live', queryJobId('live', 5), 'dropped');
    await store.addSpend('live', 0.25);
    const state = async () => (await store.get('live'))!;
    expect(await feed.poll(await state())).toEqual({
      inFlight: 1,
      completed: 3,
      failures: [{ reason: 'agent service: HTTP 503', count: 1 }],
      dropped: 1,
      removed: 0,
      spendUsd: 0.25,
      budgetUsd: 2,
      usersPerArm: { 'support-agent/control': 1, 'support-agent/treatment': 1 },
    });
    release();
    // A manual retry replaces job 4's failed record: counted once, by its newest record.
    await new CheckpointStore(redis, keys).open(queryJobId('live', 4), 'live', { start: true });
    await store.recordResult(resultRecord('live', 4, { userKey: 'c', variations: arm('treatment') }));
    await store.recordUnstarted('live', queryJobId('live', 6), 'removed: run stopped');
    const second = await feed.poll(await state());
    expect(second).toMatchObject({
      completed: 4,
      failures: [],
      dropped: 1,
      removed: 1,
      usersPerArm: { 'support-agent/control': 1, 'support-agent/treatment': 2 },
    });
  });
});
