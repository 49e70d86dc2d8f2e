import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';

type FetchHandler = (request: Request) => Response | Promise<Response>;

export interface HttpServer {
  /** Where it can be reached, e.g. `http://127.0.0.1:8000` (a wildcard host is shown as loopback). */
  url: string;
  /**
   * Stops listening; requests in flight may finish for up to `graceMs` (default 0), each answered with
   * `Connection: close`; then every connection left is dropped.
   */
  close(graceMs?: number): Promise<void>;
}

/**
 * Serves a Hono app's `fetch` on `host:port` (port 0 picks a free one), with a deep accept backlog so that
 * a thousand clients connecting at once are not refused. Rejects if the port cannot be bound.
 */
export async function listenHttp(fetch: FetchHandler, port: number, host: string): Promise<HttpServer> {
  const server = createAdaptorServer({ fetch }) as Server;
  const inFlight = new Set<ServerResponse>();
  let draining = false;
  let drained: (() => void) | undefined;
  // Before the app's listener, so that a response to a request arriving while draining is marked in time.
  server.prependListener('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    // While draining, a response tells its client not to send more on this connection.
    res.shouldKeepAlive &&= !draining;
    res.once('close', () => {
      inFlight.delete(res);
      if (inFlight.size === 0) {
        drained?.();
      }
    });
  });
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
    close: async (graceMs = 0) => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      draining = true;
      server.closeIdleConnections();
      for (const res of inFlight) {
        res.shouldKeepAlive &&= res.headersSent;
      }
      if (inFlight.size > 0 && graceMs > 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          drained = resolve;
          timer = setTimeout(resolve, graceMs);
        });
        clearTimeout(timer);
      }
      server.closeAllConnections();
      await closed;
    },
  };
}
