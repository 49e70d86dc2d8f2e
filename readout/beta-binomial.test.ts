import jstat from 'jstat';
import { describe, expect, it } from 'vitest';
import { compareConversions } from './beta-binomial.js';

/**
 * Reference values computed independently with SciPy 1.17 (`/tmp`-style script kept in this comment):
 *   C = beta(1+cc, 1+cn-cc); T = beta(1+tc, 1+tn-tc)
 *   P(beat) = quad(lambda x: T.pdf(x) * C.cdf(x), T.ppf(1e-12), T.ppf(1-1e-12), epsabs=1e-12)
 *   lift q  = brentq(r: quad(lambda x: C.pdf(x) * T.cdf(r*x), ...) - q) - 1     for q = 0.05, 0.95
 *   control rate interval = C.ppf(0.05), C.ppf(0.95)
 * Columns: control conversions, control users, treatment conversions, treatment users, P(beat), lift 5%,
 * lift 95%, control rate 5%, control rate 95%.
 */
const SCIPY: [number, number, number, number, number, number, number, number, number][] = [
  [50, 100, 60, 100, 0.921426, -0.028771, 0.483789, 0.418909, 0.581091],
  [10, 200, 18, 200, 0.939123, -0.034098, 2.291301, 0.03099, 0.082928],
  [480, 1000, 520, 1000, 0.963122, 0.006421, 0.166148, 0.454113, 0.506012],
  [3000, 10000, 3100, 10000, 0.937699, -0.002326, 0.070265, 0.292526, 0.3076],
  [45, 90, 44, 110, 0.079266, -0.380072, 0.037591, 0.414655, 0.585345],
];

/**
 * A second, formula-based check: Evan Miller's closed form for P(pT > pC) with integer Beta parameters,
 * P = Σ_{i=0}^{αT−1} B(αC+i, βC+βT) / ((βT+i) B(1+i, βT) B(αC, βC)), summed in log space.
 */
function closedForm(cc: number, cn: number, tc: number, tn: number): number {
  const { betaln } = jstat.jStat;
  const [aC, bC, aT, bT] = [1 + cc, 1 + cn - cc, 1 + tc, 1 + tn - tc];
  let total = 0;
  for (let i = 0; i < aT; i++) {
    total += Math.exp(betaln(aC + i, bC + bT) - Math.log(bT + i) - betaln(1 + i, bT) - betaln(aC, bC));
  }
  return total;
}

describe('compareConversions', () => {
  it.each(SCIPY)(
    'control %i/%i vs treatment %i/%i matches SciPy integration',
    (cc, cn, tc, tn, pBeat, lift05, lift95, rate05, rate95) => {
      const result = compareConversions({ conversions: cc, users: cn }, { conversions: tc, users: tn }, 0.9);
      expect(Math.abs(result.probabilityToBeat! - pBeat)).toBeLessThan(0.005);
      expect(Math.abs(result.probabilityToBeat! - closedForm(cc, cn, tc, tn))).toBeLessThan(0.005);
      const lift = result.lift!;
      expect(lift.lower).toBeCloseTo(lift05, 2);
      expect(Math.abs(lift.upper - lift95)).toBeLessThan(0.002);
      expect(result.control.lower).toBeCloseTo(rate05, 4);
      expect(result.control.upper).toBeCloseTo(rate95, 4);
      expect(lift.lower).toBeLessThan(lift.estimate);
      expect(lift.estimate).toBeLessThan(lift.upper);
    },
  );

  it('gives one half for identical arms and is symmetric when the arms swap', () => {
    const same = compareConversions({ conversions: 40, users: 100 }, { conversions: 40, users: 100 }, 0.9);
    expect(same.probabilityToBeat).toBeCloseTo(0.5, 6);
    const ab = compareConversions({ conversions: 30, users: 100 }, { conversions: 42, users: 120 }, 0.9);
    const ba = compareConversions({ conversions: 42, users: 120 }, { conversions: 30, users: 100 }, 0.9);
    expect(ab.probabilityToBeat! + ba.probabilityToBeat!).toBeCloseTo(1, 6);
  });

  it('keeps the observed rate inside its interval at 0 and at all conversions (one-sided at the boundary)', () => {
    // SciPy: beta(1, 21).ppf(0.9) = 1 − 0.1^(1/21); beta(21, 1).ppf(0.1) = 0.1^(1/21).
    const zero = compareConversions({ conversions: 0, users: 20 }, { conversions: 20, users: 20 }, 0.9);
    expect(zero.control).toMatchObject({ rate: 0, lower: 0 });
    expect(zero.control.upper).toBeCloseTo(1 - 0.1 ** (1 / 21), 6);
    expect(zero.treatment).toMatchObject({ rate: 1, upper: 1 });
    expect(zero.treatment.lower).toBeCloseTo(0.1 ** (1 / 21), 6);
    // A change from a zero base is not defined; the probability to beat still is.
    expect(zero.lift).toBeNull();
    expect(zero.probabilityToBeat).toBeGreaterThan(0.999);
    // 0 of 6 was shown as 0.0% [0.5%, 25.9%], the estimate outside its own interval.
    const six = compareConversions({ conversions: 0, users: 6 }, { conversions: 1, users: 2 }, 0.9);
    expect(six.control.lower).toBe(0);
    expect(six.control.upper).toBeCloseTo(1 - 0.1 ** (1 / 7), 6);
  });

  it('gives an arm without users no rate, interval, lift or probability, and rejects impossible counts', () => {
    const empty = compareConversions({ conversions: 0, users: 0 }, { conversions: 3, users: 5 }, 0.9);
    expect(empty.control).toEqual({ users: 0, conversions: 0, rate: null, lower: null, upper: null });
    expect(empty.treatment.rate).toBe(0.6);
    expect(empty.probabilityToBeat).toBeNull();
    expect(empty.lift).toBeNull();
    expect(() => compareConversions({ conversions: 5, users: 3 }, { conversions: 0, users: 1 }, 0.9)).toThrow(
      /5 conversions of 3 users/,
    );
  });
});
