import type { Criterion, Experiment } from './experiments.js';
import {
  boundPercent,
  count,
  digitsAgainst,
  percent,
  probability,
  pValue,
  seconds,
  signedPercent,
  usd,
} from './format.js';
import type { Interval } from './sequential.js';

/** What a decision before the planned sample size may rest on (see `decide`). */
export interface Evidence {
  /**
   * Users each arm needs for the experiment's lift criterion at its confidence with 80% power (the planner's
   * `usersPerArm`); null when there is no lift criterion to size for (then only the intervals below decide).
   */
  requiredUsersPerArm: number | null;
  /** Always-valid intervals at the experiment's confidence (readout/sequential.ts). */
  sequential: { lift: Interval | null; costIncrease: Interval | null };
  /** How much more the run needs to reach the required size, at the run's observed rates; null when unknown. */
  more: { queries: number; usd: number | null } | null;
}

/** The figures an experiment's criteria are judged on; null when the data cannot give one. */
export interface DecisionFigures {
  /** Relative lift of the positive-feedback rate per user (0.12 = +12%); null when not defined. */
  lift: number | null;
  /** Probability that the treatment beats control on positive feedback. */
  probabilityToBeat: number | null;
  /** Relative change of the mean cost per user (0.03 = +3%). */
  costIncrease: number | null;
  /** The treatment's p95 across users of per-user summed duration, ms. */
  p95LatencyMs: number | null;
  /** Why latency criteria are not evaluated (e.g. the simulator answered at once); absent when they are. */
  latencyNotEvaluated?: string;
  /** Users per arm; an empty arm means no decision. */
  users?: { control: number; treatment: number };
  /** The sample-ratio-mismatch check; a flagged mismatch means no decision. */
  srm?: { pValue: number; flagged: boolean };
  /** Sample size and always-valid intervals; without it the figures are taken as final (fixed-size test). */
  evidence?: Evidence;
}

export interface CriterionResult {
  kind: Criterion['kind'];
  /** What is required, e.g. "lift in positive feedback rate per user ≥ +10%". */
  label: string;
  /** The measured figure (null when unavailable) and how it is shown, e.g. "+12.0%". */
  figure: number | null;
  /** The threshold in the figure's unit (fraction, probability, seconds or ratio). */
  threshold: number;
  display: string;
  /** Null when the criterion is not evaluated (see `note`). */
  pass: boolean | null;
  /** Why a criterion passed, failed or was not evaluated in a way the figure alone does not say. */
  note?: string;
}

/**
 * qualifies: every criterion is met, on enough users or with always-valid confidence; fails: a criterion is
 * not met at the planned size, or fails with always-valid confidence before it; futile: the always-valid
 * interval of the lift lies below the minimum lift; inconclusive: not enough evidence either way yet;
 * invalid: the arms are not comparable (sample ratio mismatch).
 */
export type ReadoutState = 'qualifies' | 'fails' | 'futile' | 'inconclusive' | 'invalid';

export interface Decision {
  criteria: CriterionResult[];
  state: ReadoutState;
  /** The sentence to act on: the experiment's pass or fail sentence, or why there is no decision. */
  decision: string;
  /** One line on what decided it. */
  reason: string;
}

/** Below this a relative cost change is rounding noise of summed floats, i.e. no change. */
const NO_CHANGE = 1e-9;

/** lift % / cost increase %, or null when cost did not rise (then the ratio is not defined). */
export function costValueRatio(lift: number | null, costIncrease: number | null): number | null {
  if (lift == null || costIncrease == null || costIncrease <= NO_CHANGE) {
    return null;
  }
  return lift / costIncrease;
}

/** A missing figure: no users in an arm, or a relative change from a zero base. */
function missing(f: DecisionFigures): string {
  return f.users && (f.users.control === 0 || f.users.treatment === 0) ? 'no users' : 'not defined';
}

function evaluate(criterion: Criterion, exp: Experiment, f: DecisionFigures): CriterionResult {
  switch (criterion.kind) {
    case 'lift':
      return {
        kind: criterion.kind,
        label: `lift in positive feedback rate per user ≥ ${signedPercent(criterion.min, 0)}`,
        figure: f.lift,
        threshold: criterion.min,
        display:
          f.lift == null ? missing(f) : signedPercent(f.lift, digitsAgainst(f.lift, criterion.min, 1, 100)),
        pass: f.lift != null && f.lift >= criterion.min,
        ...(f.lift == null && missing(f) === 'not defined'
          ? { note: 'control has no positive feedback: a change from zero is not defined' }
          : {}),
      };
    case 'confidence': {
      const min = criterion.min ?? exp.confidence;
      return {
        kind: criterion.kind,
        label: `probability to beat control ≥ ${percent(min, 0)}`,
        figure: f.probabilityToBeat,
        threshold: min,
        display:
          f.probabilityToBeat == null
            ? missing(f)
            : probability(f.probabilityToBeat, digitsAgainst(f.probabilityToBeat, min, 1, 100)),
        pass: f.probabilityToBeat != null && f.probabilityToBeat >= min,
      };
    }
    case 'cost_increase':
      return {
        kind: criterion.kind,
        label: `cost increase per user ≤ ${signedPercent(criterion.max, 0)}`,
        figure: f.costIncrease,
        threshold: criterion.max,
        display:
          f.costIncrease == null
            ? missing(f)
            : signedPercent(f.costIncrease, digitsAgainst(f.costIncrease, criterion.max, 1, 100)),
        pass: f.costIncrease != null && f.costIncrease <= criterion.max,
        ...(f.costIncrease == null ? { note: 'no priced cost in one arm, or control cost nothing' } : {}),
      };
    case 'p95_latency': {
      const label = `p95 latency per user ≤ ${criterion.maxSeconds.toFixed(1)} s`;
      if (f.latencyNotEvaluated) {
        return {
          kind: criterion.kind,
          label,
          figure: null,
          threshold: criterion.maxSeconds,
          display: 'not evaluated',
          pass: null,
          note: f.latencyNotEvaluated,
        };
      }
      const figure = f.p95LatencyMs == null ? null : f.p95LatencyMs / 1000;
      return {
        kind: criterion.kind,
        label,
        figure,
        threshold: criterion.maxSeconds,
        display:
          f.p95LatencyMs == null
            ? missing(f)
            : seconds(f.p95LatencyMs, digitsAgainst(figure, criterion.maxSeconds, 2)),
        pass: f.p95LatencyMs != null && f.p95LatencyMs <= criterion.maxSeconds * 1000,
      };
    }
    case 'cost_value_ratio': {
      const label = `cost-value ratio (lift % ÷ cost increase %) ≥ ${criterion.min}`;
      if (f.lift != null && f.costIncrease != null && f.costIncrease <= NO_CHANGE) {
        // Nothing extra is paid, so there is no cost to justify: any real gain is worth it.
        const pass = f.lift > 0;
        const change =
          f.costIncrease < -NO_CHANGE ? `fell (${signedPercent(f.costIncrease)})` : 'did not change';
        return {
          kind: criterion.kind,
          label,
          figure: null,
          threshold: criterion.min,
          display: 'not defined',
          pass,
          note: `cost ${change}: the ratio is not defined, and then a positive lift passes; the lift is ${signedPercent(
            f.lift,
          )}: ${pass ? 'passes' : 'fails'}`,
        };
      }
      const ratio = costValueRatio(f.lift, f.costIncrease);
      return {
        kind: criterion.kind,
        label,
        figure: ratio,
        threshold: criterion.min,
        display:
          ratio == null
            ? missing(f)
            : ratio.toFixed(digitsAgainst(ratio, criterion.min, 2)).replace('-', '−'),
        pass: ratio != null && ratio >= criterion.min,
        ...(ratio != null
          ? { note: `${signedPercent(f.lift)} ÷ ${signedPercent(f.costIncrease)}` }
          : { note: 'needs both the lift and the cost increase' }),
      };
    }
  }
}

const listed = (criteria: CriterionResult[]) => criteria.map((c) => `${c.label} (${c.display})`).join('; ');

/**
 * The sentence when the treatment does not qualify. The experiments file's `fail` sentence gives a reason
 * (the tutorial's: "… for cost efficiency"), so it is used only when cost criteria alone failed; otherwise the
 * sentence names what failed, e.g. "Keep baseline: enhanced does not meet p95 latency per user ≤ 2.0 s".
 */
function failSentence(exp: Experiment, failed: CriterionResult[]): string {
  if (failed.every((c) => c.kind === 'cost_increase' || c.kind === 'cost_value_ratio')) {
    return exp.decision.fail;
  }
  return `Keep ${exp.control}: ${exp.treatment} does not meet ${failed.map((c) => c.label).join(', ')}`;
}

/** "; p95 latency … not evaluated (why)" for criteria left out of the decision. */
function skippedNote(criteria: CriterionResult[]): string {
  const skipped = criteria.filter((c) => c.pass === null);
  return skipped.map((c) => `; not evaluated: ${c.label} (${c.note ?? ''})`).join('');
}

function qualifies(exp: Experiment, criteria: CriterionResult[], why: string): Decision {
  return { criteria, state: 'qualifies', decision: exp.decision.pass, reason: why + skippedNote(criteria) };
}

function fails(exp: Experiment, criteria: CriterionResult[], failed: CriterionResult[], why = ''): Decision {
  return {
    criteria,
    state: 'fails',
    decision: failSentence(exp, failed),
    reason: `not met${why}: ${listed(failed)}${skippedNote(criteria)}`,
  };
}

/**
 * Applies an experiment's pre-registered criteria to its figures, as the tutorial's decision flow does: the
 * treatment qualifies only when every criterion passes. With `evidence`, a decision also needs evidence:
 * - both arms at the required size: the criteria decide as they stand (the fixed-size test the planner sizes);
 * - before that, only always-valid intervals decide: fails when the cost increase's interval lies above its cap,
 *   the lift's upper bound over the cost increase's lower bound is under the minimum cost-value ratio, or the
 *   lift's interval lies below 0 (treatment worse); futile when the lift's interval lies below the minimum
 *   lift; qualifies when every criterion passes, the lift's interval lies above 0 (the confidence criterion,
 *   always valid) and the cost increase's lies under its cap; otherwise inconclusive.
 * An empty arm is inconclusive and a sample ratio mismatch invalid, whatever the criteria say.
 */
export function decide(experiment: Experiment, figures: DecisionFigures): Decision {
  const criteria = experiment.criteria.map((c) => evaluate(c, experiment, figures));
  const failed = criteria.filter((c) => c.pass === false);
  const { users, evidence } = figures;
  const { control, treatment } = experiment;
  if (users && (users.control === 0 || users.treatment === 0)) {
    const empty = [users.control === 0 ? control : '', users.treatment === 0 ? treatment : ''].filter(
      Boolean,
    );
    return {
      criteria,
      state: 'inconclusive',
      decision: `Not enough data yet: no users in ${empty.join(' or ')}`,
      reason: `both arms need users before the criteria mean anything (${control} ${users.control}, ${treatment} ${users.treatment})`,
    };
  }
  if (figures.srm?.flagged) {
    return {
      criteria,
      state: 'invalid',
      decision: `No decision: sample ratio mismatch (${pValue(figures.srm.pValue)})`,
      reason: 'users did not split as the rollout says, so the arms are not comparable; find out why first',
    };
  }
  const required = evidence?.requiredUsersPerArm ?? null;
  if (!evidence || !users || (required !== null && Math.min(users.control, users.treatment) >= required)) {
    const size = required !== null ? ` at the planned ${count(required)} users per arm` : '';
    return failed.length === 0
      ? qualifies(experiment, criteria, `every criterion is met${size}`)
      : fails(experiment, criteria, failed, size);
  }
  return earlyDecision(experiment, criteria, failed, evidence, users);
}

/** Before the planned size: what the always-valid intervals allow (see `decide`). */
function earlyDecision(
  exp: Experiment,
  criteria: CriterionResult[],
  failed: CriterionResult[],
  evidence: Evidence,
  users: { control: number; treatment: number },
): Decision {
  const { lift, costIncrease } = evidence.sequential;
  const conf = `always-valid ${percent(exp.confidence, 0)} interval`;
  const range = (i: Interval) => `[${boundPercent(i.lower)}, ${boundPercent(i.upper)}]`;
  const costCap = exp.criteria.find((c) => c.kind === 'cost_increase');
  const liftMin = exp.criteria.find((c) => c.kind === 'lift');
  const byKind = (kind: Criterion['kind']) => criteria.filter((c) => c.kind === kind);
  if (costCap?.kind === 'cost_increase' && costIncrease && costIncrease.lower > costCap.max) {
    return fails(exp, criteria, byKind('cost_increase'), ` (cost increase ${conf} ${range(costIncrease)})`);
  }
  const ratio = exp.criteria.find((c) => c.kind === 'cost_value_ratio');
  if (
    ratio?.kind === 'cost_value_ratio' &&
    lift &&
    costIncrease &&
    costIncrease.lower > 0 &&
    lift.upper / costIncrease.lower < ratio.min
  ) {
    // Even the most favourable lift over the least cost increase the intervals allow stays under the minimum.
    return fails(
      exp,
      criteria,
      byKind('cost_value_ratio'),
      ` (at best ${boundPercent(lift.upper)} ÷ ${boundPercent(costIncrease.lower)} by the ${conf}s)`,
    );
  }
  if (lift && lift.upper < 0 && byKind('confidence').length > 0) {
    return fails(
      exp,
      criteria,
      byKind('confidence'),
      ` (the treatment is worse: lift ${conf} ${range(lift)})`,
    );
  }
  if (liftMin?.kind === 'lift' && lift && lift.upper < liftMin.min) {
    return {
      criteria,
      state: 'futile',
      decision: `Keep ${exp.control}: ${exp.treatment} cannot reach a lift of ${signedPercent(liftMin.min, 0)}`,
      reason: `the lift's ${conf} ${range(lift)} lies below ${signedPercent(liftMin.min, 0)}; more users will not change that`,
    };
  }
  const costOk =
    costCap?.kind !== 'cost_increase' || (costIncrease != null && costIncrease.upper <= costCap.max);
  if (failed.length === 0 && lift && lift.lower > 0 && costOk) {
    return qualifies(
      exp,
      criteria,
      `every criterion is met and the lift's ${conf} ${range(lift)} lies above 0`,
    );
  }
  const required = evidence.requiredUsersPerArm;
  const need =
    required === null
      ? 'no planned size (no lift criterion): only the always-valid intervals can decide'
      : `${exp.control} has ${count(users.control)} of ${count(required)} users, ${exp.treatment} ${count(
          users.treatment,
        )} of ${count(required)}` +
        (evidence.more
          ? `; about ${count(evidence.more.queries)} more queries${
              evidence.more.usd != null ? ` (~${usd(evidence.more.usd)})` : ''
            } at this run's rates`
          : '');
  return {
    criteria,
    state: 'inconclusive',
    decision: `Not enough data yet: ${need}`,
    reason:
      `a decision needs ${
        required === null
          ? 'an always-valid interval to decide'
          : `${count(required)} users per arm (${
              liftMin?.kind === 'lift' ? `a ${signedPercent(liftMin.min, 0)} lift` : 'the lift'
            } at ${percent(exp.confidence, 0)} confidence, 80% power) or an always-valid interval to decide`
      }` + (lift ? `; lift ${conf} ${range(lift)}` : ''),
  };
}
