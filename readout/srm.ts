import { chiSquareSurvival } from './distributions.js';

/** p below which a sample ratio mismatch is flagged (the usual, deliberately strict, threshold). */
export const SRM_THRESHOLD = 0.001;

export interface SrmCheck {
  observed: number[];
  expectedShares: number[];
  chiSquare: number;
  pValue: number;
  /** True when p < 0.001: the split is not what the rollout promised, so the comparison is suspect. */
  flagged: boolean;
}

/**
 * Pearson chi-square goodness-of-fit of the users per arm against the rollout weights. A mismatch means
 * assignment or recording lost users unevenly (e.g. one variation fails more), which biases every metric.
 */
export function sampleRatioMismatch(observed: number[], weights: number[]): SrmCheck {
  const total = observed.reduce((a, b) => a + b, 0);
  const weightSum = weights.reduce((a, b) => a + b, 0);
  const expectedShares = weights.map((w) => w / weightSum);
  if (total === 0) {
    return { observed, expectedShares, chiSquare: 0, pValue: 1, flagged: false };
  }
  const chiSquare = observed.reduce((sum, o, i) => {
    const e = total * (expectedShares[i] as number);
    return sum + (o - e) ** 2 / e;
  }, 0);
  const pValue = chiSquareSurvival(chiSquare, observed.length - 1);
  return { observed, expectedShares, chiSquare, pValue, flagged: pValue < SRM_THRESHOLD };
}
