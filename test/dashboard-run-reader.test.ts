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

  it('fetches only new and failed records as the count grows, nothing while it stays, in seq order', async () => {
    const fetched = vi.spyOn(store, 'resultsOf');
    await store.recordResult(resultRecord('live', 2));
    await store.recordResult(resultRecord('live', 0, { status: 'failed', error: 'HTTP 503' }));
    expect(await seqs()).toEqual([
      [0, 'failed'],
      [2, 'completed'],
    ]);
    expect(await seqs()).toHaveLength(2);
    expect(fetched).toHaveBeenCalledTimes(1);

    await store.recordResult(resultRecord('live', 1));
    await store.recordResult(resultRecord('live', 3));
    expect(await seqs()).toEqual([
      [0, 'failed'],
      [1, 'completed'],
      [2, 'completed'],
      [3, 'completed'],
    ]);
    expect(fetched).toHaveBeenCalledTimes(2);
    expect([...(fetched.mock.calls[1]?.[1] ?? [])].sort()).toEqual(['live.0', 'live.1', 'live.3']);
  });

  it('shows a failed record that a manual retry replaced, whether or not a poll saw it removed', async () => {
    await store.recordResult(resultRecord('live', 0, { status: 'failed', error: 'HTTP 503' }));
    await store.recordResult(resultRecord('live', 1, { status: 'failed', error: 'HTTP 503' }));
    expect(await seqs()).toEqual([
      [0, 'failed'],
      [1, 'failed'],
    ]);
    // The retry of job 0 removes its failed record (a poll sees one record fewer) and records anew.
    await redis.hdel(keys.runResults('live'), 'live.0');
    expect(await seqs()).toEqual([[1, 'failed']]);
    await store.recordResult(resultRecord('live', 0));
    // Job 1's retry is removed and recorded between two polls, while job 2 adds a record.
    await redis.hdel(keys.runResults('live'), 'live.1');
    await store.recordResult(resultRecord('live', 1));
    await store.recordResult(resultRecord('live', 2));
    expect(await seqs()).toEqual([
      [0, 'completed'],
      [1, 'completed'],
      [2, 'completed'],
    ]);
  });
});
