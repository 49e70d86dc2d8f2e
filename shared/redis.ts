import type { ConnectionOptions } from 'bullmq';
import { Redis, type RedisOptions } from 'ioredis';
import { UserError } from './errors.js';
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
    throw new UserError(`cannot reach Redis at ${redactUrl(url)}: ${describeRedisError(err)}`, 1, {
      cause: err,
    });
  } finally {
    redis.disconnect();
  }
}

/** How long a process waits at start for Redis before giving up (REDIS_CONNECT_TIMEOUT_MS). */
export const DEFAULT_REDIS_CONNECT_TIMEOUT_MS = 30_000;

/** What a connection error means to the user: a wrong password or user says so; others keep their message. */
export function describeRedisError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  if (/WRONGPASS|invalid password|invalid username-password/i.test(message)) {
    return `wrong password or user (${message.trim()}): check the credentials in REDIS_URL`;
  }
  if (/NOAUTH/i.test(message)) {
    return `Redis requires a password (${message.trim()}): put it in REDIS_URL, e.g. redis://:PASSWORD@host:6379`;
  }
  return message;
}

/**
 * Waits until `redis` is ready, for at most `timeoutMs`. Rejects with a `UserError` naming the URL (without its
 * password) and the last cause; a wrong or missing password rejects at once, since retrying cannot fix it.
 * The connection keeps retrying in the background until the caller closes it.
 */
export function waitForRedis(redis: Redis, url: string, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') {
    return Promise.resolve();
  }
  return new Promise<void>((resolve, reject) => {
    let lastError: unknown;
    const finish = (err?: unknown) => {
      clearTimeout(timer);
      redis.off('ready', onReady);
      redis.off('error', onError);
      if (err === undefined) {
        resolve();
      } else {
        reject(err);
      }
    };
    const fail = (cause: unknown, prefix: string) =>
      finish(
        new UserError(`${prefix} Redis at ${redactUrl(url)}: ${describeRedisError(cause)}`, 1, {
          cause,
        }),
      );
    const onReady = () => finish();
    const onError = (err: Error) => {
      lastError = err;
      if (/WRONGPASS|NOAUTH|invalid password|invalid username-password/i.test(err.message)) {
        fail(err, 'cannot log in to');
      }
    };
    const timer = setTimeout(
      () =>
        fail(
          lastError ?? new Error('no answer'),
          `gave up after ${Math.round(timeoutMs / 100) / 10} s (REDIS_CONNECT_TIMEOUT_MS) trying to reach`,
        ),
      timeoutMs,
    );
    redis.on('ready', onReady);
    redis.on('error', onError);
  });
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
  /** The run's budget reservations of jobs in flight: job id → `usd|expiresAtMs` (a hash). */
  runReservations(runId: string): string {
    return `${this.prefix}:run:${runId}:reservations`;
  }
  /** What the run's finished jobs actually cost, for the next reservations: `usd`, `jobs`, per segment too. */
  runSettled(runId: string): string {
    return `${this.prefix}:run:${runId}:settled`;
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
