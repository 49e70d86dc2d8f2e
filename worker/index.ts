import { Queue, Worker } from 'bullmq';
import { QUERY_QUEUE } from '../shared/query-job.js';
import { llmMode } from '../shared/llm/index.js';
import { createLogger, redactUrl, type Logger } from '../shared/logger.js';
import { bullConnection, createRedis, RedisKeys, waitForRedis } from '../shared/redis.js';
import { ResourceStack } from '../shared/shutdown.js';
import { RunStore } from '../shared/runs.js';
import { startTelemetry } from '../shared/telemetry.js';
import { llmSettingsFrom } from '../shared/config.js';
import { BudgetGuard } from './budget-guard.js';
import { postChat } from './chat-client.js';
import { CheckpointStore } from './checkpoint-store.js';
import { judgeProvider, type WorkerConfig } from './config.js';
import { createWorkerEvents } from './events-client.js';
import { createJobOutput } from './job-output.js';
import { Judge } from './judge.js';
import { LaunchDarklyReporter } from './launchdarkly-reporter.js';
import { WorkerMetrics } from './metrics.js';
import {
  createQueryProcessor,
  recordBypassedFailure,
  resentKey,
  type ProcessorDeps,
} from './query-processor.js';
import type { StallSettings } from './stall-settings.js';
import { OpenRunCloser } from './open-run-closer.js';
import { RemovedJobs } from './removed-jobs.js';

export { loadConfig, type WorkerConfig } from './config.js';
export { STALL_SETTINGS, type StallSettings } from './stall-settings.js';
export { BUDGET_EXHAUSTED } from './budget-guard.js';
export { resentKey } from './query-processor.js';

export interface StartWorkerOptions {
  /** The configuration, parsed once at start by the caller: `loadConfig(process.env)` (`loadgen worker`). */
  config: WorkerConfig;
  /** Jobs run at once in this process; overrides `WORKER_CONCURRENCY`. */
  concurrency?: number;
  logger?: Logger;
  /** Port of `/metrics`; `null` switches it off; overrides `WORKER_METRICS_PORT`. */
  metricsPort?: number | null;
  /** One readable line per job (terminal) instead of JSON logs; defaults to whether stdout is a TTY. */
  tty?: boolean;
  /** Where TTY lines go; defaults to stdout. */
  output?: NodeJS.WritableStream;
}

export interface WorkerHandle {
  /** Stops taking jobs, lets in-flight ones finish (up to `WORKER_SHUTDOWN_SECONDS`), flushes, closes. */
  close(): Promise<void>;
  /** The port `/metrics` listens on, when it is on. */
  metricsPort: number | undefined;
  config: WorkerConfig;
}

/** Jobs per second no run reaches; set so that `rateLimit` pauses every worker, not just the caller. */
const UNLIMITED_RATE = 1_000_000_000;

/**
 * Starts a worker on the `queries` queue: per job it chats with the agent service, judges the answer,
 * reports feedback and cost to LaunchDarkly and records the result, each step once. Used by
 * `loadgen worker`, by `loadgen start` and by benchmarks (in-process).
 */
export async function startWorker(options: StartWorkerOptions): Promise<WorkerHandle> {
  const config = options.config;
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'worker' });
  const concurrency = options.concurrency ?? config.workerConcurrency;
  const stall: StallSettings = {
    lockDuration: config.workerLockDurationMs,
    stalledInterval: config.workerStalledIntervalMs,
    maxStalledCount: config.workerMaxStalledCount,
  };
  const prefix = config.redisPrefix;
  const keys = new RedisKeys(prefix);
  const resources = new ResourceStack({ logger, label: 'worker' });
  try {
    // Opened first, closed last: the spans of the jobs that finish while the worker drains are still exported.
    const telemetry = await resources.use(
      'telemetry',
      () => startTelemetry({ serviceName: 'loadgen-worker', env: config }),
      (t) => t.close(),
    );
    const redis = createRedis(config.redisUrl, { connectionName: `${prefix}:worker` });
    // quit() waits for a reply that an unreachable Redis never sends; disconnect() then.
    resources.defer('redis', () => (redis.status === 'ready' ? redis.quit() : redis.disconnect()));
    // Bounded: without Redis the worker gives up, naming the URL and the cause, instead of retrying forever.
    await waitForRedis(redis, config.redisUrl, config.redisConnectTimeoutMs);
    const events = await createWorkerEvents(config, logger);
    resources.defer('launchdarkly', () => events.close());
    const metrics = new WorkerMetrics();
    const checkpoints = new CheckpointStore(redis, keys);
    const reporter = new LaunchDarklyReporter(events.client, checkpoints, {
      intervalMs: config.workerLdFlushMs,
      logger,
      onFlush: ({ ok }) => metrics.flushes.inc({ result: ok ? 'delivered' : 'failed' }),
    });
    resources.defer('reporter', () => reporter.close());
    const runs = new RunStore(redis, keys);
    const judge = new Judge({
      provider: judgeProvider(config),
      model: config.judgeModel,
      llm: { ...llmSettingsFrom(config), timeoutMs: config.judgeTimeoutSeconds * 1000 },
      maxChars: config.judgeMaxChars,
      cache: { redis, keys },
      logger,
    });
    let metricsPort: number | undefined;
    const port = options.metricsPort !== undefined ? options.metricsPort : config.workerMetricsPort;
    if (port !== null) {
      const served = await serveMetrics(metrics, port, config.workerMetricsHost, logger);
      metricsPort = served.port;
      resources.defer('metrics', () => new Promise<void>((resolve) => served.server.close(() => resolve())));
    }

    const holder: { worker?: Worker } = {};
    const deps: ProcessorDeps = {
      chat: (request, signal, requestId) =>
        postChat(config.agentServiceUrl, request, {
          timeoutMs: config.chatTimeoutSeconds * 1000,
          signal,
          requestId,
        }),
      judge,
      reporter,
      checkpoints,
      budget: new BudgetGuard(redis, keys, runs),
      runs,
      resentKey: (runId) => resentKey(keys, runId),
      metrics,
      logger,
      output: createJobOutput({
        tty: options.tty ?? process.stdout.isTTY === true,
        logger,
        stream: options.output,
      }),
      rateLimit: (ms) => (holder.worker as Worker).rateLimit(ms),
    };
    // Every job ends with a record, even one removed from the queue before it ran; a run of unknown size
    // (enqueued by a script) is done once every job it has in the queue has its record.
    const queue = new Queue(QUERY_QUEUE, {
      connection: bullConnection(config.redisUrl, `${prefix}:worker-queue`),
      prefix,
    });
    resources.defer('queue', () => queue.close());
    const closer = new OpenRunCloser(queue, runs, logger);
    resources.defer('open runs', () => closer.close());
    const removed = new RemovedJobs({
      connection: bullConnection(config.redisUrl, `${prefix}:worker-events`),
      prefix,
      queue,
      store: runs,
      logger,
      onRecorded: (runId) => closer.jobEnded(runId),
    });
    resources.defer('removed jobs', () => removed.close());
    await removed.waitUntilReady();
    const processor = createQueryProcessor(deps);
    const bull = new Worker(QUERY_QUEUE, processor, {
      connection: bullConnection(config.redisUrl),
      prefix,
      concurrency,
      ...stall,
      limiter: rateLimiter(config.workerMaxRps),
      ...(telemetry.bullmq ? { telemetry: telemetry.bullmq } : {}),
    });
    holder.worker = bull;
    bull.on('error', (err) => logger.error({ err }, 'worker error'));
    bull.on('failed', (job, err) => {
      void recordBypassedFailure(deps, job, err)
        .catch((error: unknown) =>
          logger.error({ err: error, jobId: job?.id }, 'cannot record the failed result'),
        )
        .then(() => closer.jobEnded(runIdOf(job?.data)));
    });
    bull.on('completed', (job) => closer.jobEnded(runIdOf(job.data)));
    resources.defer('worker', () => closeWorker(bull, config.workerShutdownSeconds * 1000, logger));
    await bull.waitUntilReady();

    logger.info(
      {
        mode: llmMode({ simUrl: config.llmSimUrl }) === 'simulated' ? 'SIMULATED' : 'LIVE',
        redis: redactUrl(config.redisUrl),
        prefix,
        agentService: redactUrl(config.agentServiceUrl),
        llmSim: config.llmSimUrl ? redactUrl(config.llmSimUrl) : null,
        judge: `${judgeProvider(config)}/${config.judgeModel}`,
        launchDarklyEvents: events.description,
        concurrency,
        maxRps: config.workerMaxRps ?? null,
        stall,
        metricsPort: metricsPort ?? null,
        tracing: telemetry.enabled,
      },
      'worker started',
    );
    return {
      close: () => resources.close(),
      metricsPort,
      config,
    };
  } catch (err) {
    await resources.close();
    throw err;
  }
}

/** The run id in a job's data, when it has one (the data of an invalid job may be anything). */
function runIdOf(data: unknown): unknown {
  return typeof data === 'object' && data !== null ? (data as { runId?: unknown }).runId : undefined;
}

/**
 * Serves `/metrics` on `port`; when another process has it (a second worker on the same host), on a free
 * port instead, with a warning naming it: one worker per container keeps 9464, many on one host all start.
 */
async function serveMetrics(metrics: WorkerMetrics, port: number, host: string, logger: Logger) {
  try {
    return await metrics.serve(port, host);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) {
      throw err;
    }
    const served = await metrics.serve(0, host);
    logger.warn(
      { port, metricsPort: served.port },
      `metrics port ${port} is in use; /metrics is on ${served.port}`,
    );
    return served;
  }
}

/** `--max-rps` as a BullMQ limiter; without it a limit no one reaches, so manual rate limits apply queue-wide. */
function rateLimiter(maxRps: number | undefined): { max: number; duration: number } {
  if (maxRps === undefined) {
    return { max: UNLIMITED_RATE, duration: 1000 };
  }
  if (maxRps >= 1) {
    return { max: Math.round(maxRps), duration: 1000 };
  }
  return { max: 1, duration: Math.round(1000 / maxRps) };
}

/** Waits for in-flight jobs up to `deadlineMs`, then closes without them (their jobs resume elsewhere). */
async function closeWorker(worker: Worker, deadlineMs: number, logger: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), deadlineMs);
  });
  const result = await Promise.race([worker.close().then(() => 'closed' as const), deadline]);
  clearTimeout(timer);
  if (result === 'deadline') {
    logger.warn({ deadlineMs }, 'in-flight jobs did not finish in time; they will resume on another worker');
    // Not `close(true)`: after `close()` BullMQ returns the same pending promise, which waits for the jobs.
    // Dropping the connections leaves their locks to expire, so the stalled check hands them to another worker.
    await worker.disconnect();
  }
}
