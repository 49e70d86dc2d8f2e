import type { TestProject } from 'vitest/node';
import { RedisServer } from '../shared/redis-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
  }
}

/**
 * One throwaway redis-server for the whole run (TEST_REDIS_URL forces a given server instead; REDIS_URL is
 * the fallback when redis-server cannot be started). Tests isolate themselves with a key prefix each; fault
 * tests start servers of their own to kill and restart.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const forced = process.env.TEST_REDIS_URL;
  if (forced) {
    project.provide('redisUrl', forced);
    return async () => {};
  }
  try {
    const server = await RedisServer.start();
    project.provide('redisUrl', server.url);
    return () => server.stop();
  } catch (err) {
    const fallback = process.env.REDIS_URL;
    if (!fallback) {
      throw err;
    }
    project.provide('redisUrl', fallback);
    return async () => {};
  }
}
