import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for LaunchDarkly's events service: accepts every payload with 202 and counts them, so the SDKs
 * in the pipeline send events as they do live (serialising, batching, posting) without a network.
 */
export class EventSink {
  payloads = 0;
  bytes = 0;

  private constructor(private readonly server: Server) {}

  static async start(): Promise<EventSink> {
    const holder: { sink?: EventSink } = {};
    const server = createServer((req, res) => {
      req.on('data', (chunk: Buffer) => {
        if (holder.sink) {
          holder.sink.bytes += chunk.length;
        }
      });
      req.on('end', () => {
        if (holder.sink) {
          holder.sink.payloads++;
        }
        res.writeHead(202).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.sink = new EventSink(server);
    return holder.sink;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }
}
