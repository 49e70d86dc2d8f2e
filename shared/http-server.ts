import type { Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
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
  server.on('clientError', answerClientError);
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

/**
 * Node's parser-level refusals (a malformed request line or header, headers too large, a request too slow)
 * answer with an empty body by default; every other error of these servers is JSON, so these are too.
 */
export function answerClientError(err: Error & { code?: string }, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, reason, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'Request Header Fields Too Large', 'the request headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'Request Timeout', 'the request took too long to arrive']
        : [400, 'Bad Request', 'the request is not valid HTTP'];
  const body = JSON.stringify({ error: message });
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** The status nginx made common for a request its client gave up on; no response reaches anyone. */
export const CLIENT_CLOSED_REQUEST = 499;

/**
 * Whether `err` is only the client hanging up (mid-upload or while waiting): its request's signal is
 * aborted, or reading the body failed with Node's `aborted` reset. Such a request is counted as 499 and is
 * not the server's error.
 */
export function clientClosed(request: Request, err: unknown): boolean {
  if (request.signal.aborted) {
    return true;
  }
  const code = (err as { code?: unknown } | null)?.code;
  return err instanceof Error && err.message === 'aborted' && code === 'ECONNRESET';
}
