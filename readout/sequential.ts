/**
 * Always-valid (anytime) confidence intervals: the asymptotic confidence sequence of Waudby-Smith, Arbour,
 * Sinha, Kennedy & Ramdas ("Time-uniform central limit theory and asymptotic confidence sequences", 2023),
 * built on the two-sided normal-mixture boundary of Howard, Ramdas, McAuliffe & Sekhon ("Time-uniform,
 * nonparametric, nonasymptotic confidence sequences", Ann. Statist. 2021, eq. 14). It is the method behind
 * GrowthBook's and Eppo's sequential modes: an estimate θ̂ₙ with standard error seₙ gets the interval
 * θ̂ₙ ± seₙ·√(2(r+1)/r · ln(√(r+1)/α)), r = n·ρ², which holds at every n at once with probability ≥ 1 − α, so
 * the readout may be looked at after every result without inflating false positives.
 */

/** An interval of a relative change (0.1 = +10%). */
export interface Interval {
  lower: number;
  upper: number;
}

/**
 * The mixture's ρ² tuned so that the sequence is narrowest when `tuningUsers` users are in (GrowthBook's
 * choice; Howard et al. 2021, eq. 15). It must be fixed before the data are seen: the readout tunes it to the
 * planned sample size at the planned baseline, not to anything observed.
 */
function rhoSquared(tuningUsers: number, alpha: number): number {
  const l = -2 * Math.log(alpha);
  return (l + Math.log(l + 1)) / tuningUsers;
}

/**
 * How many standard errors the always-valid interval spans on each side with `users` users in, at level
 * 1 − alpha (two-sided): 2.76 at the tuned size for α = 0.1, against 1.64 for a fixed-sample interval.
 */
export function sequentialZ(users: number, tuningUsers: number, alpha: number): number {
  const r = users * rhoSquared(tuningUsers, alpha);
  return Math.sqrt(((2 * (r + 1)) / r) * Math.log(Math.sqrt(r + 1) / alpha));
}

/**
 * The always-valid interval of a relative change whose log has estimate `logRatio` and standard error `se`
 * (delta method), back on the relative scale: exp(θ̂ ± z·se) − 1.
 */
export function sequentialRelative(
  logRatio: number,
  se: number,
  users: number,
  tuningUsers: number,
  confidence: number,
): Interval {
  const half = sequentialZ(users, tuningUsers, 1 - confidence) * se;
  return { lower: Math.exp(logRatio - half) - 1, upper: Math.exp(logRatio + half) - 1 };
}

/** Rate of an arm as the Beta(1, 1) posterior mean: defined at 0 or all conversions, where the log is not. */
function smoothedRate(users: number, conversions: number): number {
  return (conversions + 1) / (users + 2);
}

/**
 * The always-valid interval of the relative lift of a conversion rate, treatment / control − 1, from the log of
 * the ratio of the arms' posterior-mean rates (the readout's lift estimate) with its delta-method standard
 * error √((1 − p_T)/(n_T·p_T) + (1 − p_C)/(n_C·p_C)). Null when an arm has no users.
 */
export function sequentialLift(
  control: { users: number; conversions: number },
  treatment: { users: number; conversions: number },
  tuningUsers: number,
  confidence: number,
): Interval | null {
  if (control.users === 0 || treatment.users === 0) {
    return null;
  }
  const pc = smoothedRate(control.users, control.conversions);
  const pt = smoothedRate(treatment.users, treatment.conversions);
  const se = Math.sqrt((1 - pt) / (treatment.users * pt) + (1 - pc) / (control.users * pc));
  return sequentialRelative(Math.log(pt / pc), se, control.users + treatment.users, tuningUsers, confidence);
}
