import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import type { Queue } from 'bullmq';
import type { Hono, MiddlewareHandler } from 'hono';

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
 * Authentication is the caller's middleware: Bull Board has none.
 */
export function mountBullBoard(app: Hono, queues: readonly Queue[], allowDestructive: boolean): void {
  const serverAdapter = new HonoAdapter(serveStatic);
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  createBullBoard({
    queues: queues.map(
      (queue) =>
        new BullMQAdapter(queue, { readOnlyMode: !allowDestructive, allowRetries: allowDestructive }),
    ),
    serverAdapter,
    options: {
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
