import { afterEach, describe, expect, it } from 'vitest';
import { createRun } from '../producer/index.js';
import { createLogger } from '../shared/logger.js';
import { buildReadout } from '../shared/readout/build-readout.js';
import { loadExperiments } from '../shared/readout/experiments.js';
import { usersPerArm } from '../shared/readout/plan.js';
import { startWorker } from '../worker/index.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';
import { WorkerStack } from './worker-stack.js';

/**
 * The whole pipeline on llm-sim with known true positive-feedback rates — GPT-4o 0.50, Claude Opus 0.60, a
 * true +20% lift — and as many users as `loadgen plan` asks for: the readout must recover the effect.
 */
describe('readout end to end on llm-sim (producer, worker, agent service, judge)', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) {
      await close();
    }
  });

  it('covers the true +20% lift with its interval and decides from the criteria', async () => {
    const prefix = testPrefix('e2e');
    const redisUrl = testRedisUrl();
    const stack = await WorkerStack.start({
      redisUrl,
      prefix,
      sim: {
        models: {
          'gpt-4o': { quality: { positive: 0.5, negative: 0.25 } },
          'claude-opus-4': { quality: { positive: 0.6, negative: 0.2 } },
        },
      },
    });
    closers.push(() => stack.close());

    // What `loadgen plan` asks for: users per arm to detect +20% on a 0.50 baseline at 90% confidence.
    const perArm = usersPerArm(0.5, 0.2, 0.9, 0.8);
    const queries = 2 * perArm;
    const logger = createLogger({ level: 'silent' });
    const run = await createRun(
      {
        queries,
        piiPercentage: 0,
        segments: 'other-paid=1',
        seed: 7,
        runId: 'e2e-premium',
        topics: 'extractive',
      },
      { redisUrl, prefix, llm: { simUrl: stack.sim.url }, logger },
    );
    expect(run.jobs).toHaveLength(queries);

    const worker = await startWorker({
      env: stack.workerEnv(),
      concurrency: 50,
      logger,
      metricsPort: null,
      tty: false,
    });
    closers.push(() => worker.close());
    const records = await stack.waitForResults(run.runId, queries, 150_000);
    const state = await stack.runs.get(run.runId);
    expect(state?.status).toBe('done');

    const readout = buildReadout({ records, run: state, experiments: loadExperiments(), seed: 1 });
    const premium = readout.experiments.find((e) => e.id === 'premium-model-value');
    expect(premium).toBeDefined();
    if (!premium) {
      return;
    }
    expect(premium.users.control + premium.users.treatment).toBe(queries);
    const lift = premium.positiveFeedback.lift;
    expect(lift.lower).toBeLessThanOrEqual(0.2);
    expect(lift.upper).toBeGreaterThanOrEqual(0.2);
    // The decision follows from the criteria: every criterion passes exactly when the treatment is chosen.
    const allPass = premium.criteria.every((c) => c.pass);
    expect(premium.verdict === 'pass').toBe(allPass);
    // Opus costs about six times GPT-4o here, so a +20% lift cannot reach a cost-value ratio of 0.6.
    expect(premium.decision).toMatch(/Keep GPT-4o/);
  }, 200_000);
});
