import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { redactUrl } from './logger.js';

/**
 * A new ioredis connection for `url`. BullMQ workers need `maxRetriesPerRequest: null` so that blocking
 * commands survive a Redis restart; the same setting suits every long-lived connection here.
 */
export function createRedis(url: string, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: 'loadgen',
    ...options,
  });
  // The error event must have a listener or ioredis prints unhandled-error noise while reconnecting.
  redis.on('error', () => {});
  return redis;
}

/** Connects and pings, failing with a message that shows the URL without its password. */
export async function checkRedis(url: string, timeoutMs = 3000): Promise<void> {
  const redis = createRedis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await Promise.race([
      redis.connect().then(() => redis.ping()),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), timeoutMs).unref()),
    ]);
  } catch (err) {
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${(err as Error).message}`, { cause: err });
  } finally {
    redis.disconnect();
  }
}

/** Names the tool's own keys under the prefix, e.g. `loadgen:run:abc:results`. */
export class RedisKeys {
  constructor(readonly prefix: string) {}

  run(runId: string): string {
    return `${this.prefix}:run:${runId}`;
  }
  runResults(runId: string): string {
    return `${this.prefix}:run:${runId}:results`;
  }
  /** The job ids of the run's result records, in the order they were recorded (a list). */
  runResultLog(runId: string): string {
    return `${this.prefix}:run:${runId}:result-log`;
  }
  runSpend(runId: string): string {
    return `${this.prefix}:run:${runId}:spend`;
  }
  runs(): string {
    return `${this.prefix}:runs`;
  }
  key(...parts: string[]): string {
    return [this.prefix, ...parts].join(':');
  }
}

/**
 * Connection options for BullMQ to open (and close) connections of its own. BullMQ leaves a connection
 * instance it was handed open on `close()`, so options are the safer thing to pass.
 */
export function bullConnection(url: string, connectionName?: string): ConnectionOptions {
  return { url, maxRetriesPerRequest: null, ...(connectionName ? { connectionName } : {}) };
}
