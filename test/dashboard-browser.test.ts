import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig as loadDashboardConfig, startDashboard, type Dashboard } from '../dashboard/index.js';
import { loadConfig as loadWorkerConfig, startWorker } from '../worker/index.js';
import { PASSWORD, USER } from './dashboard-fixtures.js';
import { openBrowser } from './helpers/chromium.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';
import { WorkerStack } from './worker-stack.js';

const ARTIFACTS = 'test-artifacts';

describe('dashboard in a browser', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup();
    }
  });

  it('answers 401 without credentials; during a live run Bull Board and the run page show the completed count rise', async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const prefix = testPrefix('dashb');
    // Slow enough that the page sees the run in progress: two jobs at a time, each several LLM calls.
    const stack = await WorkerStack.start({
      redisUrl: testRedisUrl(),
      prefix,
      sim: { allModels: { latency: { ttftMs: 150, perTokenMs: 0 } } },
    });
    cleanups.push(() => stack.close());
    const dashboard: Dashboard = await startDashboard({
      config: loadDashboardConfig({
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: prefix,
        LLM_SIM_URL: stack.sim.url,
        LOG_LEVEL: 'silent',
        DASHBOARD_USER: USER,
        DASHBOARD_PASSWORD: PASSWORD,
        DASHBOARD_REFRESH_SECONDS: '1',
      }),
      port: 0,
    });
    cleanups.push(() => dashboard.close());

    // Headless Chromium turns a page navigation's auth challenge into a network error, so ask through the
    // browser context's request API, which shows the status the server sent.
    const anonymous = await openBrowser(cleanups);
    for (const path of ['/', '/runs/live', '/runs/live/report', '/queues', '/api/runs']) {
      const res = await anonymous.request.get(`${dashboard.url}${path}`);
      expect(res.status(), path).toBe(401);
      expect(res.headers()['www-authenticate'], path).toMatch(/^Basic/);
    }

    const browser = await openBrowser(cleanups, { credentials: { username: USER, password: PASSWORD } });
    // Start the run over HTTP, as a script would.
    const queries = 12;
    const started = await browser.request.post(`${dashboard.url}/api/runs`, {
      data: { runId: 'live', queries, seed: 3, segments: 'other-paid=1', budgetUsd: 5 },
    });
    expect(started.status()).toBe(201);

    const page = await browser.newPage();
    await page.goto(`${dashboard.url}/runs/live`);
    const completed = async () => Number(await page.locator('#completed').textContent());
    expect(await completed()).toBe(0);

    const worker = await startWorker({ config: loadWorkerConfig(stack.workerEnv()), concurrency: 2 });
    cleanups.push(() => worker.close());

    // The page polls the API: the count rises without a reload, first above 0, then above that.
    await expect.poll(completed, { timeout: 60_000, interval: 200 }).toBeGreaterThan(0);
    const first = await completed();
    await expect.poll(completed, { timeout: 60_000, interval: 200 }).toBeGreaterThan(first);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-run-live.png'), fullPage: true });

    // Hold the run part-way: the worker finishes the jobs it holds and takes no more, so Bull Board has a
    // mid-run count to show, and must later climb from it without a reload.
    await worker.close();
    const held = (await stack.queue.getJobCounts('completed')).completed ?? 0;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(queries);

    // Bull Board's queue page, with the completed jobs of the run counted on its tab.
    const board = await browser.newPage();
    await board.goto(`${dashboard.url}/queues/queue/queries`);
    await board.getByText('queries', { exact: true }).first().waitFor();
    const boardCompleted = async () => {
      const text =
        (await board
          .getByRole('link', { name: /completed/i })
          .first()
          .textContent()) ?? '';
      return Number(/\d+/.exec(text)?.[0] ?? 0);
    };
    await expect.poll(boardCompleted, { timeout: 30_000, interval: 200 }).toBe(held);
    await board.screenshot({ path: join(ARTIFACTS, 'dashboard-bull-board.png') });

    const rest = await startWorker({ config: loadWorkerConfig(stack.workerEnv()), concurrency: 2 });
    cleanups.push(() => rest.close());

    await stack.waitForResults('live', queries, 90_000);
    await expect.poll(completed, { timeout: 30_000, interval: 200 }).toBe(queries);
    await expect.poll(() => page.locator('[data-status="status"]').textContent()).toBe('done');
    // Bull Board polls on its own: its count climbs from the mid-run count it showed to every job of the run.
    await expect.poll(boardCompleted, { timeout: 30_000, interval: 200 }).toBe(queries);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-run-done.png'), fullPage: true });

    // The runs list links the run with its status and progress.
    await page.goto(dashboard.url);
    const row = page.getByRole('row', { name: /live/ });
    await expect.poll(() => row.textContent()).toMatch(/done.*12 \/ 12/);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-runs.png'), fullPage: true });

    // The readout page: one decision per experiment in data/experiments.yaml.
    await page.goto(`${dashboard.url}/runs/live/report`);
    for (const name of ['Security Level', 'Premium Model Value']) {
      await page
        .getByRole('heading', { name: new RegExp(name) })
        .first()
        .waitFor();
    }
    expect(await page.locator('.decision').count()).toBe(2);
    await page.screenshot({ path: join(ARTIFACTS, 'dashboard-readout.png'), fullPage: true });
  });
});
