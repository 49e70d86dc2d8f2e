import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { createRedis } from '../../shared/redis.js';

/** The Redis URL of this test run (see test/global-setup.ts). */
export function testRedisUrl(): string {
  return inject('redisUrl');
}

const prefixes = new Set<string>();

/**
 * A key prefix (and so a queue namespace) unique to the calling test. After the test, `test/setup.ts`
 * fails it if any connection named with this prefix is still open, then deletes its keys.
 */
export function testPrefix(label = 't'): string {
  const prefix = `${label}${randomBytes(5).toString('hex')}`;
  prefixes.add(prefix);
  return prefix;
}

/** Prefixes handed out since the last call; used by the after-each leak check. */
export function takePrefixes(): string[] {
  const list = [...prefixes];
  prefixes.clear();
  return list;
}

/** Names of clients connected to `url` whose connection name contains one of `prefixes`. */
export async function openClients(url: string, names: string[]): Promise<string[]> {
  const admin = createRedis(url, { connectionName: 'test-admin' });
  try {
    const list = (await admin.client('LIST')) as string;
    return list
      .split('\n')
      .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '')
      .filter((name) => names.some((prefix) => name.includes(prefix)));
  } finally {
    await admin.quit();
  }
}
