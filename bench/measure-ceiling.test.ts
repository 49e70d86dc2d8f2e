import { describe, expect, it } from 'vitest';
import { testPrefix, testRedisUrl } from '../test/helpers/redis.js';
import { measureCeiling } from './measure-ceiling.js';

describe('measureCeiling', () => {
  it('measures no-op jobs per second, best of the rounds', async () => {
    const result = await measureCeiling(testRedisUrl(), { jobs: 200, rounds: 2, prefix: testPrefix('ceil') });
    expect(result.jobsPerSecond).toBeGreaterThan(0);
    expect(result.line).toMatchObject({ id: 1, unit: 'jobs/s', value: result.jobsPerSecond });
    expect(result.line.name).toMatch(/200 no-op jobs \(best of 2\)$/);
  });

  it('fails on a failed job instead of waiting for completions that never come', async () => {
    const failing = measureCeiling(testRedisUrl(), {
      jobs: 20,
      rounds: 1,
      prefix: testPrefix('ceil'),
      processor: () => Promise.reject(new Error('boom')),
    });
    await expect(failing).rejects.toThrow(/^ceiling job ceiling\.\d+ failed: boom$/);
  });

  it('fails after its timeout, saying how far it got', async () => {
    let release: () => void = () => {};
    const stuck = new Promise<void>((resolve) => (release = resolve));
    const slow = measureCeiling(testRedisUrl(), {
      jobs: 20,
      rounds: 1,
      concurrency: 5,
      timeoutMs: 300,
      prefix: testPrefix('ceil'),
      processor: () => stuck,
    });
    await expect(slow).rejects.toThrow('ceiling: 0 of 20 jobs done after 0.3 s');
    release();
  });
});
