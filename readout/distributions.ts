import jstat from 'jstat';

const { jStat } = jstat;

/** Density of Beta(a, b) at x. */
export function betaPdf(x: number, a: number, b: number): number {
  if (x <= 0 || x >= 1) {
    return 0;
  }
  return jStat.beta.pdf(x, a, b);
}

/** Regularised incomplete beta: P(X <= x) for X ~ Beta(a, b). */
export function betaCdf(x: number, a: number, b: number): number {
  if (x <= 0) {
    return 0;
  }
  if (x >= 1) {
    return 1;
  }
  return jStat.beta.cdf(x, a, b);
}

export function betaInv(p: number, a: number, b: number): number {
  return jStat.beta.inv(p, a, b);
}

export function betaMean(a: number, b: number): number {
  return a / (a + b);
}

export function betaSd(a: number, b: number): number {
  return Math.sqrt((a * b) / ((a + b) ** 2 * (a + b + 1)));
}

/** The standard normal quantile. */
export function normalInv(p: number): number {
  return jStat.normal.inv(p, 0, 1);
}

/** P(X > x) for X ~ chi-square with `dof` degrees of freedom. */
export function chiSquareSurvival(x: number, dof: number): number {
  return 1 - jStat.chisquare.cdf(x, dof);
}

/** Nodes and weights of n-point Gauss–Legendre quadrature on [-1, 1] (Newton on the Legendre recurrence). */
function gaussLegendre(n: number): { nodes: Float64Array; weights: Float64Array } {
  const nodes = new Float64Array(n);
  const weights = new Float64Array(n);
  for (let i = 0; i < Math.ceil(n / 2); i++) {
    let x = Math.cos((Math.PI * (i + 0.75)) / (n + 0.5));
    let dp = 0;
    for (let iter = 0; iter < 100; iter++) {
      let p0 = 1;
      let p1 = x;
      for (let k = 2; k <= n; k++) {
        const p2 = ((2 * k - 1) * x * p1 - (k - 1) * p0) / k;
        p0 = p1;
        p1 = p2;
      }
      dp = (n * (x * p1 - p0)) / (x * x - 1);
      const dx = p1 / dp;
      x -= dx;
      if (Math.abs(dx) < 1e-15) {
        break;
      }
    }
    nodes[i] = -x;
    nodes[n - 1 - i] = x;
    weights[i] = weights[n - 1 - i] = 2 / ((1 - x * x) * dp * dp);
  }
  return { nodes, weights };
}

const RULE = gaussLegendre(20);
const PANELS = 4;

/**
 * Nodes and weights of composite Gauss–Legendre quadrature (4 panels of 20 nodes) on [lo, hi]: Σ wᵢ f(xᵢ)
 * integrates the smooth, unimodal integrands of the Beta comparisons to ~1e-9 once [lo, hi] brackets the
 * mass (see {@link betaRange}). Returned as arrays so a caller can reuse them for many integrands.
 */
export function quadratureRule(lo: number, hi: number): { nodes: Float64Array; weights: Float64Array } {
  const size = RULE.nodes.length;
  const nodes = new Float64Array(PANELS * size);
  const weights = new Float64Array(PANELS * size);
  const width = (hi - lo) / PANELS;
  for (let p = 0; p < PANELS; p++) {
    const mid = lo + (p + 0.5) * width;
    for (let i = 0; i < size; i++) {
      nodes[p * size + i] = mid + (width / 2) * (RULE.nodes[i] as number);
      weights[p * size + i] = (width / 2) * (RULE.weights[i] as number);
    }
  }
  return { nodes, weights };
}

/** ∫ f over [lo, hi] with {@link quadratureRule}. */
export function integrate(f: (x: number) => number, lo: number, hi: number): number {
  const { nodes, weights } = quadratureRule(lo, hi);
  let sum = 0;
  for (let i = 0; i < nodes.length; i++) {
    sum += (weights[i] as number) * f(nodes[i] as number);
  }
  return sum;
}

/** An interval holding all but a negligible share (~1e-6 or less) of Beta(a, b)'s mass, clipped to [0, 1]. */
export function betaRange(a: number, b: number): [number, number] {
  const mean = betaMean(a, b);
  const sd = betaSd(a, b);
  // 12 sd is far into the tails for large counts; for small ones the clip to [0, 1] takes over.
  return [Math.max(0, mean - 12 * sd), Math.min(1, mean + 12 * sd)];
}
