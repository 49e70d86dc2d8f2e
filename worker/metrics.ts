import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { RUN_ID_PATTERN } from '../shared/query-job.js';
import type { Checkpoint } from './checkpoint-store.js';

type ChatCheckpoint = NonNullable<Checkpoint['chat']>;

const LATENCY_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 60, 120, 300];

/** The bounded `run` label of a job's data: its run id when well formed, else `unknown` (hostile job data). */
export function runLabel(data: unknown): string {
  const runId = (data as { runId?: unknown } | null | undefined)?.runId;
  return typeof runId === 'string' && RUN_ID_PATTERN.test(runId) ? runId : 'unknown';
}

/**
 * Prometheus metrics of one worker process (its own registry, so in-process workers do not collide). Names follow
 * the `loadgen_` namespace of README "Metrics": `_total` counters, `_seconds`, USD as `_usd_total`.
 */
export class WorkerMetrics {
  readonly registry = new Registry();
  /** Jobs by run and outcome: completed, failed, retried (will run again), rate_limited (paused the queue). */
  readonly jobs = new Counter({
    name: 'loadgen_worker_jobs_total',
    help: 'Jobs processed, by run and outcome (completed, failed, retried, rate_limited)',
    labelNames: ['run', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly active = new Gauge({
    name: 'loadgen_worker_active_jobs',
    help: 'Jobs in progress in this process',
    registers: [this.registry],
  });
  readonly chatLatency = new Histogram({
    name: 'loadgen_worker_chat_latency_seconds',
    help: 'End-to-end latency of POST /chat, every call (also of jobs that fail later)',
    buckets: LATENCY_BUCKETS,
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
  /** Per experiment arm: completed jobs, counted once for each AI Config (and variation) that served them. */
  readonly armJobs = new Counter({
    name: 'loadgen_worker_arm_jobs_total',
    help: 'Completed jobs per run, AI Config, variation and judge verdict (a job counts once per config that served it)',
    labelNames: ['run', 'config', 'variation', 'verdict'] as const,
    registers: [this.registry],
  });
  readonly armLatency = new Histogram({
    name: 'loadgen_worker_arm_chat_latency_seconds',
    help: 'POST /chat latency of completed jobs per run, AI Config and variation that served them',
    labelNames: ['run', 'config', 'variation'] as const,
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly armCost = new Counter({
    name: 'loadgen_worker_arm_request_cost_usd_total',
    help: 'Request cost (USD) of completed jobs per run, AI Config and variation that served them',
    labelNames: ['run', 'config', 'variation'] as const,
    registers: [this.registry],
  });

  /** A completed job, per experiment arm that served it: verdict, latency and request cost. */
  observeCompleted(runId: string, chat: ChatCheckpoint, verdict: string): void {
    for (const agent of chat.response.agents) {
      if (!agent.enabled) {
        continue;
      }
      const arm = { run: runId, config: agent.configKey, variation: agent.variationKey };
      this.armJobs.inc({ ...arm, verdict });
      this.armLatency.observe(arm, chat.latencyMs / 1000);
      this.armCost.inc(arm, chat.response.totals.costUsd ?? 0);
    }
  }

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
