import { describe, expect, it } from 'vitest';
import { Random } from '../shared/random.js';
import { compareMeans } from './means.js';
import { bootstrapQuantile, nearestRank, sortedCopy } from './quantile-bootstrap.js';
import { sampleRatioMismatch } from './srm.js';

describe('sampleRatioMismatch', () => {
  // Reference: scipy.stats.chisquare(observed, expected) with SciPy 1.17.
  it.each([
    [[480, 520], [50, 50], 1.6, 0.2059032107, false],
    [[1000, 1200], [50, 50], 18.1818181818, 2.007865612e-5, true],
    [[300, 700], [30, 70], 0, 1, false],
    [[560, 440], [50, 50], 14.4, 1.478023103e-4, true],
  ])('%j against weights %j: χ² %d, p %d', (observed, weights, chi, p, flagged) => {
    const srm = sampleRatioMismatch(observed, weights);
    expect(srm.chiSquare).toBeCloseTo(chi, 6);
    expect(Math.abs(srm.pValue - p)).toBeLessThan(Math.max(1e-7, p * 1e-4));
    expect(srm.flagged).toBe(flagged);
  });
});

describe('compareMeans', () => {
  it('computes the relative difference and a log-scale interval by the delta method', () => {
    const result = compareMeans([1, 2, 3, 4], [2, 4, 6, 8], 0.9);
    expect(result.control).toEqual({ n: 4, mean: 2.5, sd: Math.sqrt(5 / 3) });
    expect(result.relative?.estimate).toBeCloseTo(1, 12);
    // By hand: se = √(sT²/(nT·mT²) + sC²/(nC·mC²)) = √(2·(5/3)/(4·6.25)) = 0.3651…, z(0.95) = 1.6449.
    const se = Math.sqrt((2 * (5 / 3)) / (4 * 6.25));
    expect(result.relative?.lower).toBeCloseTo(2 * Math.exp(-1.6448536 * se) - 1, 6);
    expect(result.relative?.upper).toBeCloseTo(2 * Math.exp(1.6448536 * se) - 1, 6);
  });

  it('covers the true ratio of log-normal means in about 90% of 400 seeded datasets', () => {
    const random = new Random(99);
    const draw = (n: number, mu: number) => Array.from({ length: n }, () => Math.exp(random.normal(mu, 0.5)));
    // Means are exp(mu + 0.125); a shift of log(1.3) in mu is a true ratio of 1.3, i.e. +30%.
    let covered = 0;
    for (let i = 0; i < 400; i++) {
      const { relative } = compareMeans(draw(200, 0), draw(200, Math.log(1.3)), 0.9);
      if (relative && relative.lower <= 0.3 && 0.3 <= relative.upper) {
        covered++;
      }
    }
    expect(covered / 400).toBeGreaterThan(0.85);
    expect(covered / 400).toBeLessThan(0.95);
  });

  it('has no relative difference when an arm is empty or control is zero', () => {
    expect(compareMeans([], [1, 2], 0.9).relative).toBeNull();
    expect(compareMeans([0, 0], [1, 2], 0.9).relative).toBeNull();
    expect(compareMeans([1, 2], [0, 0], 0.9).relative).toEqual({
      estimate: -1,
      lower: -1,
      upper: -1,
      logSe: null,
    });
  });
});

describe('bootstrapQuantile', () => {
  const random = new Random(5);
  const sample = Array.from({ length: 1500 }, () => 800 + 1200 * random.next() ** 2);

  it('takes the nearest-rank p95', () => {
    expect(nearestRank(sortedCopy([5, 1, 4, 2, 3]), 0.95)).toBe(5);
    expect(nearestRank(sortedCopy(Array.from({ length: 100 }, (_, i) => i + 1)), 0.95)).toBe(95);
    expect(bootstrapQuantile([], 0.95, 0.9, new Random(1))).toMatchObject({ value: 0, lower: 0, upper: 0 });
  });

  it('matches a plain resampling bootstrap (n index draws per resample, 4,000 resamples)', () => {
    const fast = bootstrapQuantile(sample, 0.95, 0.9, new Random(11));
    // Independent check: the textbook bootstrap, resampling values with replacement and sorting.
    const plain = new Random(12);
    const estimates = new Float64Array(4000);
    for (let b = 0; b < estimates.length; b++) {
      const resample = new Float64Array(sample.length);
      for (let i = 0; i < sample.length; i++) {
        resample[i] = sample[Math.floor(plain.next() * sample.length)] as number;
      }
      estimates[b] = nearestRank(resample.sort(), 0.95);
    }
    estimates.sort();
    const spread = nearestRank(estimates, 0.95) - nearestRank(estimates, 0.05);
    expect(Math.abs(fast.lower - nearestRank(estimates, 0.05))).toBeLessThan(0.1 * spread);
    expect(Math.abs(fast.upper - nearestRank(estimates, 0.95))).toBeLessThan(0.1 * spread);
    expect(fast.lower).toBeLessThanOrEqual(fast.value);
    expect(fast.value).toBeLessThanOrEqual(fast.upper);
  });

  it('gives the same interval for the same seed, and another for another seed', () => {
    const a = bootstrapQuantile(sample, 0.95, 0.9, new Random(3));
    const b = bootstrapQuantile(sample, 0.95, 0.9, new Random(3));
    expect(a).toEqual(b);
    // The seed drives the resamples: a different one moves the bounds, never the point estimate.
    const c = bootstrapQuantile(sample, 0.95, 0.9, new Random(4));
    expect(c.value).toBe(a.value);
    expect([c.lower, c.upper]).not.toEqual([a.lower, a.upper]);
  });
});
