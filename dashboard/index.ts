import { Queue } from 'bullmq';
import { llmSettingsFrom } from '../shared/config.js';
import { QUERY_QUEUE } from '../shared/query-job.js';
import { createLogger, type Logger } from '../shared/logger.js';
import { bullConnection, createRedis, RedisKeys } from '../shared/redis.js';
import { runController } from '../shared/run-control.js';
import { RunStore } from '../shared/runs.js';
import { createDashboardApp } from './app.js';
import { assertSafeBinding } from './auth.js';
import { DEFAULT_DASHBOARD_HOST, DEFAULT_DASHBOARD_PORT, type DashboardConfig } from './config.js';
import { readoutBuilder } from './readout.js';
import { producerStartRun } from './start-run.js';
import { listenHttp } from '../shared/http-server.js';
import { ResourceStack } from '../shared/shutdown.js';

export { createDashboardApp, type DashboardDeps, type ReadoutBuilder } from './app.js';
export { assertSafeBinding, isLoopbackHost } from './auth.js';
export { loadConfig, type DashboardConfig } from './config.js';
export { readoutBuilder } from './readout.js';
export { producerStartRun, type StartRunSettings } from './start-run.js';
export { HTTP_MAX_QUERIES, RunRequestSchema, type RunRequest } from './run-request.js';
export type { RunListItem } from './run-reader.js';
export type { RunOverview } from './run-overview.js';

export { DEFAULT_DASHBOARD_HOST, DEFAULT_DASHBOARD_PORT } from './config.js';

export interface DashboardOptions {
  /** The configuration, parsed once at start by the caller: `loadConfig(process.env)` (`loadgen dashboard`). */
  config: DashboardConfig;
  /** 0 picks a free port; defaults to 3000. */
  port?: number;
  /** Defaults to 127.0.0.1; a non-loopback host needs DASHBOARD_PASSWORD. */
  host?: string;
  logger?: Logger;
}

export interface Dashboard {
  /** Base URL, e.g. http://127.0.0.1:3000 */
  url: string;
  /** Stops listening, drops open connections, closes the queue and Redis. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Starts the dashboard: Bull Board at `/queues`, the run pages at `/`, the JSON API at `/api/runs`, all
 * behind basic auth. Throws a `ConfigError` on a bad variable or a non-loopback host without a password.
 */
export async function startDashboard(options: DashboardOptions): Promise<Dashboard> {
  const config = options.config;
  const host = options.host ?? DEFAULT_DASHBOARD_HOST;
  assertSafeBinding(host, config.dashboardPassword);
  const readout = readoutBuilder();
  const logger = options.logger ?? createLogger({ level: config.logLevel, name: 'dashboard' });
  if (config.dashboardPassword === undefined) {
    logger.warn({ host }, 'DASHBOARD_PASSWORD is not set: no authentication (loopback only)');
  }

  const resources = new ResourceStack({ logger, label: 'dashboard' });
  const redis = createRedis(config.redisUrl, { connectionName: `${config.redisPrefix}:dashboard` });
  resources.defer('redis', () => redis.quit());
  const queue = new Queue(QUERY_QUEUE, {
    connection: bullConnection(config.redisUrl, `${config.redisPrefix}:dashboard-queue`),
    prefix: config.redisPrefix,
  });
  resources.defer('queue', () => queue.close());
  const keys = new RedisKeys(config.redisPrefix);
  const store = new RunStore(redis, keys);
  const app = createDashboardApp({
    store,
    queue,
    controlRun: runController({ store, queue, redis, keys }),
    auth: { user: config.dashboardUser, password: config.dashboardPassword },
    allowDestructive: config.dashboardAllowDestructive,
    guard: { bound: host, allowedHosts: config.dashboardAllowedHosts },
    refreshMs: config.dashboardRefreshSeconds * 1000,
    readout,
    startRun: producerStartRun(
      {
        redisUrl: config.redisUrl,
        prefix: config.redisPrefix,
        // POST /api/runs runs the producer in this process, with the LLM settings and KB_DIR of this environment.
        llm: llmSettingsFrom(config),
        logger: logger.child({ component: 'producer' }),
      },
      { kbDir: config.kbDir },
    ),
    logger,
  });

  let url: string;
  try {
    // Browsers keep connections open: closing drops them rather than waiting for them to time out.
    const server = await resources.use(
      'http server',
      () => listenHttp(app.fetch, options.port ?? DEFAULT_DASHBOARD_PORT, host),
      (server) => server.close(),
    );
    url = server.url;
  } catch (err) {
    await resources.close();
    throw err;
  }
  logger.info(
    { url, auth: config.dashboardPassword !== undefined, destructive: config.dashboardAllowDestructive },
    'dashboard up',
  );

  return { url, close: () => resources.close() };
}
