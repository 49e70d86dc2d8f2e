import { describe, expect, it } from 'vitest';
import { Random } from '../shared/random.js';
import { compareConversions, type ConversionComparison } from './beta-binomial.js';
import { decide, type ReadoutState } from './criteria.js';
import { normalInv } from './distributions.js';
import { loadExperiments } from './experiments.js';
import { usersPerArm } from './experiment-plan.js';
import { sequentialLift, sequentialZ } from './sequential.js';

describe('sequentialZ (the normal-mixture boundary)', () => {
  it('is wider than the fixed interval, narrowest relative to √n at the tuned size, and grows slowly after', () => {
    // At the tuned size r = −2 ln α + ln(1 − 2 ln α): √(2(r+1)/r · ln(√(r+1)/α)) = 2.764 for α = 0.1.
    expect(sequentialZ(1000, 1000, 0.1)).toBeCloseTo(2.764, 3);
    for (const n of [10, 100, 1000, 10_000, 100_000]) {
      expect(sequentialZ(n, 1000, 0.1)).toBeGreaterThan(normalInv(0.95));
    }
    expect(sequentialZ(100_000, 1000, 0.1)).toBeLessThan(4.2);
  });

  it('gives no interval without users, and one that holds the estimate otherwise', () => {
    expect(sequentialLift({ users: 0, conversions: 0 }, { users: 5, conversions: 1 }, 2000, 0.9)).toBeNull();
    const cs = sequentialLift({ users: 6, conversions: 0 }, { users: 2, conversions: 0 }, 2000, 0.9)!;
    expect(cs.lower).toBeLessThan(0);
    expect(cs.upper).toBeGreaterThan(0);
  });
});

/**
 * Calibration under continuous monitoring, on seeded binomial data (no pipeline): control 50%, a planned
 * +10% lift at 90% confidence and 80% power, a look after every 50 users per arm up to the planned size.
 * - A/A: how often "the treatment beats control" is claimed, by naive peeking at the fixed-size criterion
 *   (P(beat) ≥ 90% at any look) and by the readout's rule (always-valid interval before the planned size, the
 *   criteria at it; stop at the first decision).
 * - A/B at the planned lift: the rule's power against the planner's 80%; coverage of the reported 90%
 *   intervals at the planned size; how often the always-valid interval ever misses the true lift.
 * Tolerances are about two binomial standard errors for the run counts used.
 */
const security = loadExperiments().find((e) => e.id === 'security-level')!;
const experiment = { ...security, criteria: [{ kind: 'confidence' as const }] };
const BASELINE = 0.5;
const LIFT = 0.1;
const CONFIDENCE = 0.9;
const PLANNED = usersPerArm(BASELINE, LIFT, CONFIDENCE, 0.8);
const LOOK_EVERY = 50;
const RUNS = 1000;
/** Every A/B run needs the Beta integration at the planned size (for coverage): fewer runs keep it fast. */
const AB_RUNS = 600;
const Z_FIXED = normalInv(CONFIDENCE);

interface Monitored {
  /** Naive peeking: P(beat) ≥ 90% (normal approximation of the same log lift) at any look. */
  naive: boolean;
  /** The readout's first decided state (or inconclusive), and at how many users per arm. */
  state: ReadoutState;
  at: number;
  /** The always-valid interval missed the true lift at some look. */
  sequenceMissed: boolean;
  /** The fixed-size comparison at the planned size (the figures the reported intervals come from). */
  atPlanned: ConversionComparison | null;
}

/**
 * One monitored run. The Beta integration (compareConversions) is the costly part, so it runs only where the
 * rule can decide (the always-valid interval excludes 0, or the planned size is reached) and, with `skipFar`,
 * not at the planned size when the normal approximation puts P(beat) under 70%, far from the 90% the only
 * criterion needs (the decision there is "fails" either way).
 */
function monitor(random: Random, pControl: number, pTreatment: number, skipFar = false): Monitored {
  const trueLift = pTreatment / pControl - 1;
  let n = 0;
  let xc = 0;
  let xt = 0;
  let naive = false;
  let sequenceMissed = false;
  let decided: { state: ReadoutState; at: number } | undefined;
  let atPlanned: ConversionComparison | null = null;
  while (n < PLANNED) {
    const step = Math.min(LOOK_EVERY, PLANNED - n);
    xc += random.binomial(step, pControl);
    xt += random.binomial(step, pTreatment);
    n += step;
    const control = { users: n, conversions: xc };
    const treatment = { users: n, conversions: xt };
    const lift = sequentialLift(control, treatment, 2 * PLANNED, CONFIDENCE)!;
    sequenceMissed ||= trueLift < lift.lower || trueLift > lift.upper;
    const [pc, pt] = [xc / n, xt / n];
    const z = (pt - pc) / Math.sqrt((pc * (1 - pc) + pt * (1 - pt)) / n);
    naive ||= z >= Z_FIXED;
    const last = n >= PLANNED;
    if (last && skipFar && z < normalInv(0.7)) {
      return {
        naive,
        state: decided?.state ?? 'fails',
        at: decided?.at ?? n,
        sequenceMissed,
        atPlanned: null,
      };
    }
    if (last || (!decided && (lift.lower > 0 || lift.upper < 0))) {
      const figures = compareConversions(control, treatment, CONFIDENCE);
      atPlanned = last ? figures : null;
      if (decided) {
        break;
      }
      const { state } = decide(experiment, {
        lift: figures.lift?.estimate ?? null,
        probabilityToBeat: figures.probabilityToBeat,
        costIncrease: null,
        p95LatencyMs: null,
        users: { control: n, treatment: n },
        evidence: {
          requiredUsersPerArm: PLANNED,
          sequential: { lift, costIncrease: null },
          more: null,
        },
      });
      if (state !== 'inconclusive') {
        decided = { state, at: n };
      }
    }
  }
  return {
    naive,
    state: decided?.state ?? 'inconclusive',
    at: decided?.at ?? n,
    sequenceMissed,
    atPlanned,
  };
}

const share = (runs: Monitored[], test: (r: Monitored) => boolean) => runs.filter(test).length / runs.length;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

describe(`calibration under continuous monitoring (look every ${LOOK_EVERY} users per arm)`, () => {
  it('keeps false positives at 10% where naive peeking at the fixed criterion does not (A/A)', () => {
    const random = new Random(20261204);
    const runs = Array.from({ length: RUNS }, () => monitor(random, BASELINE, BASELINE, true));
    const naive = share(runs, (r) => r.naive);
    const rule = share(runs, (r) => r.state === 'qualifies');
    const early = share(runs, (r) => r.state === 'qualifies' && r.at < PLANNED);
    console.log(
      `A/A, ${RUNS} runs, ${PLANNED} users per arm planned: false positives: naive peeking ${pct(naive)}, ` +
        `readout rule ${pct(rule)} (of which before the planned size ${pct(early)})`,
    );
    expect(naive).toBeGreaterThan(0.12);
    expect(rule).toBeLessThanOrEqual(0.12);
  });

  it('gives the planner’s power at the planned size and 90% coverage of the reported intervals (A/B, +10%)', () => {
    const random = new Random(7);
    const treatmentRate = BASELINE * (1 + LIFT);
    const runs = Array.from({ length: AB_RUNS }, () => monitor(random, BASELINE, treatmentRate));
    const planned = runs.map((r) => r.atPlanned!);
    const power = share(runs, (r) => r.state === 'qualifies');
    const fixedPower = planned.filter((c) => c.probabilityToBeat! >= CONFIDENCE).length / AB_RUNS;
    const early = share(runs, (r) => r.state === 'qualifies' && r.at < PLANNED);
    const liftCoverage =
      planned.filter((c) => c.lift!.lower <= LIFT && LIFT <= c.lift!.upper).length / AB_RUNS;
    const rateCoverage =
      planned.filter((c) => c.treatment.lower! <= treatmentRate && treatmentRate <= c.treatment.upper!)
        .length / AB_RUNS;
    const sequenceCoverage = share(runs, (r) => !r.sequenceMissed);
    console.log(
      `A/B +10%, ${AB_RUNS} runs: power of the readout rule ${pct(power)} (decided early ${pct(early)}), ` +
        `fixed-size test at ${PLANNED} users ${pct(fixedPower)} (planner: 80%); coverage at the planned size: ` +
        `lift ${pct(liftCoverage)}, rate ${pct(rateCoverage)}; always-valid interval never missed: ${pct(sequenceCoverage)}`,
    );
    expect(Math.abs(power - 0.8)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(fixedPower - 0.8)).toBeLessThanOrEqual(0.05);
    expect(Math.abs(liftCoverage - 0.9)).toBeLessThanOrEqual(0.03);
    expect(Math.abs(rateCoverage - 0.9)).toBeLessThanOrEqual(0.03);
    expect(sequenceCoverage).toBeGreaterThanOrEqual(0.9);
  });
});
