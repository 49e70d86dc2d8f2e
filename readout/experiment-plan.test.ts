import { describe, expect, it } from 'vitest';
import { estimateCost } from '../shared/cost-estimate.js';
import { loadManifest } from '../shared/manifest.js';
import { defaultPrices, PriceTable } from '../shared/pricing.js';
import { Random } from '../shared/random.js';
import { compareConversions } from './beta-binomial.js';
import { loadExperiments } from './experiments.js';
import { planExperiment, usersPerArm } from './experiment-plan.js';

const manifest = loadManifest();
const prices = defaultPrices();
const [security, premium] = loadExperiments();

describe('usersPerArm', () => {
  // Reference: the same formula evaluated independently with scipy.stats.norm.ppf (SciPy 1.17).
  it.each([
    [0.5, 0.2, 0.9, 0.8, 223],
    [0.3, 0.1, 0.9, 0.8, 2161],
    [0.1, 0.5, 0.95, 0.9, 748],
  ])('baseline %d, lift %d, confidence %d, power %d → %i users per arm', (p, lift, conf, power, n) => {
    expect(usersPerArm(p, lift, conf, power)).toBe(n);
  });

  it('gives the power it promises: with that many users, ~80% of +20% datasets reach 90% to beat control', () => {
    const n = usersPerArm(0.5, 0.2, 0.9, 0.8);
    const random = new Random(31);
    const draw = (p: number) =>
      Array.from({ length: n }).reduce<number>((k) => k + (random.next() < p ? 1 : 0), 0);
    let reached = 0;
    for (let i = 0; i < 400; i++) {
      const result = compareConversions(
        { users: n, conversions: draw(0.5) },
        { users: n, conversions: draw(0.6) },
        0.9,
      );
      if (result.probabilityToBeat! >= 0.9) {
        reached++;
      }
    }
    // 80% ± about three binomial standard errors (√(0.8·0.2/400) = 2%).
    expect(reached / 400).toBeGreaterThan(0.74);
    expect(reached / 400).toBeLessThan(0.86);
  });

  it('rejects a lift that leaves the rate range, naming the numbers', () => {
    expect(() => usersPerArm(0.9, 0.2, 0.9, 0.8)).toThrow(/treatment rate of 1\.08/);
    expect(() => usersPerArm(0, 0.2, 0.9, 0.8)).toThrow(/baseline rate must be between 0 and 1/);
  });
});

describe('planExperiment', () => {
  it('prices a request with the cost model `loadgen run` uses: the same estimate for the same questions', () => {
    const plan = planExperiment({
      experiment: premium!,
      baselineRate: 0.5,
      lift: 0.2,
      manifest,
      prices,
      queryTokens: 40,
      piiShare: 0.2,
    });
    expect(plan.usersPerArm).toBe(223);
    expect(plan.exposure).toBe(1);
    expect(plan.totalRequests).toBe(446);
    // The producer's estimate of 100 questions of 160 characters (40 tokens), 20 with PII, all other-paid,
    // where support-agent splits 50/50: per request, the mean of the plan's two arms.
    const jobs = Array.from({ length: 100 }, (_, seq) => ({
      runId: 'r',
      seq,
      query: 'q'.repeat(160),
      piiInjected: seq < 20,
      user: { key: `u${seq}`, segment: 'other-paid' },
    }));
    const run = estimateCost({ manifest, prices, jobs });
    expect(run.requestsUsd / 100).toBeCloseTo(
      (plan.perRequestUsd.control! + plan.perRequestUsd.treatment!) / 2,
      12,
    );
    expect(plan.expectedUsd?.total).toBeCloseTo(
      223 * (plan.perRequestUsd.control! + plan.perRequestUsd.treatment!),
      9,
    );
    expect(plan.unpricedModels).toEqual({ control: [], treatment: [] });
  });

  it('runs the security agent only on requests with personal data, in the cost as in the exposure', () => {
    const at = (piiShare: number) =>
      planExperiment({ experiment: premium!, baselineRate: 0.5, lift: 0.2, manifest, prices, piiShare });
    const [none, some, all] = [at(0), at(0.15), at(1)];
    // Linear in the PII share: 15% of the way from no security calls to one on every request.
    expect(some.perRequestUsd.control! - none.perRequestUsd.control!).toBeCloseTo(
      0.15 * (all.perRequestUsd.control! - none.perRequestUsd.control!),
      12,
    );
    expect(all.perRequestUsd.control!).toBeGreaterThan(none.perRequestUsd.control!);
    expect(some.agents.find((a) => a.configKey === 'security-agent')?.runs).toBe(0.15);
  });

  it('asks for enough queries when the flag is reached only by requests with PII (security-agent)', () => {
    const plan = planExperiment({ experiment: security!, baselineRate: 0.5, manifest, prices });
    const n = usersPerArm(0.5, 0.1, 0.9, 0.8);
    expect(plan.usersPerArm).toBe(n);
    // `loadgen run`'s default: 15% of the questions carry PII, one question per user.
    expect(plan.piiShare).toBe(0.15);
    expect(plan.exposure).toBeCloseTo(0.15, 12);
    expect(plan.totalUsers).toBe(Math.ceil((2 * n) / 0.15));
    expect(plan.totalRequests).toBe(plan.totalUsers);
    // Three requests per user: a user is exposed when any of them has PII (1 − 0.85³).
    const three = planExperiment({
      experiment: security!,
      baselineRate: 0.5,
      requestsPerUser: 3,
      piiShare: 0.15,
      manifest,
      prices,
    });
    expect(three.exposure).toBeCloseTo(1 - 0.85 ** 3, 12);
    expect(three.totalRequests).toBe(3 * Math.ceil((2 * n) / (1 - 0.85 ** 3)));
    expect(() =>
      planExperiment({ experiment: security!, baselineRate: 0.5, piiShare: 0, manifest, prices }),
    ).toThrow(/only on requests with personal data/);
  });

  it('keeps unpriced models per arm: an arm with only priced models still gets its cost', () => {
    // The shipped prices, with one model taken out.
    const without = (model: string) =>
      PriceTable.load(undefined, {
        maintained: (m) => (m === model ? undefined : defaultPrices().price(m)),
      });
    const noGpt4o = planExperiment({
      experiment: premium!,
      baselineRate: 0.5,
      lift: 0.2,
      manifest,
      prices: without('gpt-4o'),
    });
    expect(noGpt4o.unpricedModels).toEqual({ control: ['gpt-4o'], treatment: [] });
    expect(noGpt4o.perRequestUsd.control).toBeNull();
    expect(noGpt4o.perRequestUsd.treatment).toBeGreaterThan(0);
    expect(noGpt4o.expectedUsd).toBeNull();
    const noOpus = planExperiment({
      experiment: premium!,
      baselineRate: 0.5,
      lift: 0.2,
      manifest,
      prices: without('claude-opus-5-5'),
    });
    expect(noOpus.unpricedModels).toEqual({ control: [], treatment: ['claude-opus-5-5'] });
    expect(noOpus.perRequestUsd.control).toBeGreaterThan(0);
    expect(noOpus.perRequestUsd.treatment).toBeNull();
  });

  it('defaults the lift to the experiment’s lift criterion and the confidence to the experiment’s', () => {
    const plan = planExperiment({ experiment: security!, baselineRate: 0.5, manifest, prices });
    expect(plan.lift).toBe(0.1);
    expect(plan.confidence).toBe(0.9);
    expect(plan.usersPerArm).toBe(usersPerArm(0.5, 0.1, 0.9, 0.8));
    expect(plan.agents.find((a) => a.configKey === 'security-agent')).toMatchObject({
      control: [{ variation: 'baseline', model: 'gpt-4o-mini', share: 1 }],
      treatment: [{ variation: 'enhanced', model: 'claude-sonnet-5', share: 1 }],
    });
  });
});
