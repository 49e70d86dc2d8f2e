import { afterEach, describe, expect, it } from 'vitest';
import { createRedis, RedisKeys } from '../shared/redis.js';
import { RunStore } from '../shared/runs.js';
import { CheckpointStore } from '../worker/checkpoint-store.js';
import { resultRecord, runMeta } from './dashboard-fixtures.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

const meta = (runId: string) =>
  runMeta(runId, { budgetUsd: null, counts: { queries: 3, pii: 0, bySegment: {}, byComplexity: {} } });

describe('an attempt opened and a result recorded in one round trip each', () => {
  let close: (() => Promise<unknown>) | undefined;
  afterEach(async () => close?.());

  it('opens an attempt (a completed result ends it, a failed one is removed), and records with the count and the checkpoint retired', async () => {
    const prefix = testPrefix();
    const redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:test` });
    close = () => redis.quit();
    const keys = new RedisKeys(prefix);
    const runs = new RunStore(redis, keys);
    const checkpoints = new CheckpointStore(redis, keys);
    await runs.create(meta('o'));
    await runs.recordResult(resultRecord('o', 0));
    await runs.recordUnstarted('o', 'o.1', 'removed: run stopped');

    // A completed result: nothing to do, no checkpoint made.
    expect(await checkpoints.open('o.0', 'o', { start: true, now: 1000 })).toBe('completed');
    expect(await redis.exists(checkpoints.key('o.0'))).toBe(0);
    // A failed one is removed (a manual retry records anew) and the checkpoint begins.
    expect(await checkpoints.open('o.1', 'o', { start: true, now: 1000 })).toEqual({
      firstStartedAt: 1000,
      reported: false,
    });
    expect(await runs.recorded('o', ['o.1'])).toEqual([false]);
    expect(await redis.pttl(checkpoints.key('o.1'))).toBeGreaterThan(24 * 3600 * 1000);
    // A saved step comes back; the first start stays the first.
    await checkpoints.saveChat(
      'o.1',
      'o',
      {
        response: {
          requestId: 'o.1',
          answer: 'a',
          route: [],
          agents: [],
          totals: {
            tokens: { input: 0, output: 0, total: 0 },
            durationMs: 1,
            costUsd: 0,
            unpricedModels: [],
          },
        },
        latencyMs: 5,
      },
      0,
    );
    const again = await checkpoints.open('o.1', 'o', { start: true, now: 2000 });
    expect(again).toMatchObject({ firstStartedAt: 1000, chat: { latencyMs: 5 } });
    // A late arrival about to be dropped gets no checkpoint.
    expect(await checkpoints.open('o.2', 'o', { start: false })).toBeUndefined();
    expect(await redis.exists(checkpoints.key('o.2'))).toBe(0);

    // The record, the run's count and the checkpoint's shorter life together; the last record marks it done.
    expect(await runs.recordResultCounted(resultRecord('o', 1), checkpoints.retirement('o.1'))).toEqual({
      added: true,
      results: 2,
    });
    const ttl = await redis.pttl(checkpoints.key('o.1'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(24 * 3600 * 1000);
    expect(await runs.recordResultCounted(resultRecord('o', 1))).toEqual({ added: false, results: 2 });
    expect(await runs.recordResultCounted(resultRecord('o', 2))).toEqual({ added: true, results: 3 });
    expect((await runs.get('o'))?.status).toBe('done');
  });
});
