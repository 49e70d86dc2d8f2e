import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { QUERY_JOB_NAME } from '../shared/query-job.js';
import { CheckpointStore } from '../worker/checkpoint-store.js';
import { loadConfig as loadWorkerConfig, startWorker, type WorkerHandle } from '../worker/index.js';
import { resentKey } from '../worker/query-processor.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';
import { duplicates, WorkerStack } from './worker-stack.js';

describe('worker: chat, judge, report, record (llm-sim, agent service, LaunchDarkly SDK, Redis)', () => {
  let stack: WorkerStack | undefined;
  const workers: WorkerHandle[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      await w.close();
    }
    await stack?.close();
    stack = undefined;
  });

  it('completes every job once: a result record each, one cost event each, feedback per serving config', async () => {
    const prefix = testPrefix('wk');
    stack = await WorkerStack.start({ redisUrl: testRedisUrl(), prefix });
    const lines: string[] = [];
    const output = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        done();
      },
    });
    workers.push(
      await startWorker({ config: loadWorkerConfig(stack.workerEnv()), concurrency: 10, tty: true, output }),
    );
    await stack.createRun('r1', 40);
    await stack.enqueue('r1', 40);

    const records = await stack.waitForResults('r1', 40);
    expect(records.every((r) => r.status === 'completed')).toBe(true);
    const ids = new Set(records.map((r) => r.jobId));
    expect(ids.size).toBe(40);

    const expectedFeedback = records
      .filter((r) => r.feedback === 'positive' || r.feedback === 'negative')
      .reduce((sum, r) => sum + r.served.length, 0);
    await stack.events.waitFor(() => {
      const { cost, feedback } = stack!.workerEvents('r1');
      return cost.length >= 40 && feedback.length >= expectedFeedback;
    });
    const { cost, feedback } = stack.workerEvents('r1');
    expect(cost).toHaveLength(40);
    expect(duplicates(cost)).toEqual([]);
    expect(feedback).toHaveLength(expectedFeedback);
    expect(duplicates(feedback)).toEqual([]);

    for (const record of records) {
      const event = cost.find((e) => e.data?.jobId === record.jobId);
      expect(event?.metricValue).toBeCloseTo(record.requestCostUsd ?? -1, 12);
      expect(event?.context).toMatchObject({ kind: 'user', key: record.userKey });
      const fb = feedback.filter((e) => e.data?.jobId === record.jobId);
      if (record.feedback === 'positive' || record.feedback === 'negative') {
        expect(fb.map((e) => e.key)).toEqual(
          record.served.map(() => `$ld:ai:feedback:user:${record.feedback}`),
        );
        expect(fb.map((e) => e.data?.configKey).sort()).toEqual(record.served.map((s) => s.configKey).sort());
        expect(fb.every((e) => e.data?.variationKey === record.variations[String(e.data?.configKey)])).toBe(
          true,
        );
      } else {
        expect(fb).toEqual([]);
      }
      expect(record.harnessCostUsd).toBeGreaterThan(0);
      expect(record.attempts).toBe(1);
      expect(record.feedbackReason).toBeTruthy();
    }
    const verdicts = new Set(records.map((r) => r.feedback));
    expect(verdicts.has('judge_error')).toBe(false);
    expect(verdicts.size).toBeGreaterThan(1);

    // A job's line is printed after its record is written.
    await vi.waitFor(() => expect(lines).toHaveLength(40), { timeout: 30_000, interval: 50 });
    expect(lines[0]).toMatch(/^✅ \[\d+\/40\] \d+\.\ds \S+: .+/);
    const run = await stack.runs.get('r1');
    const spent = records.reduce((s, r) => s + (r.requestCostUsd ?? 0) + r.harnessCostUsd, 0);
    expect(run?.spendUsd).toBeCloseTo(spent, 9);
  });

  it('an attempt that lost its lock and ends after the record neither adds to spend nor reports again', async () => {
    const prefix = testPrefix('wk');
    stack = await WorkerStack.start({ redisUrl: testRedisUrl(), prefix });
    workers.push(
      await startWorker({ config: loadWorkerConfig(stack.workerEnv()), concurrency: 1, tty: false }),
    );
    await stack.createRun('late', 1);
    await stack.enqueue('late', 1);
    const [record] = await stack.waitForResults('late', 1);
    expect(record?.status).toBe('completed');
    const spent = (await stack.runs.get('late'))?.spendUsd;
    // Kept after the record, for a day instead of a week.
    await stack.waitForState('late.0', 'completed');
    const ttl = await stack.redis.pttl(stack.keys.key('checkpoint', 'late.0'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(24 * 3600 * 1000);

    // What the second attempt does when its chat returns after the first attempt recorded the result.
    const checkpoints = new CheckpointStore(stack.redis, stack.keys);
    const chat = (await checkpoints.begin('late.0')).chat;
    expect(chat).toBeDefined();
    await checkpoints.saveChat('late.0', 'late', chat!, 0.25);
    expect((await stack.runs.get('late'))?.spendUsd).toBeCloseTo(spent ?? -1, 12);
    const claims = await checkpoints.claimReporting(
      [{ jobId: 'late.0', resentKey: resentKey(stack.keys, 'late') }],
      'flush-of-the-late-attempt',
    );
    expect(claims).toEqual(['done']);
  });

  it('a job whose result is recorded completes even when its summary cannot be printed', async () => {
    const prefix = testPrefix('wk');
    stack = await WorkerStack.start({ redisUrl: testRedisUrl(), prefix });
    const broken = {
      write: () => {
        throw new Error('output broken');
      },
    } as unknown as NodeJS.WritableStream;
    workers.push(
      await startWorker({
        config: loadWorkerConfig(stack.workerEnv()),
        concurrency: 1,
        tty: true,
        output: broken,
      }),
    );
    await stack.createRun('quiet', 1);
    await stack.enqueue('quiet', 1, { attempts: 1 });
    const job = await stack.waitForState('quiet.0', 'completed');
    expect(job.attemptsMade).toBe(1);
    expect((await stack.runs.allResults('quiet')).map((r) => r.status)).toEqual(['completed']);
  });

  it('serves /metrics on a free port when its port is taken (two workers on one host)', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as { port: number }).port;
    try {
      const env = {
        REDIS_URL: testRedisUrl(),
        REDIS_PREFIX: testPrefix('wk'),
        LLM_SIM_URL: 'http://127.0.0.1:9',
        LOG_LEVEL: 'silent',
        WORKER_METRICS_HOST: '127.0.0.1',
      };
      const worker = await startWorker({ config: loadWorkerConfig(env), metricsPort: port, tty: false });
      workers.push(worker);
      expect(worker.metricsPort).toBeDefined();
      expect(worker.metricsPort).not.toBe(port);
      const res = await fetch(`http://127.0.0.1:${worker.metricsPort}/metrics`);
      expect(res.status).toBe(200);
      expect(await res.text()).toContain('loadgen_worker_jobs_total');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });

  it('fails a malformed job once, naming the field, without retrying it, and records it so its run finishes', async () => {
    const prefix = testPrefix('wk');
    stack = await WorkerStack.start({ redisUrl: testRedisUrl(), prefix });
    workers.push(
      await startWorker({ config: loadWorkerConfig(stack.workerEnv()), concurrency: 2, tty: false }),
    );
    await stack.createRun('r2', 5);
    const bad = [
      { runId: 'r2', seq: 0, query: 'What is TD learning?', user: { key: '' } },
      { runId: 'r2', seq: 1, query: '   ', user: { key: 'u1' } },
      { runId: 'r2', seq: 2, query: 'What is TD learning?', user: { key: 'u1', country: 'Germany' } },
      // An unknown top-level field, 5 MB of it: refused, not carried along.
      { runId: 'r2', seq: 3, query: 'What is TD learning?', user: { key: 'u1' }, blob: 'x'.repeat(5 << 20) },
      { runId: 'bad id!', seq: 4, query: 'What is TD learning?', user: { key: 'u1' } },
    ];
    const expected = ['user.key', 'query', 'user.country', 'blob', 'runId'];
    const jobs = await stack.queue.addBulk(
      bad.map((data, i) => ({ name: QUERY_JOB_NAME, data, opts: { jobId: `r2.${i}`, attempts: 5 } })),
    );
    for (const [i, job] of jobs.entries()) {
      const failed = await stack.waitForState(job.id as string, 'failed');
      expect(failed.failedReason).toContain(`${expected[i]}:`);
      expect(failed.attemptsMade).toBe(1);
    }
    // Nothing was asked of any model for them (the agent service may embed its knowledge base at start).
    expect(stack.sim.requests().filter((r) => !r.path.includes('embeddings'))).toEqual([]);
    // Every job has a failed record naming its problem (the last under the run its job id names), and the run
    // is done.
    const records = await stack.runs.allResults('r2');
    expect(records.map((r) => [r.seq, r.status, r.error?.split(': ')[1]]).sort()).toEqual(
      expected.map((field, seq) => [seq, 'failed', field]),
    );
    expect((await stack.runs.get('r2'))?.status).toBe('done');
  });
});
