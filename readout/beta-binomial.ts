import {
  betaCdf,
  betaInv,
  betaMean,
  betaPdf,
  betaRange,
  betaSd,
  integrate,
  quadratureRule,
} from './distributions.js';

/** Users in an arm and how many of them converted (had at least one event of the metric). */
export interface ConversionCounts {
  users: number;
  conversions: number;
}

export interface RateEstimate {
  users: number;
  conversions: number;
  /** Observed conversions / users (the maximum-likelihood estimate); null when there are no users. */
  rate: number | null;
  /**
   * Credible interval of the rate at the comparison's confidence: equal-tailed, except at 0 (resp. all)
   * conversions, where it is [0, upper quantile] (resp. [lower quantile, 1]) so that it holds the observed
   * rate. Null when there are no users.
   */
  lower: number | null;
  upper: number | null;
}

export interface ConversionComparison {
  confidence: number;
  control: RateEstimate;
  treatment: RateEstimate;
  /** P(treatment rate > control rate) under the Beta posteriors; null when an arm has no users. */
  probabilityToBeat: number | null;
  /**
   * Relative lift, treatment / control − 1: ratio of posterior means, with an equal-tailed credible interval.
   * Null when an arm has no users or control has no conversions (a change from a zero base is not defined).
   */
  lift: { estimate: number; lower: number; upper: number } | null;
}

/** Beta(1, 1) (uniform) prior, as a conversion experiment without prior knowledge uses. */
const PRIOR = { alpha: 1, beta: 1 };

function posterior(counts: ConversionCounts): [number, number] {
  if (counts.conversions < 0 || counts.users < counts.conversions || !Number.isInteger(counts.conversions)) {
    throw new Error(`invalid counts: ${counts.conversions} conversions of ${counts.users} users`);
  }
  return [PRIOR.alpha + counts.conversions, PRIOR.beta + counts.users - counts.conversions];
}

/** P(X > Y) for X ~ Beta(x), Y ~ Beta(y): ∫ f_X(t) F_Y(t) dt over the bulk of X. */
export function probabilityBeta(x: [number, number], y: [number, number]): number {
  const [lo, hi] = betaRange(x[0], x[1]);
  const p = integrate((t) => betaPdf(t, x[0], x[1]) * betaCdf(t, y[0], y[1]), lo, hi);
  return Math.min(1, Math.max(0, p));
}

/**
 * P(T / C <= r) for T ~ Beta(t), C ~ Beta(c), as a function of r: ∫ f_C(x) F_T(r x) dx. C's density at the
 * quadrature nodes does not depend on r, so it is computed once and reused by every evaluation.
 */
function ratioCdf(t: [number, number], c: [number, number]): (r: number) => number {
  const [lo, hi] = betaRange(c[0], c[1]);
  const { nodes, weights } = quadratureRule(lo, hi);
  const mass = weights.map((w, i) => w * betaPdf(nodes[i] as number, c[0], c[1]));
  return (r) => {
    let sum = 0;
    for (let i = 0; i < nodes.length; i++) {
      sum += (mass[i] as number) * betaCdf(r * (nodes[i] as number), t[0], t[1]);
    }
    return sum;
  };
}

/**
 * Solves f(x) = target for an increasing f on [lo, hi] by the Illinois variant of false position, which
 * keeps bisection's guarantee and converges in a handful of steps on the smooth CDFs here.
 */
function solveIncreasing(f: (x: number) => number, target: number, lo: number, hi: number): number {
  let a = lo;
  let b = hi;
  let fa = f(a) - target;
  let fb = f(b) - target;
  let side = 0;
  for (let i = 0; i < 100 && b - a > 1e-10 * Math.max(1, Math.abs(b)); i++) {
    const x = (a * fb - b * fa) / (fb - fa);
    const fx = f(x) - target;
    if (fx === 0) {
      return x;
    }
    if (fx < 0) {
      a = x;
      fa = fx;
      if (side === -1) {
        fb /= 2;
      }
      side = -1;
    } else {
      b = x;
      fb = fx;
      if (side === 1) {
        fa /= 2;
      }
      side = 1;
    }
  }
  return (a + b) / 2;
}

/** The q-quantile of T / C, bracketed from a log-normal approximation and widened until it holds. */
function ratioQuantile(
  q: number,
  cdf: (r: number) => number,
  t: [number, number],
  c: [number, number],
): number {
  const center = betaMean(t[0], t[1]) / betaMean(c[0], c[1]);
  const sdLog = Math.hypot(
    betaSd(t[0], t[1]) / betaMean(t[0], t[1]),
    betaSd(c[0], c[1]) / betaMean(c[0], c[1]),
  );
  let lo = center * Math.exp(-4 * sdLog);
  let hi = center * Math.exp(4 * sdLog);
  while (cdf(lo) > q && lo > 1e-12) {
    lo /= 2;
  }
  while (cdf(hi) < q && hi < 1e12) {
    hi *= 2;
  }
  return solveIncreasing(cdf, q, lo, hi);
}

/**
 * Beta-Binomial comparison of a conversion metric: each arm's rate gets a Beta(1 + conversions,
 * 1 + users − conversions) posterior; the probability to beat control and the relative lift's credible
 * interval are computed from those posteriors by numerical integration (deterministic: no random draws).
 */
export function compareConversions(
  control: ConversionCounts,
  treatment: ConversionCounts,
  confidence: number,
): ConversionComparison {
  const c = posterior(control);
  const t = posterior(treatment);
  const tail = (1 - confidence) / 2;
  const estimate = (counts: ConversionCounts, [a, b]: [number, number]): RateEstimate => {
    const { users, conversions } = counts;
    if (users === 0) {
      return { users, conversions, rate: null, lower: null, upper: null };
    }
    // At a boundary the equal-tailed interval would exclude the observed rate (0 of 6 → [0.5%, 25.9%]): use
    // the one-sided interval at the same confidence, which holds it.
    return {
      users,
      conversions,
      rate: conversions / users,
      lower: conversions === 0 ? 0 : betaInv(conversions === users ? 1 - confidence : tail, a, b),
      upper: conversions === users ? 1 : betaInv(conversions === 0 ? confidence : 1 - tail, a, b),
    };
  };
  const bothArms = control.users > 0 && treatment.users > 0;
  return {
    confidence,
    control: estimate(control, c),
    treatment: estimate(treatment, t),
    probabilityToBeat: bothArms ? probabilityBeta(t, c) : null,
    lift: bothArms && control.conversions > 0 ? relativeLift(t, c, tail) : null,
  };
}

function relativeLift(t: [number, number], c: [number, number], tail: number): ConversionComparison['lift'] {
  const ratio = ratioCdf(t, c);
  return {
    estimate: betaMean(t[0], t[1]) / betaMean(c[0], c[1]) - 1,
    lower: ratioQuantile(tail, ratio, t, c) - 1,
    upper: ratioQuantile(1 - tail, ratio, t, c) - 1,
  };
}
