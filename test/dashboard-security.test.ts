import { request as httpRequest } from 'node:http';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { listenHttp } from '../shared/http-server.js';
import type { Logger } from '../shared/logger.js';
import { createDashboardApp, loadConfig as loadDashboardConfig, startDashboard } from '../dashboard/index.js';
import { hostAllowed } from '../dashboard/request-guard.js';
import { QUERY_QUEUE } from '../shared/query-job.js';
import { bullConnection, createRedis, RedisKeys } from '../shared/redis.js';
import { RunStore } from '../shared/runs.js';
import { basic, PASSWORD, USER } from './dashboard-fixtures.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

const ADD_JOB = '/queues/api/queues/queries/add';
/** What a `<form enctype="text/plain">` on another site sends to Bull Board's add-job API. */
const FORM_BODY = '{"name":"evil","data":{"x":"=1"}}';

/** A raw HTTP request, so that `Host` is whatever the test says (fetch would set it from the URL). */
function rawRequest(
  url: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: string },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname, port, method: options.method ?? 'GET', path: options.path, headers: options.headers },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('dashboard request guard', () => {
  let redis: Redis;
  let queue: Queue;
  let store: RunStore;
  let prefix: string;

  beforeEach(() => {
    prefix = testPrefix('dashsec');
    redis = createRedis(testRedisUrl(), { connectionName: `${prefix}:test` });
    queue = new Queue(QUERY_QUEUE, { connection: bullConnection(testRedisUrl(), `${prefix}:queue`), prefix });
    store = new RunStore(redis, new RedisKeys(prefix));
  });
  afterEach(async () => {
    await queue.close();
    await redis.quit();
  });

  it('knows which Host names to answer', () => {
    for (const host of ['127.0.0.1:3000', 'localhost:3000', '[::1]:3000', 'LOCALHOST', '10.1.2.3:80']) {
      expect(hostAllowed(host, '127.0.0.1', []), host).toBe(true);
    }
    for (const host of ['evil.example:3000', 'evil.example', '127.0.0.1.nip.io', 'localhost.evil.example']) {
      expect(hostAllowed(host, '127.0.0.1', []), host).toBe(false);
    }
    expect(hostAllowed('dash.example:3000', '127.0.0.1', ['dash.example'])).toBe(true);
    expect(hostAllowed('a.corp.example', '0.0.0.0', ['.corp.example'])).toBe(true);
    expect(hostAllowed('corp.example', '0.0.0.0', ['.corp.example'])).toBe(true);
    expect(hostAllowed('evilcorp.example', '0.0.0.0', ['.corp.example'])).toBe(false);
    expect(hostAllowed('dash.example', 'dash.example', [])).toBe(true);
    expect(hostAllowed('anything.example', '0.0.0.0', ['*'])).toBe(true);
  });

  it('refuses cross-site writes and bodies that are not JSON, Bull Board’s API included; headers on every page', async () => {
    const app = createDashboardApp({
      store,
      queue,
      auth: { user: USER, password: PASSWORD },
      allowDestructive: true,
    });
    const post = (headers: Record<string, string>, body = FORM_BODY) =>
      app.request(ADD_JOB, { method: 'POST', headers: { ...basic(), ...headers }, body });

    // A text/plain form from another site, with the browser's cached credentials.
    for (const headers of <Record<string, string>[]>[
      { 'content-type': 'text/plain', origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' },
      { 'content-type': 'application/json', origin: 'http://evil.example' },
      { 'content-type': 'application/json', 'sec-fetch-site': 'cross-site' },
      { 'content-type': 'application/json', 'sec-fetch-site': 'same-site' },
    ]) {
      const res = await post(headers);
      expect(res.status, JSON.stringify(headers)).toBe(403);
      expect(await res.json()).toEqual({ error: 'cross-site requests may not change anything' });
    }
    // From a script (no Origin) or the same origin, the body must still be JSON.
    for (const type of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      expect((await post({ 'content-type': type })).status, type).toBe(415);
      expect((await post({ 'content-type': type, 'sec-fetch-site': 'same-origin' })).status, type).toBe(415);
    }
    expect((await post({})).status).toBe(415);
    expect(await queue.count()).toBe(0);

    // The same request as JSON from the page itself goes through; Bull Board's body-less actions too.
    const ok = await post({ 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' });
    expect(ok.status).toBe(200);
    expect(await queue.count()).toBe(1);
    const pause = await app.request('/queues/api/queues/queries/pause', {
      method: 'PUT',
      headers: { ...basic(), origin: 'http://localhost', 'sec-fetch-site': 'same-origin' },
    });
    expect(pause.status).toBe(200);
    expect(await queue.isPaused()).toBe(true);

    // Security headers on pages, API answers, errors, Bull Board, static files and the health check.
    for (const path of ['/', '/queues', '/api/runs', '/nope', '/static/dashboard.js', '/health']) {
      const res = await app.request(path, { headers: basic() });
      expect(res.headers.get('content-security-policy'), path).toMatch(/frame-ancestors 'none'/);
      expect(res.headers.get('x-frame-options'), path).toBe('DENY');
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect(res.headers.get('referrer-policy'), path).toBe('no-referrer');
    }
    const refused = await post({ 'content-type': 'text/plain' });
    expect(refused.headers.get('x-frame-options')).toBe('DENY');
  });

  it('over HTTP: refuses a rebinding Host on the password-less loopback default, before anything else', async () => {
    const dashboard = await startDashboard({
      config: loadDashboardConfig({
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: prefix,
        LOG_LEVEL: 'silent',
        DASHBOARD_ALLOW_DESTRUCTIVE: 'true',
        DASHBOARD_ALLOWED_HOSTS: 'dash.example',
      }),
      port: 0,
    });
    try {
      const port = new URL(dashboard.url).port;
      for (const path of ['/api/runs', '/', '/queues/api/queues', '/health']) {
        const rebound = await rawRequest(dashboard.url, { path, headers: { host: `evil.example:${port}` } });
        expect(rebound.status, path).toBe(421);
        expect(rebound.body).not.toContain('runs');
        expect(JSON.parse(rebound.body)).toEqual({
          error: 'this dashboard does not answer to the host "evil.example" (see DASHBOARD_ALLOWED_HOSTS)',
        });
      }
      const start = await rawRequest(dashboard.url, {
        method: 'POST',
        path: '/api/runs',
        headers: { host: `evil.example:${port}`, 'content-type': 'application/json' },
        body: '{"queries": 1}',
      });
      expect(start.status).toBe(421);
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `dash.example:${port}`]) {
        expect((await rawRequest(dashboard.url, { path: '/api/runs', headers: { host } })).status, host).toBe(
          200,
        );
      }

      // A text/plain form POST from another site to Bull Board's add-job API.
      const form = await rawRequest(dashboard.url, {
        method: 'POST',
        path: ADD_JOB,
        headers: {
          host: `127.0.0.1:${port}`,
          'content-type': 'text/plain',
          origin: 'http://evil.example',
          'sec-fetch-site': 'cross-site',
        },
        body: FORM_BODY,
      });
      expect(form.status).toBe(403);
      expect(form.headers['x-frame-options']).toBe('DENY');
      expect(await queue.count()).toBe(0);
    } finally {
      await dashboard.close();
    }
  });

  it('treats a client that drops mid-upload as a 499, not an error', async () => {
    const logged = { error: vi.fn(), warn: vi.fn(), info: vi.fn(), debug: vi.fn() };
    const app = createDashboardApp({
      store,
      queue,
      auth: { user: USER, password: undefined },
      startRun: async () => ({ runId: 'x' }),
      logger: logged as unknown as Logger,
    });
    const server = await listenHttp(app.fetch, 0, '127.0.0.1');
    try {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(Number(new URL(server.url).port), '127.0.0.1', () => {
          socket.write(
            'POST /api/runs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
              'Content-Length: 1000\r\n\r\n{"queries":',
            () => socket.destroy(),
          );
        });
        socket.on('close', () => resolve());
        socket.on('error', reject);
      });
      await vi.waitFor(() => expect(logged.debug).toHaveBeenCalled(), { timeout: 10_000, interval: 20 });
      expect(logged.debug.mock.calls[0]?.[1]).toBe('client closed the request');
      expect(logged.error).not.toHaveBeenCalled();
      expect(logged.warn).not.toHaveBeenCalled();
    } finally {
      await server.close();
    }
  });
});
