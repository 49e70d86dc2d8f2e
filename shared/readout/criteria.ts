import type { Criterion, Experiment } from './experiments.js';
import { digitsAgainst, percent, probability, pValue, seconds, signedPercent } from './format.js';

/** The figures an experiment's criteria are judged on; null when the data cannot give one. */
export interface DecisionFigures {
  /** Relative lift of the positive-feedback rate per user (0.12 = +12%). */
  lift: number | null;
  /** Probability that the treatment beats control on positive feedback. */
  probabilityToBeat: number | null;
  /** Relative change of the mean cost per user (0.03 = +3%). */
  costIncrease: number | null;
  /** The treatment's p95 across users of per-user summed duration, ms. */
  p95LatencyMs: number | null;
  /** Users per arm; an empty arm means no decision. */
  users?: { control: number; treatment: number };
  /** The sample-ratio-mismatch check; a flagged mismatch means no decision. */
  srm?: { pValue: number; flagged: boolean };
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
  pass: boolean;
  /** Why a criterion passed or failed in a way the figure alone does not say. */
  note?: string;
}

export type Verdict = 'pass' | 'fail' | 'invalid' | 'insufficient';

export interface Decision {
  criteria: CriterionResult[];
  verdict: Verdict;
  /** The sentence to act on: the experiment's pass or fail sentence, or why there is no decision. */
  decision: string;
  /** One line on what decided it. */
  reason: string;
}

/** lift % / cost increase %, or null when cost did not increase (then the ratio does not apply). */
export function costValueRatio(lift: number | null, costIncrease: number | null): number | null {
  if (lift == null || costIncrease == null || costIncrease <= 0) {
    return null;
  }
  return lift / costIncrease;
}

function evaluate(criterion: Criterion, exp: Experiment, f: DecisionFigures): CriterionResult {
  switch (criterion.kind) {
    case 'lift':
      return {
        kind: criterion.kind,
        label: `lift in positive feedback rate per user ≥ ${signedPercent(criterion.min, 0)}`,
        figure: f.lift,
        threshold: criterion.min,
        display: signedPercent(f.lift, digitsAgainst(f.lift, criterion.min, 1, 100)),
        pass: f.lift != null && f.lift >= criterion.min,
      };
    case 'confidence': {
      const min = criterion.min ?? exp.confidence;
      return {
        kind: criterion.kind,
        label: `probability to beat control ≥ ${percent(min, 0)}`,
        figure: f.probabilityToBeat,
        threshold: min,
        display: probability(f.probabilityToBeat, digitsAgainst(f.probabilityToBeat, min, 1, 100)),
        pass: f.probabilityToBeat != null && f.probabilityToBeat >= min,
      };
    }
    case 'cost_increase':
      return {
        kind: criterion.kind,
        label: `cost increase per user ≤ ${signedPercent(criterion.max, 0)}`,
        figure: f.costIncrease,
        threshold: criterion.max,
        display: signedPercent(f.costIncrease, digitsAgainst(f.costIncrease, criterion.max, 1, 100)),
        pass: f.costIncrease != null && f.costIncrease <= criterion.max,
        ...(f.costIncrease == null ? { note: 'no priced cost in one arm' } : {}),
      };
    case 'p95_latency':
      return {
        kind: criterion.kind,
        label: `p95 latency per user ≤ ${criterion.maxSeconds.toFixed(1)} s`,
        figure: f.p95LatencyMs == null ? null : f.p95LatencyMs / 1000,
        threshold: criterion.maxSeconds,
        display: seconds(
          f.p95LatencyMs,
          digitsAgainst(f.p95LatencyMs == null ? null : f.p95LatencyMs / 1000, criterion.maxSeconds, 2),
        ),
        pass: f.p95LatencyMs != null && f.p95LatencyMs <= criterion.maxSeconds * 1000,
      };
    case 'cost_value_ratio': {
      const label = `cost-value ratio (lift % ÷ cost increase %) ≥ ${criterion.min}`;
      if (f.lift != null && f.costIncrease != null && f.costIncrease <= 0) {
        // Nothing extra is paid, so there is no cost to justify: any real gain is worth it.
        const pass = f.lift > 0;
        return {
          kind: criterion.kind,
          label,
          figure: null,
          threshold: criterion.min,
          display: 'n/a',
          pass,
          note: `cost ${f.costIncrease < 0 ? 'fell' : 'did not change'} (${signedPercent(f.costIncrease)}) ${
            pass ? 'with a positive lift: passes' : 'but the lift is not positive: fails'
          }`,
        };
      }
      const ratio = costValueRatio(f.lift, f.costIncrease);
      return {
        kind: criterion.kind,
        label,
        figure: ratio,
        threshold: criterion.min,
        display:
          ratio == null ? 'n/a' : ratio.toFixed(digitsAgainst(ratio, criterion.min, 2)).replace('-', '−'),
        pass: ratio != null && ratio >= criterion.min,
        ...(ratio != null
          ? { note: `${signedPercent(f.lift)} ÷ ${signedPercent(f.costIncrease)}` }
          : { note: 'needs both the lift and the cost increase' }),
      };
    }
  }
}

/**
 * Applies an experiment's pre-registered criteria to its figures, as the tutorial's decision flow does:
 * the treatment qualifies only when every criterion passes. An empty arm or a sample ratio mismatch gives
 * no decision at all, because the figures cannot be trusted.
 */
export function decide(experiment: Experiment, figures: DecisionFigures): Decision {
  const criteria = experiment.criteria.map((c) => evaluate(c, experiment, figures));
  const failed = criteria.filter((c) => !c.pass);
  if (figures.users && (figures.users.control === 0 || figures.users.treatment === 0)) {
    return {
      criteria,
      verdict: 'insufficient',
      decision: `No decision: an arm has no users (${experiment.control} ${figures.users.control}, ${experiment.treatment} ${figures.users.treatment})`,
      reason: 'both arms need users before the criteria mean anything',
    };
  }
  if (figures.srm?.flagged) {
    return {
      criteria,
      verdict: 'invalid',
      decision: `No decision: sample ratio mismatch (p = ${pValue(figures.srm.pValue)})`,
      reason: 'users did not split as the rollout says, so the arms are not comparable; find out why first',
    };
  }
  if (failed.length === 0) {
    return {
      criteria,
      verdict: 'pass',
      decision: experiment.decision.pass,
      reason: 'every criterion is met',
    };
  }
  return {
    criteria,
    verdict: 'fail',
    decision: experiment.decision.fail,
    reason: `not met: ${failed.map((c) => `${c.label} (${c.display})`).join('; ')}`,
  };
}
