import { createBullBoard } from '@bull-board/api';
import type { BoardHooks, HookContext } from '@bull-board/api/dist/types.js';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { JobType, Queue } from 'bullmq';
import type { Hono, MiddlewareHandler } from 'hono';
import { REMOVED, type RunStore } from '../shared/runs.js';

/** Where Bull Board is mounted. */
export const BULL_BOARD_PATH = '/queues';

/** Bull Board's page of one queue; a job's page is this plus `/` and its encoded id (the run page's links). */
export function bullBoardQueueUrl(queueName: string): string {
  return `${BULL_BOARD_PATH}/queue/${encodeURIComponent(queueName)}`;
}

/**
 * Mounts Bull Board for `queues` at {@link BULL_BOARD_PATH}. Unless `allowDestructive`, every queue is in
 * Bull Board's read-only mode: its API answers 405 to clean, empty, obliterate, remove, retry and pause, and
 * the UI hides those buttons. (Bull Board offers no finer switch that also covers clean and obliterate.)
 * Authentication is the caller's middleware: Bull Board has none. With `store`, a job that Bull Board removes
 * before it ran ends with a failed result record (see {@link recordRemovals}).
 */
export function mountBullBoard(
  app: Hono,
  queues: readonly Queue[],
  allowDestructive: boolean,
  store?: Pick<RunStore, 'recordRemoved'>,
): void {
  const serverAdapter = new HonoAdapter(serveStatic);
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: queues.map(
      (queue) =>
        new BullMQAdapter(queue, { readOnlyMode: !allowDestructive, allowRetries: allowDestructive }),
    ),
    serverAdapter,
    options: {
      ...(store ? { handlerHooks: recordRemovals(queues, store) } : {}),
      uiConfig: {
        boardTitle: 'loadgen',
        hideDocsLink: true,
        miscLinks: [{ text: 'Runs', url: '/' }],
      },
    },
  });
  app.use(`${BULL_BOARD_PATH}/*`, offlinePage);
  app.use(BULL_BOARD_PATH, offlinePage);
  app.route(BULL_BOARD_PATH, serverAdapter.registerPlugin());
}

/**
 * Bull Board's page links a web font from fonts.googleapis.com; the dashboard works offline, so the link is
 * dropped (the page falls back to system fonts) and nothing is fetched from outside.
 */
const offlinePage: MiddlewareHandler = async (c, next) => {
  await next();
  if (c.req.method !== 'GET' || !c.res.headers.get('content-type')?.startsWith('text/html')) {
    return;
  }
  const page = await c.res.text();
  const headers = new Headers(c.res.headers);
  headers.delete('content-length');
  c.res = new Response(page.replace(/<link[^>]+https:\/\/fonts\.googleapis\.com[^>]*>/g, ''), {
    status: c.res.status,
    headers,
  });
};

/** The job states a job has not started in: a job removed from one of them never ran. */
const NOT_STARTED: readonly JobType[] = ['waiting', 'prioritized', 'delayed'];

/** Bull Board's API routes that remove jobs, and which jobs each may remove. */
function removableJobs(context: HookContext, queue: Queue): Promise<string[]> | undefined {
  const { route, request } = context;
  if (route === '/api/queues/:queueName/:jobId/clean') {
    return Promise.resolve([String(request.params.jobId)]);
  }
  if (route === '/api/queues/:queueName/clean/:queueStatus') {
    const status = String(request.params.queueStatus) as JobType;
    return NOT_STARTED.includes(status) ? queue.getRanges([status], 0, -1) : undefined;
  }
  if (route === '/api/queues/:queueName/empty' || route === '/api/queues/:queueName/obliterate') {
    return queue.getRanges([...NOT_STARTED], 0, -1);
  }
  return undefined;
}

/**
 * Bull Board hooks that give every job it removes before the job ran (its remove button, clean of waiting or
 * delayed jobs, empty, obliterate) a failed result record `removed: from Bull Board`, so the job's run still
 * gets one record per job and finishes. Before the action the jobs it may remove are listed; after a
 * successful one, those BullMQ no longer knows are recorded. (A queue-wide clean sends no per-job event, so
 * listening to BullMQ's `removed` events would miss these.)
 */
export function recordRemovals(queues: readonly Queue[], store: Pick<RunStore, 'recordRemoved'>): BoardHooks {
  const byName = new Map(queues.map((q) => [q.name, q]));
  const pending = new WeakMap<HookContext, { queue: Queue; ids: Promise<string[]> }>();
  return {
    before(context) {
      const queue = byName.get(String(context.request.params.queueName));
      const ids = queue && removableJobs(context, queue);
      if (queue && ids) {
        // Listing errors surface after the action, not as a refused request.
        ids.catch(() => {});
        pending.set(context, { queue, ids });
      }
    },
    async after(context, result) {
      const before = pending.get(context);
      if (!before || (result.status ?? 200) >= 300) {
        return result;
      }
      const ids = await before.ids;
      const states = await Promise.all(ids.map((id) => before.queue.getJobState(id)));
      await store.recordRemoved(
        ids.filter((_, i) => states[i] === 'unknown'),
        `${REMOVED}: from Bull Board`,
      );
      return result;
    },
  };
}
