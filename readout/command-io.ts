import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import type { Writable } from 'node:stream';
import type { Env } from '../shared/config.js';
import { checkRedis, createRedis, RedisKeys } from '../shared/redis.js';
import { RunStore, type RunState } from '../shared/runs.js';
import { loadConfig, type ReadoutConfig } from './config.js';
import { ReadoutError } from './readout-error.js';

// What `report`, `export` and `plan` share: where they write, and how they open a run. Their errors are thrown
// (a ReadoutError is exit 1, a ConfigError exit 2) and printed in one line by the CLI.

/** Where the commands write and what they read; tests pass their own. */
export interface ReadoutIo {
  stdout: Writable;
  stderr: Writable;
  env: Env;
  setExitCode(code: number): void;
}

/** Collects a repeatable option's values. */
export const collect = (value: string, previous: string[]) => [...previous, value];

/** A file the user named cannot be written: one line naming it (exit 1), not a stack trace. */
export function cannotWrite(path: string, err: unknown): ReadoutError {
  const e = err as NodeJS.ErrnoException;
  const reason =
    e.code === 'ENOENT'
      ? 'no such directory'
      : e.code === 'EACCES'
        ? 'permission denied'
        : e.code === 'EISDIR'
          ? 'is a directory'
          : e.message;
  return new ReadoutError(`cannot write ${path}: ${reason}`, { cause: err });
}

/** Opens `path` for writing, failing as a ReadoutError before anything is read when it cannot be. */
export async function openOutput(path: string): Promise<WriteStream> {
  const out = createWriteStream(path);
  try {
    await once(out, 'open');
  } catch (err) {
    throw cannotWrite(path, err);
  }
  return out;
}

export async function write(stream: Writable, text: string): Promise<void> {
  if (!stream.write(text)) {
    if (stream.destroyed) {
      // A failed stream never drains.
      throw stream.errored ?? new Error('the output was closed');
    }
    await once(stream, 'drain');
  }
}

/** Opens the run store for one command and always closes its connection. */
export async function withRunStore<T>(
  env: Env,
  fn: (store: RunStore, config: ReadoutConfig) => Promise<T>,
): Promise<T> {
  const config = loadConfig(env);
  await checkRedis(config.redisUrl).catch((err: Error) => {
    throw new ReadoutError(err.message, { cause: err });
  });
  const redis = createRedis(config.redisUrl, {
    connectionName: `${config.redisPrefix}:readout`,
    maxRetriesPerRequest: 1,
  });
  try {
    return await fn(new RunStore(redis, new RedisKeys(config.redisPrefix)), config);
  } finally {
    await redis.quit().catch(() => redis.disconnect());
  }
}

export async function getRun(store: RunStore, runId: string, config: ReadoutConfig): Promise<RunState> {
  const run = await store.get(runId);
  if (!run) {
    throw new ReadoutError(
      `run "${runId}" not found (REDIS_PREFIX=${config.redisPrefix}); see the runs on the dashboard`,
    );
  }
  return run;
}
