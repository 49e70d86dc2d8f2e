import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';

type FetchHandler = (request: Request) => Response | Promise<Response>;

export interface HttpServer {
  /** Where it can be reached, e.g. `http://127.0.0.1:8000` (a wildcard host is shown as loopback). */
  url: string;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * Serves a Hono app's `fetch` on `host:port` (port 0 picks a free one), with a deep accept backlog so that
 * a thousand clients connecting at once are not refused. Rejects if the port cannot be bound.
 */
export async function listenHttp(fetch: FetchHandler, port: number, host: string): Promise<HttpServer> {
  const server = createAdaptorServer({ fetch });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, backlog: 4096 }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port: bound } = server.address() as AddressInfo;
  const urlHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return {
    url: `http://${urlHost}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        if ('closeAllConnections' in server) {
          server.closeAllConnections();
        }
      }),
  };
}
