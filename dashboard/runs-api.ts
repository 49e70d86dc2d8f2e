import { zValidator } from '@hono/zod-validator';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ZodError } from 'zod';
import { describeZodError } from '../shared/jobs.js';
import type { Logger } from '../shared/logger.js';
import type { RunReader } from './run-reader.js';
import { RunRequestSchema, type RunRequest } from './run-request.js';

/** Starts a run from validated options (the producer's `createRun`, wired in `index.ts`). */
export type StartRun = (options: RunRequest) => Promise<{ runId: string } & Record<string, unknown>>;

export interface RunsApiDeps {
  reader: RunReader;
  queueCounts: () => Promise<Record<string, number>>;
  buildReadout: (runId: string) => Promise<unknown>;
  startRun: StartRun | undefined;
  logger: Logger | undefined;
}

/**
 * `/api/runs`: the JSON behind the run pages, and `POST` to start a run over HTTP. Errors are JSON
 * `{ error }` with a real status: 400 names the bad field, 404 an unknown run.
 */
export function runsApi(deps: RunsApiDeps): Hono {
  const api = new Hono();

  api.get('/', async (c) => {
    const [runs, queue] = await Promise.all([deps.reader.list(), deps.queueCounts()]);
    return c.json({ runs, queue });
  });

  api.get('/:id', async (c) => {
    const summary = await deps.reader.summary(c.req.param('id'));
    if (!summary) {
      throw new HTTPException(404, { message: `no run "${c.req.param('id')}"` });
    }
    return c.json(summary);
  });

  api.get('/:id/report', async (c) => c.json(await deps.buildReadout(c.req.param('id'))));

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
      deps.logger?.info({ runId: result.runId }, 'run started over HTTP');
      const id = encodeURIComponent(result.runId);
      return c.json({ ...result, page: `/runs/${id}`, api: `/api/runs/${id}` }, 201, {
        location: `/api/runs/${id}`,
      });
    },
  );

  return api;
}
