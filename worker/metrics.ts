import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one worker process (its own registry, so in-process workers do not collide). */
export class WorkerMetrics {
  readonly registry = new Registry();
  /** Jobs by outcome: completed, failed, retried (will run again), rate_limited (paused the queue). */
  readonly jobs = new Counter({
    name: 'loadgen_worker_jobs_total',
    help: 'Jobs processed, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly active = new Gauge({
    name: 'loadgen_worker_active_jobs',
    help: 'Jobs in progress in this process',
    registers: [this.registry],
  });
  readonly chatLatency = new Histogram({
    name: 'loadgen_worker_chat_latency_seconds',
    help: 'End-to-end latency of POST /chat',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60, 120, 300],
    registers: [this.registry],
  });
  readonly spend = new Counter({
    name: 'loadgen_worker_spend_usd_total',
    help: 'USD spent: request (agent service) and harness (judge)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly verdicts = new Counter({
    name: 'loadgen_worker_verdicts_total',
    help: 'Judge verdicts',
    labelNames: ['verdict'] as const,
    registers: [this.registry],
  });
  readonly events = new Counter({
    name: 'loadgen_worker_ld_events_total',
    help: 'LaunchDarkly events delivered: feedback and cost',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly flushes = new Counter({
    name: 'loadgen_worker_ld_flushes_total',
    help: 'LaunchDarkly flushes, by result',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly resent = new Counter({
    name: 'loadgen_worker_ld_resent_total',
    help: 'Jobs whose events were sent again because an earlier flush was never confirmed',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'loadgen_worker_' });
  }

  /** Serves `GET /metrics` on `port` (0 picks a free one); resolves with the server and its port. */
  async serve(port: number, host: string): Promise<{ server: Server; port: number }> {
    const server = createServer((req, res) => {
      if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try GET /metrics\n');
        return;
      }
      this.registry
        .metrics()
        .then((body) => res.writeHead(200, { 'content-type': this.registry.contentType }).end(body))
        .catch((err: Error) => res.writeHead(500).end(err.message));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return { server, port: (server.address() as AddressInfo).port };
  }
}
