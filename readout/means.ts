import { normalInv } from './distributions.js';

export interface MeanEstimate {
  n: number;
  mean: number;
  sd: number;
}

export interface MeanComparison {
  confidence: number;
  control: MeanEstimate;
  treatment: MeanEstimate;
  /**
   * Treatment mean / control mean − 1 with its interval and the standard error of the ratio's log (null when
   * the treatment's mean is 0); null when control's mean is 0 or an arm is empty.
   */
  relative: { estimate: number; lower: number; upper: number; logSe: number | null } | null;
}

export function summarize(values: ArrayLike<number>): MeanEstimate {
  const n = values.length;
  if (n === 0) {
    return { n: 0, mean: 0, sd: 0 };
  }
  let sum = 0;
  for (let i = 0; i < n; i++) {
    sum += values[i] as number;
  }
  const mean = sum / n;
  let squares = 0;
  for (let i = 0; i < n; i++) {
    squares += ((values[i] as number) - mean) ** 2;
  }
  return { n, mean, sd: n > 1 ? Math.sqrt(squares / (n - 1)) : 0 };
}

/**
 * Relative difference of two means (per-user tokens or cost) with a normal-theory interval on the log of the
 * ratio (delta method): log(mT/mC) ± z·√(sT²/(nT·mT²) + sC²/(nC·mC²)). Working on the log keeps the
 * interval inside (−100%, ∞) and suits the right-skewed per-user sums these metrics are.
 */
export function compareMeans(
  control: ArrayLike<number>,
  treatment: ArrayLike<number>,
  confidence: number,
): MeanComparison {
  const c = summarize(control);
  const t = summarize(treatment);
  let relative: MeanComparison['relative'] = null;
  if (c.n > 0 && t.n > 0 && c.mean > 0 && t.mean > 0) {
    const ratio = t.mean / c.mean;
    const se = Math.sqrt(t.sd ** 2 / (t.n * t.mean ** 2) + c.sd ** 2 / (c.n * c.mean ** 2));
    const z = normalInv(1 - (1 - confidence) / 2);
    relative = {
      estimate: ratio - 1,
      lower: ratio * Math.exp(-z * se) - 1,
      upper: ratio * Math.exp(z * se) - 1,
      logSe: se,
    };
  } else if (c.n > 0 && t.n > 0 && c.mean > 0) {
    // Treatment's mean is 0: the ratio is exactly −100% and its log is undefined.
    relative = { estimate: -1, lower: -1, upper: -1, logSe: null };
  }
  return { confidence, control: c, treatment: t, relative };
}
