import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig as loadWorkerConfig, startWorker, type WorkerHandle } from '../worker/index.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';
import { WorkerProcess } from './worker-processes.js';
import { duplicates, WorkerStack } from './worker-stack.js';

const JOBS = 500;

describe('worker processes at scale (node dist/cli.js worker x 3)', () => {
  let stack: WorkerStack | undefined;
  let processes: WorkerProcess[] = [];
  let inProcess: WorkerHandle | undefined;
  afterEach(async () => {
    await inProcess?.close();
    inProcess = undefined;
    await Promise.all(processes.map((p) => p.stop('SIGKILL')));
    processes = [];
    await stack?.close();
    stack = undefined;
  });

  it(
    `completes ${JOBS} jobs at a total concurrency of 50: one cost event per job, feedback per serving config`,
    { timeout: 600_000 },
    async () => {
      const prefix = testPrefix('ws');
      stack = await WorkerStack.start({ redisUrl: testRedisUrl(), prefix });
      const env = stack.workerEnv();
      processes = [17, 17, 16].map((c) => WorkerProcess.spawn(env, c));
      await Promise.all(processes.map((p) => p.ready));
      await stack.createRun('scale', JOBS);
      await stack.enqueue('scale', JOBS);

      const records = await stack.waitForResults('scale', JOBS, 60_000);
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

  it('fails a job whose worker died more often than maxStalledCount allows, and records why', async () => {
    const prefix = testPrefix('ws');
    // Slow answers, so the job is still in its chat when its worker is killed.
    stack = await WorkerStack.start({
      redisUrl: testRedisUrl(),
      prefix,
      sim: { allModels: { latency: { ttftMs: 3000, perTokenMs: 0 } } },
    });
    const env = stack.workerEnv({
      WORKER_LOCK_DURATION_MS: '1000',
      WORKER_STALLED_INTERVAL_MS: '500',
      WORKER_MAX_STALLED_COUNT: '0',
    });
    const doomed = WorkerProcess.spawn(env, 1);
    processes = [doomed];
    await doomed.ready;
    await stack.enqueue('stall', 1);
    await stack.waitForState('stall.0', 'active');
    await doomed.stop('SIGKILL');
    inProcess = await startWorker({ config: loadWorkerConfig(env), concurrency: 1, tty: false });
    const [record] = await stack.waitForResults('stall', 1, 30_000);
    expect(record).toMatchObject({ status: 'failed', error: 'job stalled more than allowable limit' });
    const job = await stack.queue.getJob('stall.0');
    expect(await job?.getState()).toBe('failed');
  });

  it("resumes a SIGKILLed worker's job on another worker after the last step done: the chat is not paid twice", async () => {
    const prefix = testPrefix('ws');
    stack = await WorkerStack.start({ redisUrl: testRedisUrl(), prefix });
    // The first judge call (Haiku on llm-sim) hangs, so the worker surely dies after the chat was checkpointed
    // and before anything was reported; the next worker's judge call is answered.
    stack.sim.scheduleFault({ kind: 'hang', model: 'claude-haiku-4-5', count: 1 });
    const env = stack.workerEnv({ WORKER_LOCK_DURATION_MS: '1500', WORKER_STALLED_INTERVAL_MS: '500' });
    const doomed = WorkerProcess.spawn(env, 1);
    processes = [doomed];
    await doomed.ready;
    await stack.createRun('resume', 1);
    await stack.enqueue('resume', 1);
    // The judge is asked only after the chat was checkpointed: once its (hanging) call is in, kill the worker.
    const judging = () => stack!.sim.requests().some((r) => JSON.stringify(r.body).includes('judge_verdict'));
    await expect.poll(judging, { timeout: 20_000, interval: 20, message: 'the judge was called' }).toBe(true);
    const chatCalls = () =>
      stack!.sim.requests().filter((r) => !JSON.stringify(r.body).includes('judge_verdict')).length;
    const paid = chatCalls();
    await doomed.stop('SIGKILL');

    inProcess = await startWorker({ config: loadWorkerConfig(env), concurrency: 1, tty: false });
    const [record] = await stack.waitForResults('resume', 1, 30_000);
    expect(record?.status).toBe('completed');
    expect(chatCalls()).toBe(paid);
    const run = await stack.runs.get('resume');
    expect(run?.spendUsd).toBeCloseTo((record?.requestCostUsd ?? 0) + (record?.harnessCostUsd ?? 0), 12);
    expect(stack.workerEvents('resume').cost).toHaveLength(1);
    // It was the other worker that finished it: the job stalled once.
    expect((await stack.queue.getJob('resume.0'))?.stalledCounter).toBe(1);
  });

  it('SIGTERM during in-flight jobs lets them finish: every record exists and the process exits 0', async () => {
    const prefix = testPrefix('ws');
    // Slow answers, so the jobs are still in their chats when the signal comes.
    stack = await WorkerStack.start({
      redisUrl: testRedisUrl(),
      prefix,
      sim: { allModels: { latency: { ttftMs: 1500, perTokenMs: 0 } } },
    });
    const worker = WorkerProcess.spawn(stack.workerEnv(), 4);
    processes = [worker];
    await worker.ready;
    await stack.createRun('term', 4);
    await stack.enqueue('term', 4);
    await expect
      .poll(() => stack!.queue.getActiveCount(), {
        timeout: 15_000,
        interval: 20,
        message: 'every job started',
      })
      .toBe(4);
    expect(await stack.runs.resultCount('term')).toBe(0);

    const exit = await worker.stop('SIGTERM');
    expect(exit.code).toBe(0);
    // Finished before the exit, not picked up again later: the records are there now.
    const records = await stack.runs.allResults('term');
    expect(records.map((r) => r.status)).toEqual(['completed', 'completed', 'completed', 'completed']);
    expect(stack.workerEvents('term').cost).toHaveLength(4);
  });
});
