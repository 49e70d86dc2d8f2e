import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LDClient } from '@launchdarkly/node-server-sdk';
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { createLaunchDarklyClient } from '../shared/launchdarkly.js';
import { createLogger } from '../shared/logger.js';
import { createRedis, RedisKeys } from '../shared/redis.js';
import { CheckpointStore } from '../worker/checkpoint-store.js';
import { loadConfig } from '../worker/config.js';
import { createWorkerEvents } from '../worker/events-client.js';
import { LaunchDarklyReporter, type ReportRequest } from '../worker/launchdarkly-reporter.js';
import type { EventsClient } from '../worker/request-events.js';
import { StepError } from '../worker/step-error.js';
import { EventsEndpoint } from './helpers/events-endpoint.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

const trackData = (configKey: string, variationKey: string) => ({
  configKey,
  variationKey,
  version: 1,
  modelName: 'gpt-4o',
  providerName: 'openai',
});

/** An empty flag file: the reporter evaluates no flags. */
function flagsFile(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'reporter-')), 'flags.json');
  writeFileSync(file, JSON.stringify({ flags: {}, segments: {} }));
  return file;
}

describe('LaunchDarkly reporter (real SDK, local events endpoint, Redis checkpoints)', () => {
  let endpoint: EventsEndpoint | undefined;
  let client: LDClient | undefined;
  let redis: Redis | undefined;
  let reporter: LaunchDarklyReporter | undefined;
  afterEach(async () => {
    await reporter?.close();
    reporter = undefined;
    client?.close();
    client = undefined;
    await endpoint?.close();
    endpoint = undefined;
    await redis?.quit();
    redis = undefined;
  });

  async function setUp(eventsUri?: string, intervalMs = 20) {
    endpoint = await EventsEndpoint.start();
    client = await createLaunchDarklyClient({
      flagsFile: flagsFile(),
      eventsUri: eventsUri ?? endpoint.url,
    });
    const prefix = testPrefix('wr');
    redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:reporter` });
    const keys = new RedisKeys(prefix);
    const checkpoints = new CheckpointStore(redis, keys);
    reporter = new LaunchDarklyReporter(client, checkpoints, { intervalMs });
    const request = (jobId: string, verdict: ReportRequest['verdict'] = 'positive'): ReportRequest => ({
      jobId,
      runId: 'r',
      user: { key: `user-${jobId}`, country: 'US', plan: 'paid' },
      verdict,
      trackData: [trackData('supervisor-agent', 'default'), trackData('support-agent', 'gpt-4o')],
      costUsd: 0.0125,
      resentKey: keys.key('run', 'r', 'ld-resent'),
    });
    return { checkpoints, keys, request, redis };
  }

  it('sends feedback per serving config and one cost event, each with the job id, then checkpoints them', async () => {
    const { checkpoints, request } = await setUp();
    const outcomes = await Promise.all([
      reporter!.report(request('r.1')),
      reporter!.report(request('r.2', 'negative')),
      reporter!.report(request('r.3', 'none')),
    ]);
    expect(outcomes).toEqual([
      { feedbackEvents: 2, costEvents: 1, resent: false },
      { feedbackEvents: 2, costEvents: 1, resent: false },
      { feedbackEvents: 0, costEvents: 1, resent: false },
    ]);
    // Delivered before the promises resolved: the endpoint has them now.
    const positive = endpoint!.custom('$ld:ai:feedback:user:positive');
    expect(positive.map((e) => e.data)).toEqual([
      { ...trackData('supervisor-agent', 'default'), jobId: 'r.1' },
      { ...trackData('support-agent', 'gpt-4o'), jobId: 'r.1' },
    ]);
    expect(positive[0]?.metricValue).toBe(1);
    expect(positive[0]?.context).toEqual({ kind: 'user', key: 'user-r.1', country: 'US', plan: 'paid' });
    expect(endpoint!.custom('$ld:ai:feedback:user:negative')).toHaveLength(2);
    const cost = endpoint!.custom('ai_cost_per_request');
    expect(cost.map((e) => [e.data?.jobId, e.metricValue])).toEqual([
      ['r.1', 0.0125],
      ['r.2', 0.0125],
      ['r.3', 0.0125],
    ]);
    expect((await checkpoints.begin('r.1')).reported).toBe(true);

    // A retry of a reported job sends nothing again.
    const again = await reporter!.report(request('r.1'));
    expect(again).toEqual({ feedbackEvents: 0, costEvents: 0, resent: false });
    expect(endpoint!.custom('ai_cost_per_request')).toHaveLength(3);
  });

  it('flushes an idle reporter at once, whatever the interval, and spaces the next flush by it', async () => {
    // An hour between flushes: the first request must not wait for it, the second one (just after) must.
    const { checkpoints, request } = await setUp(undefined, 3_600_000);
    await reporter!.report(request('r.4'));
    expect(endpoint!.custom('ai_cost_per_request').map((e) => e.data?.jobId)).toEqual(['r.4']);
    expect((await checkpoints.begin('r.4')).reported).toBe(true);
    let second = false;
    const pending = reporter!.report(request('r.5')).then(() => (second = true));
    // Another request's full round trip through Redis and back: the second flush is not due for an hour.
    await checkpoints.begin('r.6');
    expect(second).toBe(false);
    await reporter!.close();
    await pending;
    expect(endpoint!.custom('ai_cost_per_request').map((e) => e.data?.jobId)).toEqual(['r.4', 'r.5']);
  });

  it('re-sends a job whose earlier flush was never confirmed, and lists it as re-sent', async () => {
    const { checkpoints, keys, request, redis } = await setUp();
    // What a worker killed after claiming the job (and maybe after sending) leaves behind.
    await redis.hset(checkpoints.key('r.7'), 'reporting', 'flush-of-a-dead-worker');
    const outcome = await reporter!.report(request('r.7'));
    expect(outcome.resent).toBe(true);
    expect(await redis.hgetall(keys.key('run', 'r', 'ld-resent'))).toEqual({ 'r.7': '1' });
    expect(endpoint!.custom('ai_cost_per_request')).toHaveLength(1);
    expect((await checkpoints.begin('r.7')).reported).toBe(true);
  });

  it('rejects (so the job retries) when LaunchDarkly does not confirm, and keeps the claim: the retry is in doubt', async () => {
    const unreachable = 'http://127.0.0.1:9';
    const { checkpoints, keys, request, redis } = await setUp(unreachable);
    const result = await reporter!.report(request('r.9')).catch((err: unknown) => err as Error);
    expect(result).toBeInstanceOf(Error);
    expect((result as Error).message).toMatch(/LaunchDarkly events not delivered/);
    expect((await checkpoints.begin('r.9')).reported).toBe(false);
    // A timeout or a reset may come after LaunchDarkly took the events: the claim stays.
    expect(await redis.hget(checkpoints.key('r.9'), 'reporting')).not.toBeNull();

    // The retry, through a LaunchDarkly that answers: sent again and listed as re-sent.
    const working = await createLaunchDarklyClient({ flagsFile: flagsFile(), eventsUri: endpoint!.url });
    const retry = new LaunchDarklyReporter(working, checkpoints, { intervalMs: 20 });
    try {
      expect((await retry.report(request('r.9'))).resent).toBe(true);
    } finally {
      await retry.close();
      working.close();
    }
    expect(await redis.hgetall(keys.key('run', 'r', 'ld-resent'))).toEqual({ 'r.9': '1' });
    expect((await checkpoints.begin('r.9')).reported).toBe(true);
  });

  it(
    'settles every job of a batch when something throws outside the flush handling (no job hangs)',
    { timeout: 10_000 },
    async () => {
      const { checkpoints, request } = await setUp();
      const throwing: EventsClient = {
        track: () => {
          throw new Error('track exploded');
        },
        flush: async (callback) => callback?.(null, true),
      };
      const broken = new LaunchDarklyReporter(throwing, checkpoints, { intervalMs: 20 });
      try {
        const results = await Promise.allSettled([
          broken.report(request('r.5')),
          broken.report(request('r.6')),
        ]);
        expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
        const reason = (results[0] as PromiseRejectedResult).reason as Error;
        expect(reason).toBeInstanceOf(StepError);
        expect((reason.cause as Error).message).toBe('track exploded');
      } finally {
        await broken.close();
      }
    },
  );
});

describe('worker LaunchDarkly client', () => {
  it('removes the temporary folder of its empty flag file on close', async () => {
    // os.tmpdir() follows TMPDIR, so the folder is created where this test can look.
    const tmp = mkdtempSync(join(tmpdir(), 'worker-events-'));
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const events = await createWorkerEvents(
        loadConfig({ LD_EVENTS_URI: 'http://127.0.0.1:9' }),
        createLogger({ level: 'silent' }),
      );
      expect(readdirSync(tmp)).toHaveLength(1);
      await events.close();
      await events.close();
      expect(readdirSync(tmp)).toEqual([]);
    } finally {
      process.env.TMPDIR = saved;
    }
  });
});
