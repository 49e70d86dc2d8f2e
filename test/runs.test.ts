import { afterEach, describe, expect, it } from 'vitest';
import type { ResultRecord } from '../shared/result-record.js';
import { createRedis, RedisKeys } from '../shared/redis.js';
import { RunStore, type RunMeta } from '../shared/runs.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

const meta = (runId: string): RunMeta => ({
  runId,
  createdAt: Date.now(),
  seed: 1,
  mode: 'SIMULATED',
  options: { queries: 2 },
  budgetUsd: 1,
  counts: { queries: 2, pii: 0, bySegment: { 'other-paid': 2 }, byComplexity: { basic: 2 } },
  harnessCostUsd: 0,
});

const record = (runId: string, seq: number): ResultRecord => ({
  jobId: `${runId}.${seq}`,
  runId,
  seq,
  status: 'completed',
  userKey: `u${seq}`,
  variations: { 'support-agent': 'other-paid' },
  served: [],
  route: ['supervisor', 'support'],
  tokens: { input: 10, output: 5, total: 15 },
  requestCostUsd: 0.001,
  unpricedModels: [],
  harnessCostUsd: 0,
  feedback: 'positive',
  attempts: 1,
  finishedAt: Date.now(),
});

describe('RunStore', () => {
  let close: (() => Promise<unknown>) | undefined;
  afterEach(async () => close?.());

  it('stops a run only while it is enqueued, keeping a finished run or an earlier stop as it is', async () => {
    const prefix = testPrefix();
    const redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:test` });
    close = () => redis.quit();
    const store = new RunStore(redis, new RedisKeys(prefix));
    await store.create(meta('a'));
    expect(await store.stopIfEnqueued('a', 'decided')).toBe(true);
    expect(await store.get('a')).toMatchObject({ status: 'stopped', stopReason: 'decided' });
    expect(await store.stopIfEnqueued('a', 'again')).toBe(false);
    expect((await store.get('a'))?.stopReason).toBe('decided');
    await store.create(meta('b'));
    await store.recordResult(record('b', 1));
    await store.recordResult(record('b', 2));
    expect(await store.stopIfEnqueued('b', 'decided')).toBe(false);
    expect((await store.get('b'))?.status).toBe('done');
  });

  it('never marks a run of unknown size (0 queries) done by a count: its records do not finish it', async () => {
    const prefix = testPrefix();
    const redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:test` });
    close = () => redis.quit();
    const store = new RunStore(redis, new RedisKeys(prefix));
    const open = meta('open');
    await store.create({ ...open, counts: { ...open.counts, queries: 0 } });
    await store.recordResult(record('open', 0));
    expect(await store.recordUnstarted('open', 'open.1', 'removed')).toBe(true);
    expect(await store.get('open')).toMatchObject({ status: 'enqueued' });
    expect(await store.resultCount('open')).toBe(2);
  });

  it('records an unstarted job once as failed, so the run finishes', async () => {
    const prefix = testPrefix();
    const redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:test` });
    close = () => redis.quit();
    const store = new RunStore(redis, new RedisKeys(prefix));
    await store.create(meta('u'));
    await store.recordResult(record('u', 0));
    expect(await store.recordUnstarted('u', 'u.1', 'removed: run stopped')).toBe(true);
    expect(await store.recordUnstarted('u', 'u.1', 'again')).toBe(false);
    expect((await store.get('u'))?.status).toBe('done');
    const [unstarted] = await store.resultsOf('u', ['u.1']);
    expect(unstarted).toMatchObject({ seq: 1, status: 'failed', error: 'removed: run stopped', attempts: 0 });
    expect(await store.resultCount('u')).toBe(2);
  });

  it('creates a run once, records each result once, and adds spend atomically', async () => {
    const prefix = testPrefix();
    const redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:test` });
    close = () => redis.quit();
    const store = new RunStore(redis, new RedisKeys(prefix));

    expect(await store.create(meta('r1'))).toBe(true);
    expect(await store.create({ ...meta('r1'), seed: 99 })).toBe(false);
    expect((await store.get('r1'))?.meta.seed).toBe(1);
    expect(await store.get('nope')).toBeUndefined();

    expect(await store.recordResult(record('r1', 0))).toBe(true);
    expect(await store.recordResult({ ...record('r1', 0), feedback: 'negative' })).toBe(false);
    expect((await store.get('r1'))?.status).toBe('enqueued');
    expect(await store.recordResult(record('r1', 1))).toBe(true);
    expect((await store.get('r1'))?.status).toBe('done');
    const results = await store.allResults('r1');
    expect(results.map((r) => r.feedback).sort()).toEqual(['positive', 'positive']);

    await Promise.all([store.addSpend('r1', 0.25), store.addSpend('r1', 0.5)]);
    await store.setStatus('r1', 'stopped', 'budget exhausted');
    expect(await store.get('r1')).toMatchObject({
      status: 'stopped',
      stopReason: 'budget exhausted',
      spendUsd: 0.75,
    });
    expect(await store.list()).toEqual(['r1']);
  });
});

describe('RunStore.results', () => {
  let close: (() => Promise<unknown>) | undefined;
  afterEach(async () => close?.());

  it('yields each record once while results keep arriving (HSCAN may repeat fields as the hash grows)', async () => {
    const prefix = testPrefix();
    const redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:test` });
    close = () => redis.quit();
    const store = new RunStore(redis, new RedisKeys(prefix));
    await store.create({ ...meta('r2'), counts: { ...meta('r2').counts, queries: 3000 } });
    // A small hash is stored as a listpack and scanned in one go; many fields make it a real hash table.
    for (let seq = 0; seq < 1000; seq++) {
      await store.recordResult(record('r2', seq));
    }
    const ids: string[] = [];
    let next = 1000;
    for await (const result of store.results('r2', 50)) {
      ids.push(result.jobId);
      // Grow the hash during the scan, which makes Redis rehash and can return fields again.
      for (let i = 0; i < 5 && next < 3000; i++, next++) {
        await store.recordResult(record('r2', next));
      }
    }
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.length).toBeGreaterThanOrEqual(1000);
  });
});
