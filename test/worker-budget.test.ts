import { afterEach, describe, expect, it } from 'vitest';
import { buildReadout, followRun, loadExperiments, renderText } from '../readout/index.js';
import { QUERY_JOB_NAME, QUERY_JOB_OPTIONS, queryJobId, type QueryJob } from '../shared/query-job.js';
import type { ResultRecord } from '../shared/result-record.js';
import { computeRunStats, renderRunStats } from '../start/run-stats.js';
import {
  BUDGET_EXHAUSTED,
  loadConfig as loadWorkerConfig,
  startWorker,
  type WorkerHandle,
} from '../worker/index.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';
import { WorkerProcess } from './worker-processes.js';
import { WorkerStack } from './worker-stack.js';

/** One segment served one variation per AI Config, one question without personal data: jobs that cost alike. */
function sameJob(runId: string, seq: number): QueryJob {
  return {
    runId,
    seq,
    query: 'What is Q-learning and how does it update its value estimates?',
    user: { key: `${runId}-u${seq}`, country: 'US', plan: 'free', segment: 'other-free' },
  };
}

const jobCost = (r: ResultRecord) => (r.requestCostUsd ?? 0) + r.harnessCostUsd;

describe('a budget that reserves before it spends (workers, llm-sim, agent service, Redis)', () => {
  let stack: WorkerStack | undefined;
  const workers: WorkerHandle[] = [];
  const processes: WorkerProcess[] = [];
  afterEach(async () => {
    for (const p of processes.splice(0)) {
      await p.stop('SIGKILL');
    }
    for (const w of workers.splice(0)) {
      await w.close();
    }
    await stack?.close();
    stack = undefined;
  });

  const createRun = (runId: string, budgetUsd: number | null, perRequestUsd: number) =>
    stack!.createRun(runId, 0, budgetUsd, { costEstimate: { perRequestUsd, bySegment: {} } });

  async function enqueue(runId: string, seqs: number[], attempts = 3): Promise<void> {
    await stack!.queue.addBulk(
      seqs.map((seq) => ({
        name: QUERY_JOB_NAME,
        data: sameJob(runId, seq),
        opts: {
          ...QUERY_JOB_OPTIONS,
          attempts,
          backoff: { type: 'fixed', delay: 50 },
          jobId: queryJobId(runId, seq),
        },
      })),
    );
  }

  const reservations = (runId: string) => stack!.redis.hgetall(stack!.keys.runReservations(runId));
  const settledJobs = async (runId: string) =>
    Number((await stack!.redis.hget(stack!.keys.runSettled(runId), 'jobs')) ?? 0);

  /** Polls until `holds` (bounded). */
  const waitFor = (holds: () => boolean | Promise<boolean>, what = 'condition') =>
    expect.poll(holds, { timeout: 30_000, interval: 20, message: what }).toBe(true);

  /** Polls until the job holds a reservation (its attempt is past the budget check, inside its chat). */
  const waitForReservation = (runId: string, jobId: string) =>
    waitFor(async () => jobId in (await reservations(runId)), `a reservation for ${jobId}`);

  it('40 jobs racing for the last dollars: past the budget by at most one estimate error; start and report say so', async () => {
    stack = await WorkerStack.start({
      redisUrl: testRedisUrl(),
      prefix: testPrefix('wb'),
      // Constant answer length and no tool calls: every job costs about the same.
      sim: { allModels: { outputTokens: 150, toolCallRate: 0 } },
    });
    workers.push(
      await startWorker({ config: loadWorkerConfig(stack.workerEnv()), concurrency: 20, tty: false }),
    );
    workers.push(
      await startWorker({ config: loadWorkerConfig(stack.workerEnv()), concurrency: 20, tty: false }),
    );

    // What such a job costs: the "planner's estimate" of the run below.
    await createRun('calib', null, 0);
    await enqueue('calib', [0, 1, 2]);
    const calibration = await stack.waitForResults('calib', 3, 60_000);
    const estimate = calibration.map(jobCost).reduce((a, b) => a + b, 0) / calibration.length;
    expect(estimate).toBeGreaterThan(0);

    // Room for 10.5 jobs; 60 jobs, 40 of them start at once.
    const budget = 10.5 * estimate;
    const jobs = 60;
    await createRun('race', budget, estimate);
    const followed = followRun({
      store: stack.runs,
      queue: stack.queue,
      runId: 'race',
      pollMs: 50,
      drainMs: 60_000,
    });
    await enqueue(
      'race',
      Array.from({ length: jobs }, (_, i) => i),
    );
    const outcome = await followed;
    expect(outcome.state.status).toBe('stopped');
    expect(outcome.state.stopReason).toBe(BUDGET_EXHAUSTED);
    // The follower waited for the jobs in flight: what it read is the final spend.
    expect(outcome.unfinished).toBe(0);
    const records = await stack.waitForResults('race', jobs, 60_000);
    const completed = records.filter((r) => r.status === 'completed');
    const refused = records.filter((r) => r.status === 'failed');
    expect(refused.every((r) => r.error === BUDGET_EXHAUSTED && jobCost(r) === 0)).toBe(true);
    const costs = [...calibration, ...completed].map(jobCost);
    const estimateError = Math.max(...costs.map((c) => Math.abs(c - estimate)));
    const spend = completed.map(jobCost).reduce((a, b) => a + b, 0);
    expect(outcome.state.spendUsd).toBeCloseTo(spend, 9);
    // Reserving: at most one job's estimate error past the budget (a wave of 40 would be ~30 jobs past it),
    // and the run stopped only when the next job would not have fit.
    expect(spend).toBeLessThanOrEqual(budget + estimateError + 1e-9);
    expect(completed.length).toBeGreaterThanOrEqual(9);
    expect(completed.length).toBeLessThanOrEqual(11);
    // Every reservation was released (success and refusal alike).
    expect(await reservations('race')).toEqual({});
    expect(await settledJobs('race')).toBe(completed.length);

    // The readout and start's summary report that final spend against the budget.
    const readout = buildReadout({ records, run: outcome.state, experiments: loadExperiments(), seed: 1 });
    expect(readout.run.budget).toMatchObject({ budgetUsd: budget });
    expect(readout.run.budget?.spendUsd).toBeCloseTo(spend, 9);
    const stats = computeRunStats(records, { budgetUsd: budget, spendUsd: outcome.state.spendUsd });
    const said = readout.run.budget?.withinBudget
      ? /within budget \(\$[\d.]+ of \$[\d.]+\)/
      : /over the \$[\d.]+ budget \(1 job finished past it\)/;
    expect(renderText(readout)).toMatch(said);
    expect(renderRunStats(stats)).toMatch(/final spend {10}\$[\d.]+: /);
    expect(renderRunStats(stats)).toMatch(said);
  });

  it('releases the reservation when an attempt fails and is retried, and when a job fails for good', async () => {
    stack = await WorkerStack.start({
      redisUrl: testRedisUrl(),
      prefix: testPrefix('wb'),
      // A hung model call becomes a 504 (retryable) from the agent service after this deadline.
      agentEnv: { AGENT_REQUEST_DEADLINE_MS: '4000' },
    });
    workers.push(
      await startWorker({ config: loadWorkerConfig(stack.workerEnv()), concurrency: 1, tty: false }),
    );
    await createRun('rel', 100, 0.01);

    stack.sim.scheduleFault({ kind: 'hang', count: 1 });
    await enqueue('rel', [0], 2);
    await waitForReservation('rel', 'rel.0');
    const retried = await stack.waitForState('rel.0', 'completed', 60_000);
    expect(retried.attemptsMade).toBe(2);
    expect(await reservations('rel')).toEqual({});
    expect(await settledJobs('rel')).toBe(1);

    stack.sim.scheduleFault({ kind: 'hang', count: 1 });
    await enqueue('rel', [1], 1);
    await waitForReservation('rel', 'rel.1');
    const failed = await stack.waitForState('rel.1', 'failed', 60_000);
    expect(failed.failedReason).toBeTruthy();
    expect(await reservations('rel')).toEqual({});
    // A failed job teaches the estimate nothing.
    expect(await settledJobs('rel')).toBe(1);
  });

  it("a worker that dies mid-chat leaves its reservation to the job's next attempt, which releases it", async () => {
    stack = await WorkerStack.start({
      redisUrl: testRedisUrl(),
      prefix: testPrefix('wb'),
      agentEnv: { AGENT_REQUEST_DEADLINE_MS: '60000' },
    });
    // Short stall settings, the same on both workers, so the dead worker's job comes back within seconds.
    const env = stack.workerEnv({ WORKER_LOCK_DURATION_MS: '2000', WORKER_STALLED_INTERVAL_MS: '1000' });
    const doomed = WorkerProcess.spawn(env, 1);
    processes.push(doomed);
    await doomed.ready;
    await createRun('crash', 100, 0.01);
    stack.sim.scheduleFault({ kind: 'hang', count: 1 });
    await enqueue('crash', [0], 1);
    await waitForReservation('crash', 'crash.0');
    // Killed once its chat hangs in llm-sim (so the next attempt's chat is not the one that hangs).
    await waitFor(() => stack!.sim.stats().faults.hang === 1);
    await doomed.stop('SIGKILL');
    // Nothing released it: the dead attempt still holds it.
    expect(Object.keys(await reservations('crash'))).toEqual(['crash.0']);

    workers.push(await startWorker({ config: loadWorkerConfig(env), concurrency: 1, tty: false }));
    await stack.waitForState('crash.0', 'completed', 60_000);
    const [record] = await stack.waitForResults('crash', 1);
    expect(record?.status).toBe('completed');
    expect(await reservations('crash')).toEqual({});
    expect(Number(await stack.redis.get(stack.keys.runSpend('crash')))).toBeCloseTo(jobCost(record!), 9);
  });
});
