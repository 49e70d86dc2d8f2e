import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Queue } from 'bullmq';
import { afterEach, describe, expect, it } from 'vitest';
import { QUERY_JOB_NAME, QUERY_QUEUE, QueryJobSchema, queryJobId } from '../shared/query-job.js';
import { packageRoot } from '../shared/paths.js';
import { bullConnection } from '../shared/redis.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';

const MARKER = '<!-- query-job-script-example';

/** The fenced code block right after the marker comment in README.md. */
async function readmeExample(): Promise<string> {
  const readme = await readFile(join(packageRoot, 'README.md'), 'utf8');
  const at = readme.indexOf(MARKER);
  expect(at, 'README.md has the script example marker').toBeGreaterThan(-1);
  const block = /```(?:js|javascript|ts)\n([\s\S]*?)```/.exec(readme.slice(at));
  expect(block?.[1]).toBeDefined();
  return block?.[1] as string;
}

describe("README's script example", () => {
  let queue: Queue | undefined;
  afterEach(async () => queue?.close());

  it('enqueues jobs that are valid query jobs with the documented ids, and re-running adds nothing', async () => {
    const code = await readmeExample();
    const prefix = testPrefix('readme');
    const env = { ...process.env, REDIS_URL: testRedisUrl(), REDIS_PREFIX: prefix };
    // Run as its own ES module from the repo root, so `bullmq` resolves as it would for a user's script.
    const run = () =>
      promisify(execFile)(process.execPath, ['--input-type=module', '-e', code], { cwd: packageRoot, env });
    await run();

    queue = new Queue(QUERY_QUEUE, { connection: bullConnection(testRedisUrl(), `${prefix}:check`), prefix });
    const jobs = await queue.getJobs(['waiting']);
    expect(jobs.length).toBeGreaterThan(0);
    for (const job of jobs) {
      expect(job.name).toBe(QUERY_JOB_NAME);
      const parsed = QueryJobSchema.safeParse(job.data);
      expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      expect(job.id).toBe(queryJobId(job.data.runId, job.data.seq));
      expect(job.opts.attempts).toBe(5);
    }
    expect(jobs.some((j) => j.data.piiInjected === true)).toBe(true);

    await run();
    expect(await queue.getWaitingCount()).toBe(jobs.length);
  });
});
