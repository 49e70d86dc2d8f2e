import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { RunReader } from '../dashboard/run-reader.js';
import { createRedis, RedisKeys } from '../shared/redis.js';
import { RunStore } from '../shared/runs.js';
import { resultRecord, runMeta } from './dashboard-fixtures.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

describe('RunReader: the records of a polled run', () => {
  let redis: Redis;
  let keys: RedisKeys;
  let store: RunStore;
  let reader: RunReader;

  beforeEach(async () => {
    const prefix = testPrefix('reader');
    redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:test` });
    keys = new RedisKeys(prefix);
    store = new RunStore(redis, keys);
    reader = new RunReader(store);
    await store.create(runMeta('live'));
  });
  afterEach(async () => {
    await redis.quit();
  });

  const seqs = async () => (await reader.read('live'))?.records.map((r) => [r.seq, r.status]);

  it('reads a run whole once, then only the records logged since, in seq order', async () => {
    const whole = vi.spyOn(store, 'allResults');
    const some = vi.spyOn(store, 'resultsOf');
    await store.recordResult(resultRecord('live', 2));
    await store.recordResult(resultRecord('live', 0, { status: 'failed', error: 'HTTP 503' }));
    expect(await seqs()).toEqual([
      [0, 'failed'],
      [2, 'completed'],
    ]);
    expect(await seqs()).toHaveLength(2);
    expect(some).not.toHaveBeenCalled();

    await store.recordResult(resultRecord('live', 3));
    await store.recordResult(resultRecord('live', 1));
    await store.recordResult(resultRecord('live', 1)); // a second record for a job is ignored, and not logged
    expect(await seqs()).toEqual([
      [0, 'failed'],
      [1, 'completed'],
      [2, 'completed'],
      [3, 'completed'],
    ]);
    expect(whole).toHaveBeenCalledTimes(1);
    expect(some.mock.calls.map((call) => call[1])).toEqual([['live.3', 'live.1']]);
  });

  it('shows the record of a retry that replaced a failed one between two polls', async () => {
    await store.recordResult(resultRecord('live', 0, { status: 'failed', error: 'HTTP 503' }));
    await store.recordResult(resultRecord('live', 1));
    expect(await seqs()).toEqual([
      [0, 'failed'],
      [1, 'completed'],
    ]);
    // A manual retry removes the failed record when it starts and records anew when it ends: the count is the
    // same at the next poll.
    await redis.hdel(keys.runResults('live'), 'live.0');
    await store.recordResult(resultRecord('live', 0));
    expect(await seqs()).toEqual([
      [0, 'completed'],
      [1, 'completed'],
    ]);
  });
});
