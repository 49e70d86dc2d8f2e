import { afterEach, expect } from 'vitest';
import { createRedis } from '../shared/redis.js';
import { openClients, takePrefixes, testRedisUrl } from './helpers/redis.js';

/**
 * Fails a test that leaves a BullMQ worker, queue or Redis connection open, then deletes the test's keys.
 * Connections are recognised by name: BullMQ names its clients after the queue prefix, and code here names
 * its own connections with the prefix too.
 */
afterEach(async () => {
  const prefixes = takePrefixes();
  if (prefixes.length === 0) {
    return;
  }
  const url = testRedisUrl();
  // A closed socket can take a moment to leave the server's client list: poll for it, bounded.
  let leaked = await openClients(url, prefixes);
  for (let tries = 0; leaked.length > 0 && tries < 40; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    leaked = await openClients(url, prefixes);
  }
  const admin = createRedis(url, { connectionName: 'test-admin' });
  try {
    for (const prefix of prefixes) {
      let cursor = '0';
      do {
        const [next, keys] = await admin.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) {
          await admin.unlink(...keys);
        }
      } while (cursor !== '0');
    }
  } finally {
    await admin.quit();
  }
  expect(leaked, 'Redis connections left open by this test (close every Worker, Queue and client)').toEqual(
    [],
  );
});
