import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { QUERY_JOB_NAME, QUERY_JOB_OPTIONS, QUERY_QUEUE, queryJobId } from '../shared/query-job.js';
import type { ResultRecord } from '../shared/result-record.js';
import { bullConnection, createRedis, RedisKeys } from '../shared/redis.js';
import { pauseRun, resumeRun, stopRun } from '../shared/run-control.js';
import { RunStore } from '../shared/runs.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';
import { queryJob } from './worker-stack.js';

const record = (runId: string, seq: number): ResultRecord => ({
  jobId: queryJobId(runId, seq),
  runId,
  seq,
  status: 'completed',
  userKey: `u${seq}`,
  variations: {},
  served: [],
  route: [],
  tokens: { input: 1, output: 1, total: 2 },
  requestCostUsd: 0.001,
  unpricedModels: [],
  harnessCostUsd: 0,
  feedback: 'positive',
  attempts: 1,
  finishedAt: Date.now(),
});

/** Stop, pause and resume against a real Redis and BullMQ queue (no worker: nothing is in flight). */
describe('run control', () => {
  let close: (() => Promise<unknown>) | undefined;
  afterEach(async () => close?.());

  async function setUp(runId: string, jobs: number) {
    const prefix = testPrefix('ctl');
    const redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:test` });
    const queue = new Queue(QUERY_QUEUE, {
      connection: bullConnection(testRedisUrl(), `${prefix}:q`),
      prefix,
    });
    close = async () => {
      await queue.close();
      await redis.quit();
    };
    const keys = new RedisKeys(prefix);
    const store = new RunStore(redis, keys);
    await store.ensure(runId);
    // Another run shares the queue: it must not be touched.
    await store.ensure('other');
    const add = (id: string, seq: number, delay = 0) => ({
      name: QUERY_JOB_NAME,
      data: queryJob(id, seq),
      opts: { ...QUERY_JOB_OPTIONS, jobId: queryJobId(id, seq), ...(delay ? { delay } : {}) },
    });
    await queue.addBulk([
      ...Array.from({ length: jobs }, (_, seq) => add(runId, seq, seq % 3 === 0 ? 60_000 : 0)),
      add('other', 0),
    ]);
    return { deps: { store, queue, redis, keys }, store, queue, redis };
  }

  it('stop leaves no queued job of the run, keeps every recorded result and says why', async () => {
    const { deps, store, queue } = await setUp('r', 12);
    for (const seq of [0, 1, 2]) {
      await store.recordResult(record('r', seq));
    }
    const outcome = await stopRun(deps, 'r', 'enough data', { wait: true, pollMs: 10 });
    // The 9 jobs without a result were removed before they ran, each recorded so; the 3 results stay.
    expect(outcome).toMatchObject({ changed: true, status: 'stopped', jobs: 9 });
    const left = await queue.getJobs(['waiting', 'prioritized', 'delayed', 'active']);
    expect(left.map((j) => j.id)).toEqual([queryJobId('other', 0)]);
    const records = await store.allResults('r');
    expect(records).toHaveLength(12);
    expect(
      records
        .filter((r) => r.status === 'completed')
        .map((r) => r.seq)
        .sort(),
    ).toEqual([0, 1, 2]);
    const removed = records.filter((r) => r.error === 'removed: run stopped');
    expect(removed.map((r) => r.seq).sort((a, b) => a - b)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(removed.every((r) => r.status === 'failed' && r.attempts === 0)).toBe(true);
    expect(await store.get('r')).toMatchObject({ status: 'stopped', stopReason: 'enough data' });
    // A second stop changes nothing.
    expect((await stopRun(deps, 'r', 'again')).changed).toBe(false);
  });

  it("pause takes the run's jobs out of the shared queue and resume puts the same jobs back", async () => {
    const { deps, store, queue, redis } = await setUp('p', 7);
    expect(await pauseRun(deps, 'p')).toMatchObject({ changed: true, status: 'paused', jobs: 7 });
    const during = await queue.getJobs(['waiting', 'prioritized', 'delayed']);
    expect(during.map((j) => j.id)).toEqual([queryJobId('other', 0)]);
    expect(await resumeRun(deps, 'p')).toMatchObject({ changed: true, status: 'enqueued', jobs: 7 });
    const after = await queue.getJobs(['waiting', 'prioritized', 'delayed']);
    expect(after.map((j) => j.id).sort()).toEqual(
      [...Array.from({ length: 7 }, (_, seq) => queryJobId('p', seq)), queryJobId('other', 0)].sort(),
    );
    const job = await queue.getJob(queryJobId('p', 4));
    expect(job?.data).toEqual(queryJob('p', 4));
    expect(job?.opts.attempts).toBe(QUERY_JOB_OPTIONS.attempts);
    expect(await redis.exists(`${deps.keys.run('p')}:paused`)).toBe(0);
    expect((await store.get('p'))?.status).toBe('enqueued');
  });

  it('stop records the jobs a pause had set aside as removed, with their users', async () => {
    const { deps, store, redis } = await setUp('s', 4);
    await pauseRun(deps, 's');
    expect(await stopRun(deps, 's', 'changed my mind')).toMatchObject({ status: 'stopped', jobs: 4 });
    const records = await store.allResults('s');
    expect(records.map((r) => [r.seq, r.error, r.userKey]).sort()).toEqual(
      [0, 1, 2, 3].map((seq) => [seq, 'removed: run stopped', queryJob('s', seq).user.key]),
    );
    expect(await redis.exists(`${deps.keys.run('s')}:paused`)).toBe(0);
  });
});
