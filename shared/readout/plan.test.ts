import { describe, expect, it } from 'vitest';
import { loadManifest } from '../manifest.js';
import { defaultPrices } from '../pricing.js';
import { Random } from '../random.js';
import { compareConversions } from './beta-binomial.js';
import { loadExperiments } from './experiments.js';
import { planExperiment, usersPerArm } from './plan.js';

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
      if (result.probabilityToBeat >= 0.9) {
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
  it('prices a premium-model request from the manifest’s models for the audience and the price table', () => {
    const plan = planExperiment({
      experiment: premium!,
      baselineRate: 0.5,
      lift: 0.2,
      manifest,
      prices,
      tokensPerCall: { input: 1000, output: 300 },
    });
    expect(plan.usersPerArm).toBe(223);
    // By hand, per 1M tokens: gpt-4o-mini 0.15/0.6, claude-sonnet-4 3/15, gpt-4o 2.5/10, claude-opus-4 15/75.
    const call = (input: number, output: number) => (1000 * input + 300 * output) / 1e6;
    const supervisor = call(0.15, 0.6);
    const securityMix = 0.5 * call(0.15, 0.6) + 0.5 * call(3, 15); // the other experiment splits other-paid 50/50
    expect(plan.perRequestUsd.control).toBeCloseTo(supervisor + securityMix + call(2.5, 10), 12);
    expect(plan.perRequestUsd.treatment).toBeCloseTo(supervisor + securityMix + call(15, 75), 12);
    expect(plan.expectedUsd?.total).toBeCloseTo(
      223 * (plan.perRequestUsd.control! + plan.perRequestUsd.treatment!),
      9,
    );
    expect(plan.unpricedModels).toEqual([]);
  });

  it('defaults the lift to the experiment’s lift criterion and the confidence to the experiment’s', () => {
    const plan = planExperiment({ experiment: security!, baselineRate: 0.5, manifest, prices });
    expect(plan.lift).toBe(0.1);
    expect(plan.confidence).toBe(0.9);
    expect(plan.usersPerArm).toBe(usersPerArm(0.5, 0.1, 0.9, 0.8));
    expect(plan.agents.find((a) => a.configKey === 'security-agent')).toMatchObject({
      control: [{ variation: 'baseline', model: 'gpt-4o-mini', share: 1 }],
      treatment: [{ variation: 'enhanced', model: 'claude-sonnet-4', share: 1 }],
    });
  });
});
