import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Queue } from 'bullmq';
import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { OptionError, ProducerError } from '../producer/index.js';
import { ConfigError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { CLIENT_CLOSED_REQUEST, clientClosed } from '../shared/http-server.js';
import { RUN_ID_PATTERN } from '../shared/query-job.js';
import type { ResultRecord } from '../shared/result-record.js';
import type { RunState, RunStore } from '../shared/runs.js';
import { authMiddleware, type AuthSettings } from './auth.js';
import { mountBullBoard } from './bull-board.js';
import { CLIENT_SCRIPT } from './client-script.js';
import { messagePage, runPage, runsListPage } from './pages.js';
import { requestGuard, type RequestGuardSettings } from './request-guard.js';
import { RunReader } from './run-reader.js';
import { checkedRunId, runsApi, type ControlRun, type StartRun } from './runs-api.js';

/** Builds a run's experiment readout: JSON for the API, HTML (with its charts) for the page. */
export interface ReadoutBuilder {
  build(run: { state: RunState; records: ResultRecord[] }): Promise<unknown> | unknown;
  /** A full HTML document or a fragment; either is served as the report page. */
  renderHtml(readout: unknown): string;
}

export interface DashboardDeps {
  store: RunStore;
  /** The query queue: Bull Board and the live counts on the runs page. */
  queue: Queue;
  auth: AuthSettings;
  /** Lets Bull Board clean, empty, obliterate, retry and pause (off: read-only). */
  allowDestructive?: boolean;
  /** How often the pages poll the API, ms. */
  refreshMs?: number;
  readout?: ReadoutBuilder;
  /** Starts a run for `POST /api/runs`; without it that route answers 503. */
  startRun?: StartRun;
  /** Stops, pauses and resumes runs (`POST /api/runs/:id/stop|pause|resume`); without it those answer 503. */
  controlRun?: ControlRun;
  logger?: Logger;
  /** The bound host and `DASHBOARD_ALLOWED_HOSTS`, for the `Host` check; defaults to loopback only. */
  guard?: RequestGuardSettings;
}

const JOB_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed'] as const;

function chartJsSource(): string {
  // chart.js exports no path to its UMD bundle, so find it beside the CommonJS entry point.
  const entry = createRequire(import.meta.url).resolve('chart.js');
  return readFileSync(join(dirname(entry), 'chart.umd.min.js'), 'utf8');
}

function wantsJson(c: Context): boolean {
  return c.req.path.startsWith('/api/') || c.req.path === '/api';
}

/**
 * The dashboard as a Hono app (no server): basic auth over everything, Bull Board at `/queues`, the run
 * pages, and the JSON API at `/api/runs`. `startDashboard` serves it; tests call `app.request()`.
 */
export function createDashboardApp(deps: DashboardDeps): Hono {
  const refreshMs = deps.refreshMs ?? 5000;
  const reader = new RunReader(deps.store);
  const chartJs = chartJsSource();
  const app = new Hono();

  app.use('*', requestGuard(deps.guard ?? { bound: '127.0.0.1', allowedHosts: [] }));
  // Unauthenticated, and says nothing but "up": for container health checks.
  app.get('/health', (c) => c.json({ ok: true }));
  app.use('*', authMiddleware(deps.auth));

  app.get('/static/dashboard.js', (c) =>
    c.body(CLIENT_SCRIPT, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'no-cache',
    }),
  );
  app.get('/static/chart.umd.min.js', (c) =>
    c.body(chartJs, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'max-age=3600',
    }),
  );
  mountBullBoard(app, [deps.queue], deps.allowDestructive ?? false, deps.store);

  const queueCounts = async () => deps.queue.getJobCounts(...JOB_STATES);
  const buildReadout = async (runId: string) => {
    if (!deps.readout) {
      throw new HTTPException(503, { message: 'the experiment readout is not configured' });
    }
    const run = RUN_ID_PATTERN.test(runId) ? await reader.read(runId) : undefined;
    if (!run) {
      throw new HTTPException(404, { message: `no run "${runId}"` });
    }
    return deps.readout.build(run);
  };

  app.route(
    '/api/runs',
    runsApi({
      reader,
      queueCounts,
      buildReadout,
      startRun: deps.startRun,
      controlRun: deps.controlRun,
      logger: deps.logger,
    }),
  );

  app.get('/', async (c) => {
    const [runs, queue] = await Promise.all([reader.list(), queueCounts()]);
    return c.html(runsListPage(runs, queue, refreshMs));
  });
  app.get('/runs/:id', async (c) => {
    const summary = await reader.summary(checkedRunId(c.req.param('id')));
    if (!summary) {
      throw new HTTPException(404, { message: `no run "${c.req.param('id')}"` });
    }
    return c.html(runPage(summary, deps.queue.name, refreshMs));
  });
  app.get('/runs/:id/report', async (c) => {
    const readout = await buildReadout(c.req.param('id'));
    return c.html((deps.readout as ReadoutBuilder).renderHtml(readout));
  });

  app.notFound((c) => {
    if (wantsJson(c)) {
      return c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404);
    }
    return c.html(messagePage('Not found', `Nothing at ${c.req.path}.`), 404);
  });
  app.onError((err, c) => {
    // A client that hung up (mid-upload included) is not the dashboard's error: 499, no error log.
    if (clientClosed(c.req.raw, err) && !(err instanceof HTTPException && err.res)) {
      deps.logger?.debug({ path: c.req.path }, 'client closed the request');
      return c.json(
        { error: 'the client closed the request' },
        CLIENT_CLOSED_REQUEST as ContentfulStatusCode,
      );
    }
    if (err instanceof HTTPException) {
      // basic auth's 401 carries its own response (with WWW-Authenticate): keep it.
      if (err.res) {
        return err.getResponse();
      }
      if (wantsJson(c)) {
        return c.json({ error: err.message }, err.status);
      }
      return c.html(messagePage(err.status === 404 ? 'Not found' : 'Error', err.message), err.status);
    }
    // The producer's messages are written for people. Only a bad option is the request's fault; a bad
    // setting (KB_DIR, a key) is this server's, and an unreachable Redis its surroundings'.
    if (err instanceof OptionError) {
      return c.json({ error: err.message }, 400);
    }
    if (err instanceof ConfigError) {
      deps.logger?.error({ err, path: c.req.path }, 'dashboard misconfigured');
      return c.json({ error: err.message }, 500);
    }
    if (err instanceof ProducerError) {
      deps.logger?.warn({ err, path: c.req.path }, 'producer failed');
      return c.json({ error: err.message }, 503);
    }
    deps.logger?.error({ err, path: c.req.path }, 'dashboard request failed');
    return wantsJson(c)
      ? c.json({ error: 'internal error' }, 500)
      : c.html(messagePage('Error', 'Something went wrong; the server log has the details.'), 500);
  });
  return app;
}
