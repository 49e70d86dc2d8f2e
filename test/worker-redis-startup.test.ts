import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../shared/errors.js';
import { createLogger } from '../shared/logger.js';
import { freePort } from '../shared/net.js';
import { RedisServer } from '../shared/redis-server.js';
import { loadConfig as loadWorkerConfig, startWorker } from '../worker/index.js';
import { testPrefix } from './helpers/redis.js';

const silent = createLogger({ level: 'silent' });

function env(redisUrl: string, extra: Record<string, string> = {}) {
  return {
    REDIS_URL: redisUrl,
    REDIS_PREFIX: testPrefix('wr'),
    WORKER_METRICS_PORT: 'off',
    LLM_SIM_URL: 'http://127.0.0.1:1',
    ...extra,
  };
}

async function startFailure(vars: Record<string, string>): Promise<Error> {
  const err = await startWorker({ config: loadWorkerConfig(vars), logger: silent }).then(
    () => new Error('the worker started'),
    (e: unknown) => e as Error,
  );
  expect(err).toBeInstanceOf(UserError);
  return err;
}

describe('worker start-up without a usable Redis', () => {
  let server: RedisServer;
  beforeAll(async () => {
    server = await RedisServer.start({ password: 'right-horse-battery' });
  });
  afterAll(() => server.stop());

  it('gives up after REDIS_CONNECT_TIMEOUT_MS, naming the redacted URL and the cause', async () => {
    const port = await freePort();
    const err = await startFailure(
      env(`redis://:not-shown-pw@127.0.0.1:${port}`, { REDIS_CONNECT_TIMEOUT_MS: '300' }),
    );
    expect(err.message).toContain(`redis://:***@127.0.0.1:${port}`);
    expect(err.message).toMatch(/REDIS_CONNECT_TIMEOUT_MS/);
    expect(err.message).toMatch(/ECONNREFUSED/);
    expect(err.message).not.toContain('not-shown-pw');
  });

  it('says a wrong password is wrong, without retrying until the timeout', async () => {
    const err = await startFailure(
      env(`redis://:wrong-pw@127.0.0.1:${server.port}`, { REDIS_CONNECT_TIMEOUT_MS: '600000' }),
    );
    expect(err.message).toMatch(/wrong password or user/);
    expect(err.message).toMatch(/WRONGPASS/);
    expect(err.message).toContain(`redis://:***@127.0.0.1:${server.port}`);
    expect(err.message).not.toContain('wrong-pw');
  });

  it('says a missing password is needed', async () => {
    const err = await startFailure(env(server.url, { REDIS_CONNECT_TIMEOUT_MS: '600000' }));
    expect(err.message).toMatch(/requires a password/);
  });

  it('starts with the right password', async () => {
    const handle = await startWorker({
      config: loadWorkerConfig(env(`redis://:right-horse-battery@127.0.0.1:${server.port}`)),
      logger: silent,
    });
    await handle.close();
  });
});
