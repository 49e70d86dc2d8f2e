import { afterEach, describe, expect, it } from 'vitest';
import { testPrefix, testRedisUrl } from './helpers/redis.js';
import { WorkerProcess } from './worker-processes.js';
import { duplicates, WorkerStack } from './worker-stack.js';

const JOBS = 500;

describe('worker processes at scale (node dist/cli.js worker x 3)', () => {
  let stack: WorkerStack | undefined;
  let processes: WorkerProcess[] = [];
  afterEach(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    processes = [];
    await stack?.close();
    stack = undefined;
  });

  it(
    `completes ${JOBS} jobs at a total concurrency of 50: one cost event per job, feedback per serving config`,
    { timeout: 120_000 },
    async () => {
      const prefix = testPrefix('ws');
      stack = await WorkerStack.start({ redisUrl: testRedisUrl(), prefix });
      const env = stack.workerEnv();
      processes = [17, 17, 16].map((c) => WorkerProcess.spawn(env, c));
      await Promise.all(processes.map((p) => p.ready));
      await stack.createRun('scale', JOBS);
      await stack.enqueue('scale', JOBS);

      const records = await stack.waitForResults('scale', JOBS, 80_000);
      expect(records.filter((r) => r.status !== 'completed')).toEqual([]);

      const { cost, feedback } = stack.workerEvents('scale');
      // Every result is recorded only after its events were delivered, so they are all here already.
      expect(cost).toHaveLength(JOBS);
      expect(duplicates(cost)).toEqual([]);
      expect(new Set(cost.map((e) => e.data?.jobId))).toEqual(new Set(records.map((r) => r.jobId)));
      const judged = records.filter((r) => r.feedback === 'positive' || r.feedback === 'negative');
      expect(judged.length).toBeGreaterThan(JOBS / 4);
      expect(feedback).toHaveLength(judged.reduce((sum, r) => sum + r.served.length, 0));
      expect(duplicates(feedback)).toEqual([]);
      for (const record of judged) {
        const events = feedback.filter((e) => e.data?.jobId === record.jobId);
        expect(events.every((e) => e.key === `$ld:ai:feedback:user:${record.feedback}`)).toBe(true);
        expect(events.map((e) => e.data?.configKey).sort()).toEqual(
          record.served.map((s) => s.configKey).sort(),
        );
      }

      // SIGTERM: each process finishes, flushes and exits cleanly.
      const exits = await Promise.all(processes.map((p) => p.stop('SIGTERM')));
      expect(exits.map((e) => e.code)).toEqual([0, 0, 0]);
    },
  );
});
