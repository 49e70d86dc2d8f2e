import jstat from 'jstat';
import { afterEach, describe, expect, it } from 'vitest';
import { createRun } from '../producer/index.js';
import { createLogger } from '../shared/logger.js';
import { buildReadout } from '../readout/build-readout.js';
import { loadExperiments } from '../readout/experiments.js';
import { usersPerArm } from '../readout/experiment-plan.js';
import { loadConfig as loadWorkerConfig, startWorker } from '../worker/index.js';
import { testPrefix, testRedisUrl } from './helpers/redis.js';
import { WorkerStack } from './worker-stack.js';

const { jStat } = jstat;

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
          'claude-opus-5-5': { quality: { positive: 0.6, negative: 0.2 } },
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
      config: loadWorkerConfig(stack.workerEnv()),
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
    const interval = premium.positiveFeedback.lift!;
    expect(interval.lower).toBeLessThanOrEqual(0.2);
    expect(interval.upper).toBeGreaterThanOrEqual(0.2);

    // Each criterion's verdict, from the records by hand (not through decide()): per-user conversions and
    // summed cost per arm, the Beta(1, 1) posterior means' ratio, and P(beat) by a plain Riemann sum.
    const arms = { control: new Map<string, { positive: boolean; cost: number }>(), treatment: new Map() };
    for (const r of records) {
      const variation = r.variations['support-agent'];
      const arm =
        variation === 'other-paid'
          ? arms.control
          : variation === 'claude-opus-treatment'
            ? arms.treatment
            : null;
      if (r.status !== 'completed' || !arm) {
        continue;
      }
      const user = arm.get(r.userKey) ?? { positive: false, cost: 0 };
      user.positive ||= r.feedback === 'positive';
      user.cost += r.requestCostUsd ?? 0;
      arm.set(r.userKey, user);
    }
    const count = (arm: Map<string, { positive: boolean }>) =>
      [...arm.values()].filter((u) => u.positive).length;
    const [nC, kC, nT, kT] = [
      arms.control.size,
      count(arms.control),
      arms.treatment.size,
      count(arms.treatment),
    ];
    const lift = (kT + 1) / (nT + 2) / ((kC + 1) / (nC + 2)) - 1;
    let beat = 0;
    const steps = 20_000;
    for (let i = 0; i < steps; i++) {
      const x = (i + 0.5) / steps;
      beat += (jStat.beta.pdf(x, kT + 1, nT - kT + 1) * jStat.beta.cdf(x, kC + 1, nC - kC + 1)) / steps;
    }
    const meanCost = (arm: Map<string, { cost: number }>) =>
      [...arm.values()].reduce((sum, u) => sum + u.cost, 0) / arm.size;
    const costIncrease = meanCost(arms.treatment) / meanCost(arms.control) - 1;
    const criterion = (kind: string) => premium.criteria.find((c) => c.kind === kind);
    expect(criterion('lift')?.figure).toBeCloseTo(lift, 9);
    expect(criterion('lift')?.pass).toBe(lift >= 0.15);
    expect(criterion('confidence')?.figure).toBeCloseTo(beat, 3);
    if (Math.abs(beat - 0.9) > 0.005) {
      expect(criterion('confidence')?.pass).toBe(beat >= 0.9);
    }
    // Opus 5.5 costs well over half as much again as GPT-4o per user (about +80% at list prices), so a +20%
    // lift is far from a cost-value ratio of 0.6.
    expect(costIncrease).toBeGreaterThan(0.5);
    expect(criterion('cost_value_ratio')).toMatchObject({ pass: false });
    expect(criterion('cost_value_ratio')?.figure).toBeCloseTo(lift / costIncrease, 6);
    expect(lift / costIncrease).toBeLessThan(0.6);
    expect(premium.state).toBe('fails');
    expect(premium.decision).toBe('Keep GPT-4o for cost efficiency');
  }, 200_000);
});
