import { afterEach, describe, expect, it } from 'vitest';
import type { LdEvent } from './helpers/events-endpoint.js';
import { RedisServer } from '../shared/redis-server.js';
import { testPrefix } from './helpers/redis.js';
import { resentKey } from '../worker/index.js';
import { WorkerProcess } from './worker-processes.js';
import { WorkerStack } from './worker-stack.js';

const JOBS = 1000;
/** A worker process is SIGKILLed (and a new one started) each time this many more results are in. */
const KILL_EVERY = 70;
/** Redis is killed and restarted once, when this many results are in. */
const REDIS_RESTART_AT = 400;

/**
 * Exactly once over a non-idempotent events API cannot survive every SIGKILL: a worker killed after
 * LaunchDarkly accepted a flush but before the checkpoint write (a window of milliseconds per flush) leaves
 * its jobs "in doubt". The next attempt sends them again and lists them in the run's `ld-resent` set. So
 * this test asserts: no job, no result and no event is ever missing; no event is ever duplicated for a job
 * outside that set; and the set stays small. It prints how many duplicates actually happened.
 */
describe('worker chaos: SIGKILLed workers and a Redis restart', () => {
  let redis: RedisServer | undefined;
  let stack: WorkerStack | undefined;
  let processes: WorkerProcess[] = [];
  afterEach(async () => {
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    processes = [];
    await stack?.close();
    stack = undefined;
    await redis?.stop();
    redis = undefined;
  });

  it(
    `completes ${JOBS} jobs; no event missing, none twice outside the jobs listed as re-sent`,
    { timeout: 150_000 },
    async () => {
      // Append-only persistence, as the compose file runs Redis: a restart keeps queues, checkpoints, results.
      redis = await RedisServer.start({ appendOnly: true });
      const prefix = testPrefix('wc');
      stack = await WorkerStack.start({ redisUrl: redis.url, prefix });
      // Short stall settings so killed workers' jobs come back within seconds (README: WORKER_LOCK_DURATION_MS).
      const env = stack.workerEnv({
        WORKER_LOCK_DURATION_MS: '8000',
        WORKER_STALLED_INTERVAL_MS: '2000',
        WORKER_MAX_STALLED_COUNT: '100',
        // The default flush interval: how often each process is inside the send-then-checkpoint window.
        WORKER_LD_FLUSH_MS: '20',
      });
      processes = [17, 17, 16].map((c) => WorkerProcess.spawn(env, c));
      await Promise.all(processes.map((p) => p.ready));
      await stack.createRun('chaos', JOBS);
      await stack.enqueue('chaos', JOBS);

      let kills = 0;
      let restarted = false;
      let next = KILL_EVERY;
      for (;;) {
        const done = await stack.runs.resultCount('chaos');
        if (done >= JOBS) {
          break;
        }
        if (!restarted && done >= REDIS_RESTART_AT) {
          await redis.restart();
          restarted = true;
        }
        if (done >= next) {
          const victim = kills % processes.length;
          await processes[victim]?.stop('SIGKILL');
          processes[victim] = WorkerProcess.spawn(env, victim === 2 ? 16 : 17);
          kills++;
          next = done + KILL_EVERY;
        }
        // Progress is polled (a condition, not a timing assumption); the loop ends when every job has a result.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(restarted).toBe(true);
      expect(kills).toBeGreaterThanOrEqual(10);

      const records = await stack.runs.allResults('chaos');
      expect(records).toHaveLength(JOBS);
      expect(records.filter((r) => r.status !== 'completed').map((r) => `${r.jobId}: ${r.error}`)).toEqual(
        [],
      );

      // Reconcile by job id: every job's events are there, and none twice, except for jobs the worker listed
      // as re-sent (a worker died between LaunchDarkly accepting a flush and checkpointing it).
      const resends = await stack.redis.hgetall(resentKey(stack.keys, 'chaos'));
      const resent = new Set(Object.keys(resends));
      const { cost, feedback } = stack.workerEvents('chaos');
      const byJob = (events: LdEvent[]) => {
        const map = new Map<string, LdEvent[]>();
        for (const e of events) {
          const id = String(e.data?.jobId);
          map.set(id, [...(map.get(id) ?? []), e]);
        }
        return map;
      };
      const costByJob = byJob(cost);
      const feedbackByJob = byJob(feedback);
      const missing: string[] = [];
      const duplicated: string[] = [];
      for (const record of records) {
        // A job may reach the endpoint once, plus once per re-send the worker counted for it.
        const allowed = 1 + Number(resends[record.jobId] ?? 0);
        const copies = Array.from({ length: allowed }, (_, i) => i + 1);
        const costs = costByJob.get(record.jobId) ?? [];
        if (costs.length === 0) {
          missing.push(`${record.jobId} cost`);
        } else if (!copies.includes(costs.length)) {
          duplicated.push(`${record.jobId} cost x${costs.length}`);
        }
        expect(costs.every((e) => e.metricValue === record.requestCostUsd)).toBe(true);
        const expected =
          record.feedback === 'positive' || record.feedback === 'negative' ? record.served.length : 0;
        const got = (feedbackByJob.get(record.jobId) ?? []).length;
        if (got < expected) {
          missing.push(`${record.jobId} feedback ${got}/${expected}`);
        } else if (!copies.some((n) => got === n * expected)) {
          duplicated.push(`${record.jobId} feedback ${got}/${expected}`);
        }
      }
      expect(missing).toEqual([]);
      expect(duplicated).toEqual([]);
      // Re-sends are the exception: only the jobs of a flush under way when its worker was killed (at most
      // one batch, i.e. one process's concurrency, per kill).
      expect(resent.size).toBeLessThanOrEqual(kills * 17);
      const twice = [...resent].filter((id) => (costByJob.get(id) ?? []).length > 1);
      console.log(
        `chaos: ${JOBS} jobs, ${kills} SIGKILLs, 1 Redis restart; ${resent.size} job(s) re-sent after an ` +
          `unconfirmed flush, of which ${twice.length} reached the events endpoint twice`,
      );

      const exits = await Promise.all(processes.map((p) => p.stop('SIGTERM')));
      expect(exits.map((e) => e.code)).toEqual([0, 0, 0]);
    },
  );
});
