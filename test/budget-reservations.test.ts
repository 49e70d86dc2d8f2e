import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatResponse } from '../shared/chat.js';
import { followRun } from '../readout/index.js';
import { QUERY_QUEUE } from '../shared/query-job.js';
import { bullConnection, createRedis, RedisKeys } from '../shared/redis.js';
import { RunStore, type RunMeta } from '../shared/runs.js';
import {
  BUDGET_EXHAUSTED,
  BudgetGuard,
  MIN_OBSERVED_JOBS,
  RESERVATION_TTL_MS,
} from '../worker/budget-guard.js';
import { CheckpointStore } from '../worker/checkpoint-store.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

const response = (costUsd: number): ChatResponse => ({
  requestId: 'req-1',
  answer: 'a',
  route: ['supervisor', 'support'],
  agents: [],
  totals: { tokens: { input: 1, output: 1, total: 2 }, durationMs: 1, costUsd, unpricedModels: [] },
});

describe('budget reservations (BudgetGuard against a real Redis)', () => {
  const connections: Redis[] = [];
  afterEach(async () => {
    for (const redis of connections.splice(0)) {
      await redis.quit();
    }
  });

  async function setup(
    budgetUsd: number | null,
    costEstimate?: RunMeta['costEstimate'],
    now?: () => number,
  ): Promise<{ keys: RedisKeys; redis: Redis; guard: () => BudgetGuard }> {
    const prefix = testPrefix('bres');
    const keys = new RedisKeys(prefix);
    const open = () => {
      const redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:guard` });
      connections.push(redis);
      return redis;
    };
    const redis = open();
    await new RunStore(redis, keys).create({
      runId: 'r',
      createdAt: Date.now(),
      seed: 1,
      mode: 'SIMULATED',
      options: {},
      budgetUsd,
      counts: { queries: 100, pii: 0, bySegment: {}, byComplexity: {} },
      harnessCostUsd: 0,
      ...(costEstimate ? { costEstimate } : {}),
    });
    // One guard per connection, as each worker process has its own.
    const guard = () => {
      const own = open();
      return new BudgetGuard(own, keys, new RunStore(own, keys), now);
    };
    return { keys, redis, guard };
  }

  const held = async (redis: Redis, keys: RedisKeys) =>
    Object.values(await redis.hgetall(keys.runReservations('r'))).map((v) => Number(v.split('|')[0]));

  it('lets exactly as many of 40 racing jobs start as the budget pays for, and stops the run', async () => {
    // $1.00 at $0.07 a job: 14 jobs ($0.98); the 15th would pass it.
    const { keys, redis, guard } = await setup(1, { perRequestUsd: 0.07, bySegment: {} });
    const guards = Array.from({ length: 8 }, guard);
    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => guards[i % guards.length]!.reserve('r', `r.${i}`, 'other-paid')),
    );
    const started = outcomes.filter((o) => o.status === 'fulfilled');
    expect(started).toHaveLength(14);
    const refused = outcomes.filter((o) => o.status === 'rejected');
    expect(refused.every((o) => (o.reason as Error).message === BUDGET_EXHAUSTED)).toBe(true);
    expect((await held(redis, keys)).reduce((a, b) => a + b, 0)).toBeCloseTo(0.98, 9);
    expect(await redis.hmget(keys.run('r'), 'status', 'stopReason')).toEqual(['stopped', BUDGET_EXHAUSTED]);
  });

  it("moves each step's cost from the job's reservation to spend, and frees the rest when the attempt ends", async () => {
    const { keys, redis, guard } = await setup(1, { perRequestUsd: 0.05, bySegment: { 'eu-free': 0.02 } });
    const budget = guard();
    const checkpoints = new CheckpointStore(redis, keys);
    // The planner's estimate of the job's segment.
    expect((await budget.reserve('r', 'r.1', 'eu-free')).usd).toBeCloseTo(0.02, 9);
    expect((await budget.reserve('r', 'r.2', 'other-paid')).usd).toBeCloseTo(0.05, 9);

    await checkpoints.saveChat('r.1', 'r', { response: response(0.015), latencyMs: 5 }, 0.015);
    expect(Number(await redis.get(keys.runSpend('r')))).toBeCloseTo(0.015, 9);
    expect((await held(redis, keys)).sort()).toEqual([expect.closeTo(0.005, 9), 0.05]);
    // A judge that costs more than is left: the reservation is spent, never negative.
    await checkpoints.saveJudge('r.1', 'r', {
      verdict: 'positive',
      reason: 'ok',
      costUsd: 0.01,
      model: 'm',
      cached: false,
      unpriced: false,
    });
    expect(await held(redis, keys)).toEqual(expect.arrayContaining([0, 0.05]));
    await budget.release('r', 'r.1', 'eu-free', { costUsd: 0.025, variations: {} });
    expect(await held(redis, keys)).toEqual([0.05]);
    await budget.release('r', 'r.2', 'other-paid');
    expect(await held(redis, keys)).toEqual([]);
    expect(Number(await redis.get(keys.runSpend('r')))).toBeCloseTo(0.025, 9);
  });

  it("replaces a job's own reservation on its next attempt (a retry, or a dead worker's job picked up)", async () => {
    const { keys, redis, guard } = await setup(0.1, { perRequestUsd: 0.04, bySegment: {} });
    const first = guard();
    const second = guard();
    await first.reserve('r', 'r.1', undefined);
    await first.reserve('r', 'r.2', undefined);
    // The attempt of r.1 died holding $0.04; its next attempt takes that place instead of adding $0.04.
    await second.reserve('r', 'r.1', undefined);
    expect(await held(redis, keys)).toEqual([0.04, 0.04]);
    await expect(second.reserve('r', 'r.3', undefined)).rejects.toThrow(BUDGET_EXHAUSTED);
  });

  it('stops counting a reservation nobody released once it expires (a job never picked up again)', async () => {
    let now = 1_000_000;
    const before = await setup(0.1, { perRequestUsd: 0.06, bySegment: {} }, () => now);
    const budget = before.guard();
    await budget.reserve('r', 'r.1', undefined);
    now += RESERVATION_TTL_MS - 1;
    await expect(budget.reserve('r', 'r.2', undefined)).rejects.toThrow(BUDGET_EXHAUSTED);

    const fresh = await setup(0.1, { perRequestUsd: 0.06, bySegment: {} }, () => now);
    const again = fresh.guard();
    await again.reserve('r', 'r.1', undefined);
    now += RESERVATION_TTL_MS;
    expect((await again.reserve('r', 'r.2', undefined)).reservedUsd).toBe(0);
    expect(Object.keys(await fresh.redis.hgetall(fresh.keys.runReservations('r')))).toEqual(['r.2']);
  });

  it("estimates a segment's dearest variations: their mean actual cost once enough jobs finished, before that the plan", async () => {
    const { guard } = await setup(100, { perRequestUsd: 0.01, bySegment: { 'eu-free': 0.01 } });
    const budget = guard();
    const cheap = { 'support-agent': 'gpt' };
    const dear = { 'support-agent': 'opus' };
    await budget.release('r', 'r.0', 'eu-free', { costUsd: 0.03, variations: dear });
    // One job of $0.03 is more than the planned $0.01: the larger one is reserved.
    expect((await budget.reserve('r', 'r.1', 'eu-free')).usd).toBeCloseTo(0.03, 9);
    for (let i = 0; i < MIN_OBSERVED_JOBS; i++) {
      await budget.release('r', `r.c${i}`, 'eu-free', { costUsd: 0.002, variations: cheap });
    }
    // Enough jobs served the cheap variation: their mean, below the plan, is all that is known.
    expect((await budget.reserve('r', 'r.2', 'eu-free')).usd).toBeCloseTo(0.002, 9);
    for (let i = 1; i < MIN_OBSERVED_JOBS; i++) {
      await budget.release('r', `r.d${i}`, 'eu-free', { costUsd: 0.01, variations: dear });
    }
    // And the dear one: its mean ($0.014) is reserved, not the segment's ($0.008).
    expect((await budget.reserve('r', 'r.3', 'eu-free')).usd).toBeCloseTo(0.014, 9);
    // Another segment has no jobs of its own yet: the larger of the plan ($0.01) and the run's mean ($0.008).
    expect((await budget.reserve('r', 'r.4', 'other-free')).usd).toBeCloseTo(0.01, 9);
  });

  it('reserves the mean of finished jobs for a run without a plan, and nothing without a budget', async () => {
    const unplanned = await setup(1);
    const budget = unplanned.guard();
    expect((await budget.reserve('r', 'r.0', undefined)).usd).toBe(0);
    await budget.release('r', 'r.0', undefined, { costUsd: 0.2, variations: {} });
    expect((await budget.reserve('r', 'r.1', undefined)).usd).toBeCloseTo(0.2, 9);

    const unlimited = await setup(null, { perRequestUsd: 0.5, bySegment: {} });
    const free = unlimited.guard();
    expect((await free.reserve('r', 'r.0', undefined)).usd).toBe(0);
    expect(await unlimited.redis.exists(unlimited.keys.runReservations('r'))).toBe(0);
  });

  it('refuses every job of a stopped run, naming its reason', async () => {
    const { redis, keys, guard } = await setup(null);
    await redis.hset(keys.run('r'), 'status', 'stopped', 'stopReason', 'decided');
    await expect(guard().reserve('r', 'r.0', undefined)).rejects.toThrow('run stopped: decided');
  });

  it('follows a stopped run until its jobs in flight end, giving up after drainMs and saying how many are left', async () => {
    const { redis, keys } = await setup(1);
    const queue = new Queue(QUERY_QUEUE, {
      connection: bullConnection(testRedisUrl(), `${keys.prefix}:queue`),
      prefix: keys.prefix,
    });
    try {
      const store = new RunStore(redis, keys);
      await queue.add('query', {}, { jobId: 'r.0' });
      await store.setStatus('r', 'stopped', BUDGET_EXHAUSTED);
      // No worker takes r.0: the follower waits drainMs, then reports it unfinished.
      const waited = await followRun({ store, queue, runId: 'r', pollMs: 20, drainMs: 200 });
      expect(waited).toMatchObject({ unfinished: 1, state: { status: 'stopped' } });
      await queue.remove('r.0');
      expect(await followRun({ store, queue, runId: 'r', pollMs: 20, drainMs: 60_000 })).toMatchObject({
        unfinished: 0,
      });
    } finally {
      await queue.close();
    }
  });
});
