import { describe, expect, it } from 'vitest';
import { Random } from '../shared/random.js';
import { compareConversions } from './beta-binomial.js';

/**
 * Calibration on seeded synthetic data (binomial draws, no pipeline). With a uniform prior, the probability
 * to beat control is uniformly distributed when both arms are equal, so 10% of A/A datasets should reach
 * 90%; and a 90% credible interval for the lift should cover the true lift in about 90% of datasets. The
 * ±3% tolerance is about three binomial standard errors for 1,000 datasets (√(0.1·0.9/1000) ≈ 0.95%).
 */
const DATASETS = 1000;
const USERS_PER_ARM = 400;

describe('calibration of the Beta-Binomial readout', () => {
  it('reaches 90% probability to beat control in 10% ± 3% of 1,000 A/A datasets', () => {
    const random = new Random(20261126);
    let reached = 0;
    for (let i = 0; i < DATASETS; i++) {
      const result = compareConversions(
        { users: USERS_PER_ARM, conversions: random.binomial(USERS_PER_ARM, 0.5) },
        { users: USERS_PER_ARM, conversions: random.binomial(USERS_PER_ARM, 0.5) },
        0.9,
      );
      if (result.probabilityToBeat! >= 0.9) {
        reached++;
      }
    }
    expect(reached / DATASETS).toBeGreaterThanOrEqual(0.07);
    expect(reached / DATASETS).toBeLessThanOrEqual(0.13);
  });

  it('covers a true +20% lift (0.50 → 0.60) with its 90% interval in 90% ± 3% of 1,000 datasets', () => {
    const random = new Random(7);
    let covered = 0;
    for (let i = 0; i < DATASETS; i++) {
      const { lift } = compareConversions(
        { users: USERS_PER_ARM, conversions: random.binomial(USERS_PER_ARM, 0.5) },
        { users: USERS_PER_ARM, conversions: random.binomial(USERS_PER_ARM, 0.6) },
        0.9,
      );
      if (lift && lift.lower <= 0.2 && 0.2 <= lift.upper) {
        covered++;
      }
    }
    expect(covered / DATASETS).toBeGreaterThanOrEqual(0.87);
    expect(covered / DATASETS).toBeLessThanOrEqual(0.93);
  });
});
