import { Queue } from 'bullmq';
import type { Hono } from 'hono';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  createDashboardApp,
  producerStartRun,
  loadConfig as loadDashboardConfig,
  startDashboard,
  readoutBuilder,
  type DashboardDeps,
  type RunOverview,
} from '../dashboard/index.js';
import { QUERY_JOB_NAME, QUERY_QUEUE } from '../shared/query-job.js';
import { loadKnowledgeBase } from '../shared/kb/loader.js';
import { packageRoot } from '../shared/paths.js';
import { bullConnection, createRedis, RedisKeys } from '../shared/redis.js';
import { syntheticRecords, type Readout } from '../readout/index.js';
import { runController } from '../shared/run-control.js';
import { RunStore } from '../shared/runs.js';
import { basic, PASSWORD, resultRecord, runMeta, USER } from './dashboard-fixtures.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

describe('dashboard API', () => {
  let redis: Redis;
  let queue: Queue;
  let store: RunStore;
  let app: Hono;
  const make = (over: Partial<DashboardDeps> = {}) =>
    createDashboardApp({ store, queue, auth: { user: USER, password: PASSWORD }, ...over });

  beforeEach(() => {
    const prefix = testPrefix('dash');
    redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:test` });
    queue = new Queue(QUERY_QUEUE, { connection: bullConnection(testRedisUrl(), `${prefix}:queue`), prefix });
    store = new RunStore(redis, new RedisKeys(prefix));
    app = make();
  });
  afterEach(async () => {
    await queue.close();
    await redis.quit();
  });

  it('answers 401 with a basic-auth challenge to every page, API route and Bull Board without credentials', async () => {
    await store.create(runMeta('r1'));
    const paths = [
      '/',
      '/runs/r1',
      '/runs/r1/report',
      '/api/runs',
      '/api/runs/r1',
      '/api/runs/r1/report',
      '/queues',
      '/queues/api/queues',
      '/static/chart.umd.min.js',
      '/static/dashboard.js',
    ];
    for (const path of paths) {
      const res = await app.request(path);
      expect(res.status, path).toBe(401);
      expect(res.headers.get('www-authenticate'), path).toMatch(/^Basic/);
      const wrong = await app.request(path, { headers: basic(USER, 'wrong') });
      expect(wrong.status, path).toBe(401);
    }
    const post = await app.request('/api/runs', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(post.status).toBe(401);
    const clean = await app.request('/queues/api/queues/queries/clean/completed', { method: 'PUT' });
    expect(clean.status).toBe(401);
    // The health check answers without credentials and says nothing else.
    const health = await app.request('/health');
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
  });

  it('lists runs newest first with status, progress and spend, and the live queue counts', async () => {
    await store.create(runMeta('older', { createdAt: 1000 }));
    await store.create(runMeta('newer', { createdAt: 2000, budgetUsd: null }));
    await store.recordResult(resultRecord('older', 0));
    await store.addSpend('older', 0.5);
    await queue.add(QUERY_JOB_NAME, { runId: 'newer', seq: 0 }, { jobId: 'newer.0' });

    const res = await app.request('/api/runs', { headers: basic() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { runs: Record<string, unknown>[]; queue: Record<string, number> };
    expect(body.runs.map((r) => r.runId)).toEqual(['newer', 'older']);
    expect(body.runs[1]).toMatchObject({
      status: 'running',
      recorded: 1,
      total: 4,
      spentUsd: 0.5,
      budgetUsd: 2,
      mode: 'SIMULATED',
    });
    expect(body.queue.waiting).toBe(1);
  });

  it('summarises a run: progress, throughput per interval, failures by reason, spend against budget', async () => {
    await store.create(runMeta('r1'));
    await store.recordResult(resultRecord('r1', 0));
    await store.recordResult(resultRecord('r1', 1, { requestCostUsd: null, unpricedModels: ['mystery'] }));
    await store.recordResult(resultRecord('r1', 2, { status: 'failed', error: 'HTTP 503 after 30012 ms' }));
    await store.recordResult(resultRecord('r1', 3, { status: 'failed', error: 'HTTP 503 after 30020 ms' }));
    // Never ran: counted apart from failures, as in the readout.
    await store.recordResult(
      resultRecord('r1', 4, { status: 'failed', error: 'dropped', feedback: null, requestCostUsd: 0 }),
    );
    await store.recordResult(
      resultRecord('r1', 5, {
        status: 'failed',
        error: 'removed: run stopped',
        feedback: null,
        requestCostUsd: 0,
      }),
    );
    await store.addSpend('r1', 1.5);
    await store.setStatus('r1', 'stopped', 'budget of $2.00 reached');

    const res = await app.request('/api/runs/r1', { headers: basic() });
    expect(res.status).toBe(200);
    const summary = (await res.json()) as RunOverview;
    expect(summary).toMatchObject({
      runId: 'r1',
      mode: 'SIMULATED',
      status: 'stopped by budget',
      stopReason: 'budget of $2.00 reached',
      progress: { total: 4, recorded: 6, completed: 2, failed: 2, dropped: 1, removed: 1, percent: 100 },
      spend: { spentUsd: 1.5, budgetUsd: 2, percentOfBudget: 75, unpricedResults: 1 },
      failures: [{ reason: 'HTTP 503 after N ms', count: 2, examples: ['r1.2', 'r1.3'] }],
      feedback: { positive: 4 },
    });
    expect(summary.spend.requestCostUsd).toBeCloseTo(0.03);
    // One record per second: four one-second intervals, failures counted apart from completions, jobs that
    // never ran not at all.
    expect(summary.throughput.intervalMs).toBe(1000);
    expect(summary.throughput.buckets.map((b) => [b.completed, b.failed])).toEqual([
      [1, 0],
      [1, 0],
      [0, 1],
      [0, 1],
    ]);
  });

  it('stops and pauses a run from its page: JSON POST behind auth, 415 without JSON, 409 when nothing changes', async () => {
    const keys = (store as unknown as { keys: RedisKeys }).keys;
    app = make({ controlRun: runController({ store, queue, redis, keys }) });
    await store.create(runMeta('c1'));
    const post = (path: string, headers: Record<string, string>) =>
      app.request(path, { method: 'POST', headers, body: '{}' });
    expect((await post('/api/runs/c1/stop', { 'content-type': 'application/json' })).status).toBe(401);
    expect((await post('/api/runs/c1/stop', { ...basic(), 'content-type': 'text/plain' })).status).toBe(415);
    const json = { ...basic(), 'content-type': 'application/json' };
    expect(await (await post('/api/runs/c1/pause', json)).json()).toMatchObject({
      changed: true,
      status: 'paused',
    });
    expect(await (await post('/api/runs/c1/stop', json)).json()).toMatchObject({
      changed: true,
      status: 'stopped',
    });
    expect((await post('/api/runs/c1/resume', json)).status).toBe(409);
    expect((await post('/api/runs/nope/stop', json)).status).toBe(404);
    expect(await store.get('c1')).toMatchObject({
      status: 'stopped',
      stopReason: 'stopped from the dashboard',
    });
  });

  it('answers 404 for an unknown run on every run route', async () => {
    const app = make({ readout: { build: () => ({}), renderHtml: () => '' } });
    for (const path of ['/api/runs/nope', '/api/runs/nope/report']) {
      const res = await app.request(path, { headers: basic() });
      expect(res.status, path).toBe(404);
      expect(await res.json(), path).toEqual({ error: 'no run "nope"' });
    }
    for (const path of ['/runs/nope', '/runs/nope/report']) {
      const res = await app.request(path, { headers: basic() });
      expect(res.status, path).toBe(404);
      expect(await res.text(), path).toContain('no run &quot;nope&quot;');
    }
    const missing = await app.request('/api/nothing-here', { headers: basic() });
    expect(missing.status).toBe(404);
  });

  it('answers 404 for an id that cannot be a run id, even where it names another key of a real run', async () => {
    await store.create(runMeta('abc'));
    await store.recordResult(resultRecord('abc', 0));
    // `run:abc:spend` is a string: read as a run it was a WRONGTYPE error (500), not a 404.
    await store.addSpend('abc', 0.5);
    const app = make({ readout: { build: () => ({}), renderHtml: () => '' } });
    const long = 'x'.repeat(65);
    for (const id of ['abc:results', 'abc:spend', long, '%20abc']) {
      for (const path of [`/api/runs/${id}`, `/api/runs/${id}/report`, `/runs/${id}`, `/runs/${id}/report`]) {
        expect((await app.request(path, { headers: basic() })).status, path).toBe(404);
      }
    }
    expect((await app.request('/api/runs/abc', { headers: basic() })).status).toBe(200);
  });

  it('serves the experiment readout of a run as JSON and as a page with both decisions and charts', async () => {
    const app = make({ readout: readoutBuilder() });
    const records = [
      ...syntheticRecords({
        seed: 3,
        users: 120,
        runId: 'r1',
        segment: 'other-paid',
        flags: {
          'support-agent': {
            'other-paid': { positive: 0.4 },
            'claude-opus-treatment': { positive: 0.7, costUsd: 0.02 },
          },
          'security-agent': { baseline: { positive: 0.5 }, enhanced: { positive: 0.5 } },
        },
      }),
    ];
    await store.create(
      runMeta('r1', { counts: { queries: records.length, pii: 0, bySegment: {}, byComplexity: {} } }),
    );
    for (const record of records) {
      await store.recordResult(record);
    }

    const res = await app.request('/api/runs/r1/report', { headers: basic() });
    expect(res.status).toBe(200);
    const readout = (await res.json()) as Readout;
    expect(readout.run.runId).toBe('r1');
    expect(readout.run.counts.records).toBe(records.length);
    expect(readout.experiments.map((e) => e.id).sort()).toEqual(['premium-model-value', 'security-level']);

    const page = await app.request('/runs/r1/report', { headers: basic() });
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = await page.text();
    for (const exp of readout.experiments) {
      expect(html).toContain(exp.name);
      expect(html).toContain(`class="decision ${exp.state}"`);
    }
    expect(html).toContain('<svg');
    expect(html).toContain('href="/runs/r1"');
  });

  it('never shows a secret: option values that look like keys are dropped, markup is escaped', async () => {
    await store.create(
      runMeta('r1', {
        options: { queries: 4, apiKey: 'sk-live-abc', note: '</script><script>alert(1)</script>' },
      }),
    );
    const page = await (await app.request('/runs/r1', { headers: basic() })).text();
    const api = await (await app.request('/api/runs/r1', { headers: basic() })).text();
    for (const text of [page, api]) {
      expect(text).not.toContain('sk-live-abc');
      expect(text).not.toContain(PASSWORD);
    }
    expect(page).not.toContain('<script>alert(1)');
    expect(page).toContain('&lt;/script&gt;&lt;script&gt;alert(1)');
  });

  it('renders the runs list and run pages with their data and the polling script', async () => {
    await store.create(runMeta('r1'));
    await store.recordResult(resultRecord('r1', 0));
    const list = await app.request('/', { headers: basic() });
    expect(list.headers.get('content-type')).toMatch(/text\/html/);
    const listHtml = await list.text();
    expect(listHtml).toContain('"runId":"r1"');
    expect(listHtml).toContain('/static/dashboard.js');

    const page = await (await app.request('/runs/r1', { headers: basic() })).text();
    expect(page).toContain('<canvas id="throughput"');
    expect(page).toContain('/static/chart.umd.min.js');
    expect(page).toContain('"api":"/api/runs/r1"');

    const chart = await app.request('/static/chart.umd.min.js', { headers: basic() });
    expect(chart.status).toBe(200);
    expect(await chart.text()).toContain('Chart');
  });
});

describe('POST /api/runs', () => {
  let redis: Redis;
  let queue: Queue;
  let store: RunStore;
  let prefix: string;
  const post = (app: Hono, body: string, contentType = 'application/json') =>
    app.request('/api/runs', { method: 'POST', headers: { ...basic(), 'content-type': contentType }, body });

  beforeEach(() => {
    prefix = testPrefix('dash');
    redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:test` });
    queue = new Queue(QUERY_QUEUE, { connection: bullConnection(testRedisUrl(), `${prefix}:queue`), prefix });
    store = new RunStore(redis, new RedisKeys(prefix));
  });
  afterEach(async () => {
    await queue.close();
    await redis.quit();
  });

  it('answers 400 naming the field for bad bodies, and 415 for a body that is not JSON', async () => {
    const app = createDashboardApp({
      store,
      queue,
      auth: { user: USER, password: PASSWORD },
      startRun: producerStartRun({ redisUrl: testRedisUrl(), prefix }),
    });
    const cases: [string, RegExp][] = [
      ['{"queries": -1}', /queries: must be an integer from 1/],
      ['{"queries": "many"}', /queries/],
      ['{"piiPercentage": 150}', /piiPercentage: must be a number from 0 to 100/],
      ['{"runId": "bad id!"}', /runId: must be 1-64 letters/],
      ['{"topics": "magic"}', /topics/],
      ['{"budgetUsd": 0}', /budgetUsd: must be above 0/],
      // Options naming server-side files are not accepted over HTTP.
      ['{"fromFile": "/etc/passwd"}', /fromFile/],
      ['{"kbDir": "/"}', /kbDir/],
      ['{"querys": 10}', /querys/],
      ['{"segments": "other-paid=lots"}', /segments/],
      ['{"segments": {"no-such-segment": 1}, "queries": 2}', /no-such-segment/],
      // Generated in the dashboard's process: large sets are for loadgen run.
      ['{"queries": 20001}', /queries: must be at most 20000 over HTTP/],
      ['{"queries": 10, "users": 1000000}', /users: must be at most 20000 over HTTP/],
      ['[1, 2]', /invalid run options/],
      ['{"queries": ', /JSON/i],
    ];
    for (const [body, message] of cases) {
      const res = await post(app, body);
      expect(res.status, body).toBe(400);
      expect(((await res.json()) as { error: string }).error, body).toMatch(message);
    }
    expect((await post(app, 'queries=10', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect(await store.list()).toEqual([]);
    expect(await queue.count()).toBe(0);
  });

  it('starts a run with the producer and enqueues its jobs', async () => {
    const app = createDashboardApp({
      store,
      queue,
      auth: { user: USER, password: PASSWORD },
      startRun: producerStartRun({ redisUrl: testRedisUrl(), prefix }),
    });
    const res = await post(app, JSON.stringify({ runId: 'from-http', queries: 6, seed: 5, budgetUsd: 1 }));
    expect(res.status).toBe(201);
    expect(res.headers.get('location')).toBe('/api/runs/from-http');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ runId: 'from-http', created: true, page: '/runs/from-http' });
    expect(body).not.toHaveProperty('jobs');
    expect(await queue.count()).toBe(6);

    // A client retrying the same request (same runId) adds nothing, and is told so.
    const retry = await post(app, JSON.stringify({ runId: 'from-http', queries: 6, seed: 5, budgetUsd: 1 }));
    expect(retry.status).toBe(200);
    expect(await retry.json()).toMatchObject({ runId: 'from-http', created: false });
    expect(await queue.count()).toBe(6);

    const run = (await (
      await app.request('/api/runs/from-http', { headers: basic() })
    ).json()) as RunOverview;
    expect(run).toMatchObject({
      status: 'running',
      progress: { total: 6, recorded: 0 },
      spend: { budgetUsd: 1 },
    });
  });

  it('answers 500 for a server-side setting and 503 for an unreachable Redis, not 400', async () => {
    const badKb = createDashboardApp({
      store,
      queue,
      auth: { user: USER, password: PASSWORD },
      startRun: producerStartRun({ redisUrl: testRedisUrl(), prefix }, { kbDir: '/nonexistent-kb' }),
    });
    const res = await post(badKb, '{"queries": 2}');
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: string }).error).toMatch(/nonexistent-kb does not exist.*KB_DIR/);

    const noRedis = createDashboardApp({
      store,
      queue,
      auth: { user: USER, password: PASSWORD },
      startRun: producerStartRun({ redisUrl: 'redis://127.0.0.1:1', prefix }),
    });
    const down = await post(noRedis, '{"queries": 2}');
    expect(down.status).toBe(503);
    expect(((await down.json()) as { error: string }).error).toMatch(/cannot reach Redis/);
  });

  it('starts runs from the knowledge base in KB_DIR of the dashboard’s environment', async () => {
    const kbDir = join(packageRoot, 'test/fixtures/kb-coffee');
    const dashboard = await startDashboard({
      config: loadDashboardConfig({
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: prefix,
        KB_DIR: kbDir,
        LOG_LEVEL: 'silent',
      }),
      port: 0,
    });
    try {
      const res = await fetch(`${dashboard.url}/api/runs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ runId: 'coffee', queries: 3, seed: 1, topics: 'extractive' }),
      });
      expect(res.status).toBe(201);
      const body = (await res.json()) as { plan: { source: { kbHash: string } } };
      expect(body.plan.source.kbHash).toBe((await loadKnowledgeBase(kbDir)).hash);
    } finally {
      await dashboard.close();
    }
  });

  it('answers 503 when no producer is wired', async () => {
    const app = createDashboardApp({ store, queue, auth: { user: USER, password: PASSWORD } });
    expect((await post(app, '{"queries": 1}')).status).toBe(503);
  });
});

describe('Bull Board', () => {
  let redis: Redis;
  let queue: Queue;
  let store: RunStore;

  beforeEach(() => {
    const prefix = testPrefix('dash');
    redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:test` });
    queue = new Queue(QUERY_QUEUE, { connection: bullConnection(testRedisUrl(), `${prefix}:queue`), prefix });
    store = new RunStore(redis, new RedisKeys(prefix));
  });
  afterEach(async () => {
    await queue.close();
    await redis.quit();
  });

  it('serves the query queue at /queues, read-only unless destructive actions are enabled', async () => {
    await queue.add(QUERY_JOB_NAME, { runId: 'r', seq: 0 }, { jobId: 'r.0' });
    const readOnly = createDashboardApp({ store, queue, auth: { user: USER, password: PASSWORD } });

    const ui = await readOnly.request('/queues', { headers: basic() });
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('<div id="root">');
    const queues = await readOnly.request('/queues/api/queues', { headers: basic() });
    const body = (await queues.json()) as { queues: { name: string; readOnlyMode: boolean }[] };
    expect(body.queues.map((q) => [q.name, q.readOnlyMode])).toEqual([['queries', true]]);

    for (const path of ['/clean/waiting', '/empty', '/obliterate']) {
      const res = await readOnly.request(`/queues/api/queues/queries${path}`, {
        method: 'PUT',
        headers: basic(),
      });
      expect(res.status, path).toBe(405);
    }
    expect(await queue.getJobCountByTypes('waiting')).toBe(1);

    const writable = createDashboardApp({
      store,
      queue,
      auth: { user: USER, password: PASSWORD },
      allowDestructive: true,
    });
    const empty = await writable.request('/queues/api/queues/queries/empty', {
      method: 'PUT',
      headers: basic(),
    });
    expect(empty.status).toBe(200);
    expect(await queue.getJobCountByTypes('waiting')).toBe(0);
  });

  it('serves Bull Board static assets from node_modules', async () => {
    const app = createDashboardApp({ store, queue, auth: { user: USER, password: PASSWORD } });
    const html = await (await app.request('/queues', { headers: basic() })).text();
    // Offline: nothing is loaded from another host (Bull Board's web-font link is dropped).
    expect(html).not.toMatch(/(src|href)="https?:/);
    expect(html).toContain('<base href="/queues/"');
    const script = /src="(static\/js\/main[^"]+\.js)"/.exec(html)?.[1];
    expect(script).toBeDefined();
    const res = await app.request(`/queues/${script}`, { headers: basic() });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/javascript/);
  });
});
