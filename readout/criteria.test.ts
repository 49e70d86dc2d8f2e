import { describe, expect, it } from 'vitest';
import { isDecided } from './build-readout.js';
import { decide } from './criteria.js';
import { loadExperiments } from './experiments.js';

const experiments = loadExperiments();
const security = experiments.find((e) => e.id === 'security-level')!;
const premium = experiments.find((e) => e.id === 'premium-model-value')!;

describe('the tutorial’s worked examples (seed-tutorial.md, "Evaluating Your Experiment Results")', () => {
  it('security: 12% lift, 94% confidence, 1.6 s p95, +3% cost qualifies → deploy enhanced security', () => {
    const result = decide(security, {
      lift: 0.12,
      probabilityToBeat: 0.94,
      p95LatencyMs: 1600,
      costIncrease: 0.03,
    });
    expect(result.state).toBe('qualifies');
    expect(result.decision).toBe('Deploy enhanced security to all users');
    expect(result.criteria.map((c) => [c.kind, c.display, c.pass])).toEqual([
      ['lift', '+12.0%', true],
      ['confidence', '94.0%', true],
      ['cost_increase', '+3.0%', true],
      ['p95_latency', '1.60 s', true],
    ]);
  });

  it('security: the same result with a 2.4 s p95 does not qualify, and the reason names the latency', () => {
    const result = decide(security, {
      lift: 0.12,
      probabilityToBeat: 0.94,
      p95LatencyMs: 2400,
      costIncrease: 0.03,
    });
    expect(result.state).toBe('fails');
    // Not the file's "… for cost efficiency" sentence: cost passed, latency did not.
    expect(result.decision).toBe('Keep baseline: enhanced does not meet p95 latency per user ≤ 2.0 s');
    expect(result.reason).toBe('not met: p95 latency per user ≤ 2.0 s (2.40 s)');
    // When cost alone fails, the file's sentence is the right one.
    const costly = decide(security, {
      lift: 0.12,
      probabilityToBeat: 0.94,
      p95LatencyMs: 1600,
      costIncrease: 0.08,
    });
    expect(costly.decision).toBe('Keep baseline security for cost efficiency');
  });

  it('premium model: $0.15 vs $0.45 per user and +20% satisfaction is a ratio of 0.1 → keep GPT-4o', () => {
    const costIncrease = 0.45 / 0.15 - 1; // +200%
    const result = decide(premium, { lift: 0.2, probabilityToBeat: 0.95, p95LatencyMs: null, costIncrease });
    expect(result.state).toBe('fails');
    expect(result.decision).toMatch(/^Keep GPT-4o/);
    const ratio = result.criteria.find((c) => c.kind === 'cost_value_ratio')!;
    expect(ratio.figure).toBeCloseTo(0.1, 10);
    expect(ratio.display).toBe('0.10');
    expect(ratio.pass).toBe(false);
    // Lift and confidence pass on their own: the ratio alone sinks it.
    expect(result.criteria.filter((c) => !c.pass).map((c) => c.kind)).toEqual(['cost_value_ratio']);
  });

  it('premium model: +20% satisfaction, 95% confidence and a 0.8 ratio qualifies', () => {
    const result = decide(premium, {
      lift: 0.2,
      probabilityToBeat: 0.95,
      p95LatencyMs: null,
      costIncrease: 0.25,
    });
    expect(result.criteria.find((c) => c.kind === 'cost_value_ratio')?.figure).toBeCloseTo(0.8, 10);
    expect(result.state).toBe('qualifies');
    expect(result.decision).toBe('Switch premium users to Claude Opus 5.5');
  });
});

describe('decide', () => {
  it('passes the cost-value ratio when cost falls and the lift is positive, and says so', () => {
    const result = decide(premium, {
      lift: 0.18,
      probabilityToBeat: 0.97,
      p95LatencyMs: null,
      costIncrease: -0.1,
    });
    const ratio = result.criteria.find((c) => c.kind === 'cost_value_ratio')!;
    expect(ratio.pass).toBe(true);
    expect(ratio.display).toBe('not defined');
    expect(ratio.note).toBe(
      'cost fell (−10.0%): the ratio is not defined, and then a positive lift passes; the lift is +18.0%: passes',
    );
    const same = decide(premium, {
      lift: 0.18,
      probabilityToBeat: 0.97,
      p95LatencyMs: null,
      costIncrease: 2e-16,
    });
    expect(same.criteria.find((c) => c.kind === 'cost_value_ratio')).toMatchObject({
      figure: null,
      display: 'not defined',
      pass: true,
      note: 'cost did not change: the ratio is not defined, and then a positive lift passes; the lift is +18.0%: passes',
    });
    expect(result.state).toBe('qualifies');
    const worse = decide(premium, {
      lift: -0.05,
      probabilityToBeat: 0.2,
      p95LatencyMs: null,
      costIncrease: -0.1,
    });
    expect(worse.criteria.find((c) => c.kind === 'cost_value_ratio')?.pass).toBe(false);
  });

  it('fails a criterion whose figure is missing rather than passing it', () => {
    const result = decide(security, {
      lift: 0.3,
      probabilityToBeat: 0.99,
      p95LatencyMs: 1000,
      costIncrease: null,
    });
    expect(result.criteria.find((c) => c.kind === 'cost_increase')).toMatchObject({
      pass: false,
      display: 'not defined',
    });
    expect(result.state).toBe('fails');
  });

  it('shows enough digits near a threshold that the figure and its verdict agree', () => {
    const shown = (result: ReturnType<typeof decide>) =>
      result.criteria.map((c) => [c.kind, c.display, c.pass]);
    const under = decide(security, {
      lift: 0.0996,
      probabilityToBeat: 0.8996,
      p95LatencyMs: 2004,
      costIncrease: 0.05004,
    });
    expect(shown(under)).toEqual([
      ['lift', '+9.96%', false],
      ['confidence', '89.96%', false],
      ['cost_increase', '+5.004%', false],
      ['p95_latency', '2.004 s', false],
    ]);
    expect(under.reason).toContain('probability to beat control ≥ 90% (89.96%)');
    // Just on the passing side of each threshold: never shown as the threshold's rounding either.
    const over = decide(security, {
      lift: 0.10004,
      probabilityToBeat: 0.90004,
      p95LatencyMs: 1999.6,
      costIncrease: 0.0496,
    });
    expect(shown(over)).toEqual([
      ['lift', '+10.004%', true],
      ['confidence', '90.004%', true],
      ['cost_increase', '+4.96%', true],
      ['p95_latency', '1.9996 s', true],
    ]);
    // Away from the threshold the usual one decimal stays.
    expect(
      decide(security, { lift: 0.1234, probabilityToBeat: 0.9512, p95LatencyMs: 1600, costIncrease: 0.03 })
        .criteria[0]?.display,
    ).toBe('+12.3%');
    const ratio = decide(premium, {
      lift: 0.2,
      probabilityToBeat: 0.95,
      p95LatencyMs: null,
      costIncrease: 0.33356,
    });
    expect(ratio.criteria.find((c) => c.kind === 'cost_value_ratio')).toMatchObject({
      display: '0.5996',
      pass: false,
    });
  });

  it('gives no decision for an empty arm or a sample ratio mismatch, even when every criterion passes', () => {
    const figures = { lift: 0.12, probabilityToBeat: 0.94, p95LatencyMs: 1600, costIncrease: 0.03 };
    const empty = decide(security, { ...figures, users: { control: 0, treatment: 40 } });
    expect(empty.state).toBe('inconclusive');
    expect(empty.decision).toBe('Not enough data yet: no users in baseline');
    const srm = decide(security, { ...figures, srm: { pValue: 2e-6, flagged: true } });
    expect(srm.state).toBe('invalid');
    expect(srm.decision).toBe('No decision: sample ratio mismatch (p < 0.001)');
  });
});

describe('decide with evidence: the states before and at the planned size', () => {
  const figures = { lift: 0.12, probabilityToBeat: 0.94, p95LatencyMs: 1600, costIncrease: 0.03 };
  const users = { control: 300, treatment: 310 };
  const evidence = (lift: [number, number], cost: [number, number] | null = [-0.01, 0.04]) => ({
    requiredUsersPerArm: 900,
    sequential: {
      lift: { lower: lift[0], upper: lift[1] },
      costIncrease: cost && { lower: cost[0], upper: cost[1] },
    },
    more: { queries: 4000, usd: 12.5 },
  });

  it('is inconclusive before the planned size, with the users each arm has and needs, and what more costs', () => {
    const result = decide(security, { ...figures, users, evidence: evidence([-0.05, 0.3]) });
    expect(result.state).toBe('inconclusive');
    expect(result.decision).toBe(
      "Not enough data yet: baseline has 300 of 900 users, enhanced 310 of 900; about 4,000 more queries (~$12.50) at this run's rates",
    );
    expect(result.reason).toBe(
      'a decision needs 900 users per arm (a +10% lift at 90% confidence, 80% power) or an always-valid interval to ' +
        'decide; lift always-valid 90% interval [−5.0%, +30.0%]',
    );
    expect(isDecided({ state: result.state })).toBe(false);
  });

  it('qualifies early when every criterion passes and the always-valid intervals say so', () => {
    const result = decide(security, { ...figures, users, evidence: evidence([0.02, 0.3]) });
    expect(result.state).toBe('qualifies');
    expect(result.decision).toBe('Deploy enhanced security to all users');
    expect(result.reason).toBe(
      "every criterion is met and the lift's always-valid 90% interval [+2.0%, +30.0%] lies above 0",
    );
    // The cost cap must hold with always-valid confidence too.
    expect(
      decide(security, { ...figures, users, evidence: evidence([0.02, 0.3], [-0.01, 0.06]) }).state,
    ).toBe('inconclusive');
    expect(isDecided({ state: result.state })).toBe(true);
  });

  it('fails early when a criterion fails with always-valid confidence, and names it', () => {
    const costly = decide(security, { ...figures, users, evidence: evidence([0.02, 0.3], [0.08, 0.2]) });
    expect(costly.state).toBe('fails');
    expect(costly.decision).toBe('Keep baseline security for cost efficiency');
    expect(costly.reason).toBe(
      'not met (cost increase always-valid 90% interval [+8.0%, +20.0%]): cost increase per user ≤ +5% (+3.0%)',
    );
    const ratio = decide(premium, {
      lift: 0.2,
      probabilityToBeat: 0.95,
      p95LatencyMs: null,
      costIncrease: 2,
      users,
      evidence: evidence([0.05, 0.4], [1.5, 2.5]),
    });
    expect(ratio.state).toBe('fails');
    expect(ratio.reason).toMatch(
      /^not met \(at best \+40\.0% ÷ \+150\.0% by the always-valid 90% intervals\)/,
    );
    expect(isDecided({ state: costly.state })).toBe(true);
  });

  it('is futile when the always-valid interval of the lift lies below the minimum lift', () => {
    const result = decide(security, { ...figures, users, evidence: evidence([-0.04, 0.08]) });
    expect(result.state).toBe('futile');
    expect(result.decision).toBe('Keep baseline: enhanced cannot reach a lift of +10%');
    expect(result.reason).toBe(
      "the lift's always-valid 90% interval [−4.0%, +8.0%] lies below +10%; more users will not change that",
    );
    expect(isDecided({ state: result.state })).toBe(true);
  });

  it('decides on the criteria as they stand once both arms reach the planned size', () => {
    const atSize = { control: 900, treatment: 905 };
    const wide = evidence([-0.05, 0.3]);
    expect(decide(security, { ...figures, users: atSize, evidence: wide })).toMatchObject({
      state: 'qualifies',
      reason: 'every criterion is met at the planned 900 users per arm',
    });
    const slow = decide(security, { ...figures, p95LatencyMs: 2400, users: atSize, evidence: wide });
    expect(slow.state).toBe('fails');
    expect(slow.reason).toBe(
      'not met at the planned 900 users per arm: p95 latency per user ≤ 2.0 s (2.40 s)',
    );
    expect(isDecided({ state: 'invalid' })).toBe(false);
  });
});
