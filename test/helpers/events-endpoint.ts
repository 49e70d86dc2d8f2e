import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';

/** An analytics event as the LaunchDarkly server SDK posts it (only the fields tests read are typed). */
export interface LdEvent {
  kind: string;
  key?: string;
  data?: Record<string, unknown> & { jobId?: string };
  metricValue?: number;
  context?: { kind?: string; key?: string; [attribute: string]: unknown };
  [field: string]: unknown;
}

/**
 * A local stand-in for LaunchDarkly's events service: it accepts what the real SDK posts to
 * `${eventsUri}/bulk` (and `/diagnostic`) and keeps every event for assertions.
 */
export class EventsEndpoint {
  readonly events: LdEvent[] = [];
  private waiters: { predicate: () => boolean; resolve: () => void }[] = [];

  private readonly server: Server;
  url = '';

  private constructor() {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') {
          body = gunzipSync(body);
        }
        if (req.url?.startsWith('/bulk') && body.length > 0) {
          this.receive(JSON.parse(body.toString()) as LdEvent[]);
        }
        res.writeHead(202).end();
      });
    });
  }

  static async start(): Promise<EventsEndpoint> {
    const endpoint = new EventsEndpoint();
    await new Promise<void>((resolve) => endpoint.server.listen(0, '127.0.0.1', resolve));
    const address = endpoint.server.address();
    endpoint.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    return endpoint;
  }

  private receive(events: LdEvent[]): void {
    this.events.push(...events);
    this.waiters = this.waiters.filter((waiter) => {
      if (waiter.predicate()) {
        waiter.resolve();
        return false;
      }
      return true;
    });
  }

  /** Custom events (`track` calls) with the given key, or all of them. */
  custom(key?: string): LdEvent[] {
    return this.events.filter((e) => e.kind === 'custom' && (key === undefined || e.key === key));
  }

  /** Resolves once `predicate` holds over the events received, or rejects after `timeoutMs`. */
  waitFor(predicate: (events: LdEvent[]) => boolean, timeoutMs = 15_000): Promise<void> {
    if (predicate(this.events)) {
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`events did not arrive within ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        predicate: () => predicate(this.events),
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.closeAllConnections();
      this.server.close(() => resolve());
    });
  }
}
