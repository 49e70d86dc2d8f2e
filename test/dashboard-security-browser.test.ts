import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig as loadDashboardConfig, startDashboard } from '../dashboard/index.js';
import { QUERY_JOB_NAME, QUERY_QUEUE } from '../shared/query-job.js';
import { listenHttp } from '../shared/http-server.js';
import { bullConnection } from '../shared/redis.js';
import { PASSWORD, USER } from './dashboard-fixtures.js';
import { openBrowser } from './helpers/chromium.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

describe('dashboard attacks in a browser', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup();
    }
  });

  it('refuses a cross-site text/plain form to Bull Board, a rebinding Host and framing; Bull Board runs under the CSP', async () => {
    const prefix = testPrefix('dashsecb');
    const queue = new Queue(QUERY_QUEUE, {
      connection: bullConnection(testRedisUrl(), `${prefix}:q`),
      prefix,
    });
    cleanups.push(() => queue.close());
    await queue.add(QUERY_JOB_NAME, { runId: 'r', seq: 0 }, { jobId: 'r.0' });
    const dashboard = await startDashboard({
      config: loadDashboardConfig({
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: prefix,
        LOG_LEVEL: 'silent',
        DASHBOARD_USER: USER,
        DASHBOARD_PASSWORD: PASSWORD,
        DASHBOARD_ALLOW_DESTRUCTIVE: 'true',
      }),
      port: 0,
    });
    cleanups.push(() => dashboard.close());
    const target = dashboard.url;
    // The attacker's site: another host name (cross-site), a form posting text/plain, and a frame.
    const attackPage = `<!doctype html><html><body>
      <form id="f" method="POST" enctype="text/plain" action="${target}/queues/api/queues/queries/add">
        <input name='{"name":"evil","data":{"x":"' value='"}}' />
      </form>
      <iframe id="frame" src="${target}/queues"></iframe></body></html>`;
    const evil = await listenHttp(
      () => new Response(attackPage, { headers: { 'content-type': 'text/html' } }),
      0,
      '127.0.0.1',
    );
    cleanups.push(() => evil.close());
    const evilUrl = `http://evil.test:${new URL(evil.url).port}/`;

    // The victim's browser holds the dashboard's credentials (answered on any challenge).
    const browser = await openBrowser(cleanups, {
      credentials: { username: USER, password: PASSWORD },
      hostResolverRules: 'MAP evil.test 127.0.0.1',
    });
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') {
        consoleErrors.push(m.text());
      }
    });
    await page.goto(evilUrl);
    // Framing is blocked: the frame does not show Bull Board.
    const frame = page.frames().find((f) => f !== page.mainFrame());
    expect(frame).toBeDefined();
    await expect
      .poll(() => consoleErrors.join('\n'), { timeout: 10_000 })
      .toMatch(/frame-ancestors|X-Frame-Options/);
    expect(
      await frame
        ?.locator('#root')
        .count()
        .catch(() => 0),
    ).toBe(0);

    // The form submits cross-site; the dashboard refuses it and no job is added.
    const [response] = await Promise.all([
      page.waitForResponse((res) => res.url().includes('/queues/api/queues/queries/add')),
      page.locator('#f').evaluate((form) => (form as unknown as { submit(): void }).submit()),
    ]);
    expect(response.status()).toBe(403);
    expect(await queue.getJobCountByTypes('waiting')).toBe(1);

    // DNS rebinding: evil.test now points at the dashboard; the page reads from "its own" origin.
    const port = new URL(target).port;
    const rebound = await browser.newPage();
    const read = await rebound.goto(`http://evil.test:${port}/api/runs`);
    expect(read?.status()).toBe(421);
    const write = await rebound.evaluate(async () => {
      const res = await fetch('/api/runs', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"queries": 1}',
      });
      return res.status;
    });
    expect(write).toBe(421);

    // Bull Board, the runs list and the run API still work in the browser, with no CSP violation.
    const board = await browser.newPage();
    const violations: string[] = [];
    board.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) {
        violations.push(m.text());
      }
    });
    board.on('pageerror', (err) => violations.push(err.message));
    await board.goto(`${target}/queues/queue/queries`);
    await board.getByText('queries', { exact: true }).first().waitFor();
    await board
      .getByRole('link', { name: /waiting/i })
      .first()
      .waitFor();
    await board.goto(`${target}/`);
    await board.locator('header').waitFor();
    expect(violations).toEqual([]);
  });
});
