import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ZodError } from 'zod';
import { describeZodError } from '../shared/errors.js';
import { RUN_ID_PATTERN } from '../shared/query-job.js';
import type { Logger } from '../shared/logger.js';
import { RunNotFoundError, type runController } from '../shared/run-control.js';
import type { RunReader } from './run-reader.js';
import { RunRequestSchema, type RunRequest } from './run-request.js';

/** Starts a run from validated options (the producer's `createRun`, wired in `index.ts`). */
export type StartRun = (options: RunRequest) => Promise<{ runId: string } & Record<string, unknown>>;

/** Stops, pauses or resumes a run (shared/run-control.ts, wired in `index.ts`). */
export type ControlRun = ReturnType<typeof runController>;

export interface RunsApiDeps {
  controlRun?: ControlRun | undefined;
  reader: RunReader;
  queueCounts: () => Promise<Record<string, number>>;
  buildReadout: (runId: string) => Promise<unknown>;
  startRun: StartRun | undefined;
  logger: Logger | undefined;
}

/**
 * A run id from a path, or a 404: anything else would name another key (`abc:results` is not a run) or
 * send any string to Redis.
 */
export function checkedRunId(id: string): string {
  if (!RUN_ID_PATTERN.test(id)) {
    throw new HTTPException(404, { message: `no run "${id.slice(0, 80)}"` });
  }
  return id;
}

/**
 * `/api/runs`: the JSON behind the run pages, and `POST` to start a run over HTTP. Errors are JSON
 * `{ error }` with a real status: 400 names the bad field, 404 an unknown run (or an id that cannot be one).
 * A client that may retry a POST sends a `runId`: a second POST with it adds nothing and answers 200.
 */
export function runsApi(deps: RunsApiDeps): Hono {
  const api = new Hono();

  api.get('/', async (c) => {
    const [runs, queue] = await Promise.all([deps.reader.list(), deps.queueCounts()]);
    return c.json({ runs, queue });
  });

  api.get('/:id', async (c) => {
    const summary = await deps.reader.summary(checkedRunId(c.req.param('id')));
    if (!summary) {
      throw new HTTPException(404, { message: `no run "${c.req.param('id')}"` });
    }
    return c.json(summary);
  });

  api.get('/:id/report', async (c) => c.json(await deps.buildReadout(checkedRunId(c.req.param('id')))));

  // The run page's stop, pause and resume buttons: a POST with a JSON content type (a plain form cannot send one).
  api.post('/:id/:action{stop|pause|resume}', async (c) => {
    if (!/^application\/([\w.+-]+\+)?json\b/i.test(c.req.header('content-type') ?? '')) {
      throw new HTTPException(415, { message: 'send the request as JSON (content-type: application/json)' });
    }
    if (!deps.controlRun) {
      throw new HTTPException(503, { message: 'run control is not configured on this dashboard' });
    }
    const runId = checkedRunId(c.req.param('id'));
    const action = c.req.param('action') as 'stop' | 'pause' | 'resume';
    try {
      const outcome = await deps.controlRun(runId, action);
      deps.logger?.info({ runId, action, changed: outcome.changed }, 'run control over HTTP');
      return c.json(outcome, outcome.changed ? 200 : 409);
    } catch (err) {
      if (err instanceof RunNotFoundError) {
        throw new HTTPException(404, { message: `no run "${runId}"` });
      }
      throw err;
    }
  });

  api.post(
    '/',
    async (c, next) => {
      // Without this a body-less POST would validate as `{}` and start a run with every default.
      if (!/^application\/([\w.+-]+\+)?json\b/i.test(c.req.header('content-type') ?? '')) {
        throw new HTTPException(415, {
          message: 'send the run options as JSON (content-type: application/json)',
        });
      }
      await next();
    },
    zValidator('json', RunRequestSchema, (result, c) => {
      if (!result.success) {
        return c.json(
          { error: `invalid run options: ${describeZodError(new ZodError(result.error.issues))}` },
          400,
        );
      }
      return undefined;
    }),
    async (c) => {
      if (!deps.startRun) {
        throw new HTTPException(503, { message: 'starting runs is not configured on this dashboard' });
      }
      const options = c.req.valid('json');
      const result = await deps.startRun(options);
      deps.logger?.info({ runId: result.runId, created: result.created }, 'run started over HTTP');
      const id = encodeURIComponent(result.runId);
      // A repeated runId is the retry of a request that may have got through: 200, nothing added.
      return c.json(
        { ...result, page: `/runs/${id}`, api: `/api/runs/${id}` },
        result.created === false ? 200 : 201,
        { location: `/api/runs/${id}` },
      );
    },
  );

  return api;
}
