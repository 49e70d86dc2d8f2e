import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFlagFile } from '../shared/flag-file.js';
import { loadManifest } from '../shared/manifest.js';
import {
  BUDGET_EXHAUSTED,
  loadConfig as loadWorkerConfig,
  startWorker,
  type WorkerHandle,
} from '../worker/index.js';
import { completion, COMPLETION_USD, startOpenAiStub, type OpenAiStub } from './helpers/openai-stub.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';
import { WorkerStack } from './worker-stack.js';

/** A flag file of the manifest with these AI Configs switched off (they serve the disabled variation). */
function flagsWithOff(off: string[]): string {
  const file = join(mkdtempSync(join(tmpdir(), 'wf-flags-')), 'flags.json');
  writeFlagFile(loadManifest(), file, { off });
  return file;
}

/** A counter's value from a Prometheus text exposition, 0 when absent. */
/** The sum of the samples of `name` whose labels include `labels` (e.g. `outcome="retried"`), over every run. */
function metric(text: string, name: string, labels: string): number {
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) && l.slice(0, l.indexOf('}')).split(/[{,]/).includes(labels))
    .reduce((sum, l) => sum + Number(l.split(' ').at(-1)), 0);
}

describe('worker under faults, rate limits and a budget (llm-sim, agent service, LaunchDarkly SDK, Redis)', () => {
  let stack: WorkerStack | undefined;
  let judgeStub: OpenAiStub | undefined;
  const workers: WorkerHandle[] = [];
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      await w.close();
    }
    await judgeStub?.close();
    judgeStub = undefined;
    await stack?.close();
    stack = undefined;
  });

  it('a 429 pauses the queue for Retry-After and uses no attempt', async () => {
    stack = await WorkerStack.start({ redisUrl: testRedisUrl(), prefix: testPrefix('wf') });
    workers.push(
      await startWorker({ config: loadWorkerConfig(stack.workerEnv()), concurrency: 1, tty: false }),
    );
    stack.sim.scheduleFault({ kind: '429', count: 2 });
    await stack.enqueue('rl', 1);
    const [record] = await stack.waitForResults('rl', 1, 30_000);
    expect(record?.status).toBe('completed');
    expect(record?.attempts).toBe(1);
    // The record is written before BullMQ marks the job completed (its budget release comes in between).
    const job = await stack.waitForState('rl.0', 'completed');
    // Started three times (two 429s, then success) but only the successful run counts as an attempt.
    expect(job?.attemptsStarted).toBe(3);
    expect(job?.attemptsMade).toBe(1);
    expect(stack.sim.stats().faults['429']).toBe(2);
  });

  it('with 10% llm-sim faults (429, 500, hang) every job ends: completed, or failed with its reason', async () => {
    stack = await WorkerStack.start({
      redisUrl: testRedisUrl(),
      prefix: testPrefix('wf'),
      sim: { allModels: { faults: { '429': 0.04, '500': 0.03, hang: 0.03, retryAfterSeconds: 1 } } },
      // A hung model call becomes a 504 from the agent service after this deadline.
      agentEnv: { AGENT_REQUEST_DEADLINE_MS: '2000' },
    });
    const handle = await startWorker({
      config: loadWorkerConfig(stack.workerEnv({ JUDGE_TIMEOUT_SECONDS: '2' })),
      concurrency: 20,
      tty: false,
      metricsPort: 0,
    });
    workers.push(handle);
    const jobs = 120;
    await stack.createRun('faults', jobs);
    await stack.enqueue('faults', jobs, {
      attempts: 4,
      backoff: { type: 'exponential', delay: 200, jitter: 0.5 },
    });

    const records = await stack.waitForResults('faults', jobs, 90_000);
    expect(records).toHaveLength(jobs);
    const stats = stack.sim.stats();
    expect(stats.faults['429']).toBeGreaterThan(0);
    expect(stats.faults['500']).toBeGreaterThan(0);
    expect(stats.faults.hang).toBeGreaterThan(0);

    const completed = records.filter((r) => r.status === 'completed');
    expect(completed.length).toBeGreaterThan(jobs * 0.8);
    for (const record of records) {
      const job = await stack.queue.getJob(record.jobId);
      const state = await job?.getState();
      if (record.status === 'completed') {
        expect(state).toBe('completed');
        expect(record.feedback).not.toBeNull();
      } else {
        // Out of attempts (or a 4xx): failed, with the reason in the record and in BullMQ.
        expect(state).toBe('failed');
        expect(record.error).toMatch(/agent service|judge|LaunchDarkly/);
        expect(job?.failedReason).toBe(record.error);
      }
    }
    // Retries happened, 429s paused the queue, and events match the records exactly.
    const text = await (await fetch(`http://127.0.0.1:${handle.metricsPort}/metrics`)).text();
    expect(metric(text, 'loadgen_worker_jobs_total', 'outcome="retried"')).toBeGreaterThan(0);
    expect(metric(text, 'loadgen_worker_jobs_total', 'outcome="rate_limited"')).toBeGreaterThan(0);
    expect(metric(text, 'loadgen_worker_jobs_total', 'outcome="completed"')).toBe(completed.length);
    const { cost } = stack.workerEvents('faults');
    expect(new Set(cost.map((e) => e.data?.jobId)).size).toBe(cost.length);
    expect(cost.length).toBe(completed.length);
  });

  it('stops a run at its $0.50 budget: the rest fail "budget exhausted" at once', async () => {
    stack = await WorkerStack.start({ redisUrl: testRedisUrl(), prefix: testPrefix('wf') });
    const concurrency = 10;
    workers.push(await startWorker({ config: loadWorkerConfig(stack.workerEnv()), concurrency, tty: false }));
    const jobs = 400;
    await stack.createRun('budget', jobs, 0.5);
    await stack.enqueue('budget', jobs);

    const records = await stack.waitForResults('budget', jobs, 90_000);
    const run = await stack.runs.get('budget');
    expect(run?.status).toBe('stopped');
    expect(run?.stopReason).toBe(BUDGET_EXHAUSTED);
    const completed = records.filter((r) => r.status === 'completed');
    const refused = records.filter((r) => r.status === 'failed');
    expect(completed.length).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((r) => r.error === BUDGET_EXHAUSTED && r.requestCostUsd === 0)).toBe(true);

    const jobCost = completed.map((r) => (r.requestCostUsd ?? 0) + r.harnessCostUsd);
    const spent = jobCost.reduce((a, b) => a + b, 0);
    expect(run?.spendUsd).toBeCloseTo(spent, 9);
    // Jobs reserve their expected cost first: the run stops when the next job would not fit, so it ends near
    // the budget, on either side by the estimate errors of the jobs in flight (worker-budget.test.ts bounds it).
    expect(spent).toBeLessThanOrEqual(0.5 + concurrency * Math.max(...jobCost));
    expect(spent).toBeGreaterThanOrEqual(0.5 - concurrency * Math.max(...jobCost));
    const failedJob = await stack.queue.getJob(refused[0]?.jobId ?? '');
    expect(failedJob?.attemptsMade).toBe(1);
    expect(failedJob?.failedReason).toBe(BUDGET_EXHAUSTED);
  });

  it('sends feedback only for the AI Configs that served: none for a disabled one, as the agent service tracked', async () => {
    stack = await WorkerStack.start({
      redisUrl: testRedisUrl(),
      prefix: testPrefix('wf'),
      agentEnv: { LD_FLAGS_FILE: flagsWithOff(['supervisor-agent']) },
    });
    workers.push(
      await startWorker({ config: loadWorkerConfig(stack.workerEnv()), concurrency: 5, tty: false }),
    );
    const jobs = 12;
    await stack.createRun('off', jobs);
    await stack.enqueue('off', jobs);
    const records = await stack.waitForResults('off', jobs, 30_000);
    expect(records.filter((r) => r.status !== 'completed')).toEqual([]);
    const judged = records.filter((r) => r.feedback === 'positive' || r.feedback === 'negative');
    expect(judged.length).toBeGreaterThan(0);

    // Each job has its own user: what the agent service tracked for that user is what served the request.
    const tracked = (userKey: string) =>
      new Set(
        stack!.events
          .custom()
          .filter((e) => /^\$ld:ai:generation:(success|error)$/.test(e.key ?? ''))
          .filter((e) => e.context?.key === userKey)
          .map((e) => String(e.data?.configKey)),
      );
    await stack.events.waitFor(() => judged.every((r) => tracked(r.userKey).size > 0));
    const { feedback } = stack.workerEvents('off');
    for (const record of judged) {
      const sent = feedback
        .filter((e) => e.data?.jobId === record.jobId)
        .map((e) => String(e.data?.configKey));
      expect(sent.sort()).toEqual([...tracked(record.userKey)].sort());
      expect(sent).not.toContain('supervisor-agent');
    }
  });

  it('fails a job at once when the agent service answers agent_disabled: no retry pays the supervisor again', async () => {
    stack = await WorkerStack.start({
      redisUrl: testRedisUrl(),
      prefix: testPrefix('wf'),
      agentEnv: { LD_FLAGS_FILE: flagsWithOff(['support-agent']) },
    });
    workers.push(
      await startWorker({ config: loadWorkerConfig(stack.workerEnv()), concurrency: 1, tty: false }),
    );
    await stack.createRun('disabled', 1);
    await stack.enqueue('disabled', 1, { attempts: 5, backoff: { type: 'fixed', delay: 10 } });
    const [record] = await stack.waitForResults('disabled', 1, 30_000);
    expect(record?.status).toBe('failed');
    expect(record?.error).toMatch(/HTTP 503 \(agent_disabled: AI Config support-agent is disabled/);
    const job = await stack.waitForState('disabled.0', 'failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toBe(record?.error);
    // One chat, so one supervisor call (embeddings aside).
    expect(stack.sim.requests().filter((r) => !r.path.includes('embeddings'))).toHaveLength(1);
  });

  it('adds to spend what a failed judge attempt had paid for before it failed', async () => {
    // Judge call 1 breaks the schema (asked again), call 2 is a 500 (the attempt fails), call 3 answers.
    judgeStub = await startOpenAiStub((n, res) => {
      if (n === 2) {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"boom"}}');
        return;
      }
      const content = n === 1 ? '{"verdict":"great"}' : '{"verdict":"positive","reason":"clear"}';
      res.writeHead(200, { 'content-type': 'application/json' }).end(completion(content));
    });
    stack = await WorkerStack.start({ redisUrl: testRedisUrl(), prefix: testPrefix('wf') });
    const env = stack.workerEnv({ LLM_SIM_URL: judgeStub.url, JUDGE_MODEL: 'gpt-4o-mini' });
    workers.push(await startWorker({ config: loadWorkerConfig(env), concurrency: 1, tty: false }));
    await stack.createRun('judgecost', 1);
    await stack.enqueue('judgecost', 1, { attempts: 3, backoff: { type: 'fixed', delay: 10 } });
    const [record] = await stack.waitForResults('judgecost', 1, 30_000);
    expect(record).toMatchObject({ status: 'completed', attempts: 2, feedback: 'positive' });
    expect(record?.harnessCostUsd).toBeCloseTo(COMPLETION_USD, 12);
    // Two priced judge calls: the verdict's, and the one the failed attempt made before its 500.
    const run = await stack.runs.get('judgecost');
    expect(run?.spendUsd).toBeCloseTo((record?.requestCostUsd ?? 0) + 2 * COMPLETION_USD, 12);
  });

  it('fails every job with a configuration error when the judge is set up wrong (401), not judge_error', async () => {
    judgeStub = await startOpenAiStub((_n, res) => {
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end('{"error":{"message":"Incorrect API key provided","type":"invalid_request_error"}}');
    });
    stack = await WorkerStack.start({ redisUrl: testRedisUrl(), prefix: testPrefix('wf') });
    const env = stack.workerEnv({ LLM_SIM_URL: judgeStub.url, JUDGE_MODEL: 'gpt-4o-mini' });
    workers.push(await startWorker({ config: loadWorkerConfig(env), concurrency: 2, tty: false }));
    await stack.createRun('badjudge', 2);
    await stack.enqueue('badjudge', 2);
    const records = await stack.waitForResults('badjudge', 2, 30_000);
    for (const record of records) {
      expect(record.status).toBe('failed');
      expect(record.error).toMatch(/^judge configuration error \(openai\/gpt-4o-mini\): 401/);
      // The chat it paid for stays in the record.
      expect(record.requestCostUsd).toBeGreaterThan(0);
      const job = await stack.waitForState(record.jobId, 'failed');
      expect(job.attemptsMade).toBe(1);
    }
  });

  it('--max-rps caps jobs started per second over every worker of the queue', async () => {
    stack = await WorkerStack.start({ redisUrl: testRedisUrl(), prefix: testPrefix('wf') });
    const maxRps = 4;
    const env = stack.workerEnv({ WORKER_MAX_RPS: String(maxRps) });
    // Two workers with room for every job at once: only the limiter holds them back.
    workers.push(await startWorker({ config: loadWorkerConfig(env), concurrency: 10, tty: false }));
    workers.push(await startWorker({ config: loadWorkerConfig(env), concurrency: 10, tty: false }));
    const jobs = 16;
    await stack.createRun('rps', jobs);
    await stack.enqueue('rps', jobs);
    await stack.waitForResults('rps', jobs, 30_000);
    const starts: number[] = [];
    for (let seq = 0; seq < jobs; seq++) {
      const job = await stack.waitForState(`rps.${seq}`, 'completed');
      starts.push(job.processedOn ?? 0);
    }
    starts.sort((a, b) => a - b);
    // Generous: BullMQ counts per fixed window, so a sliding second may see up to two windows' worth.
    const busiest = Math.max(...starts.map((t) => starts.filter((u) => u >= t && u < t + 1000).length));
    expect(busiest).toBeLessThanOrEqual(2 * maxRps);
  });
});
