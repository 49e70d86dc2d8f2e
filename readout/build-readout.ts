import type { ResultRecord } from '../shared/result-record.js';
import { Random, seedFromString } from '../shared/random.js';
import { notRunReason, type RunMode, type RunState } from '../shared/runs.js';
import { budgetOutcome, formatBudgetOutcome, type BudgetOutcome } from './budget-outcome.js';
import { aggregateUsers, type ArmUsers, type ExperimentUsers } from './aggregate.js';
import { compareConversions, type ConversionComparison } from './beta-binomial.js';
import {
  decide,
  costValueRatio,
  type CriterionResult,
  type Evidence,
  type ReadoutState,
} from './criteria.js';
import type { Experiment, MetricKey } from './experiments.js';
import { pValue, seconds, usd } from './format.js';
import { compareMeans, type MeanComparison } from './means.js';
import { bootstrapQuantile, nearestRank, sortedCopy, type QuantileEstimate } from './quantile-bootstrap.js';
import { usersPerArm } from './experiment-plan.js';
import { sampleRatioMismatch, type SrmCheck } from './srm.js';
import { sequentialLift, sequentialRelative } from './sequential.js';

export interface RunSummary {
  runId: string | null;
  /** UNKNOWN when the readout comes from an export without its run record. */
  mode: RunMode | 'UNKNOWN';
  runSeed: number | null;
  status: string | null;
  stopReason: string | null;
  budgetUsd: number | null;
  /**
   * The simulator's latency setting, as the producer read it from llm-sim when it made the run: `zero`
   * (`--zero-latency`), `profile`, or null (live run, simulator not asked, or an export without its run record).
   */
  simulatorLatency: 'zero' | 'profile' | null;
  /** The run's spend counter (requests + harness), what the budget is checked against. */
  spendUsd: number | null;
  /** Sum of the priced requests' cost. */
  requestCostUsd: number;
  /** Judge calls (records) plus query generation (run record). */
  harnessCostUsd: number;
  /** The spend against the budget: how far past it the run went, in dollars and jobs; null without a budget. */
  budget: BudgetOutcome | null;
  counts: {
    queries: number | null;
    records: number;
    completed: number;
    /** Jobs that ran (or could not be read) and failed. */
    failed: number;
    /** Open-model jobs that could not start within their grace period (k6's dropped iterations); never ran. */
    dropped: number;
    /** Jobs removed from the queue before they ran (`loadgen stop`, Bull Board, a script); never ran. */
    removed: number;
    judgeErrors: number;
    feedback: { positive: number; negative: number; none: number };
    users: number;
    unpricedRequests: number;
  };
}

export interface ExperimentReadout {
  id: string;
  name: string;
  hypothesis: string;
  flag: string;
  control: string;
  treatment: string;
  audience: string | null;
  confidence: number;
  metrics: MetricKey[];
  users: {
    control: number;
    treatment: number;
    requests: { control: number; treatment: number };
    unpriced: { control: number; treatment: number };
    otherVariationRecords: number;
    outsideAudienceRecords: number;
    mixedUsers: number;
  };
  srm: SrmCheck;
  positiveFeedback: ConversionComparison;
  negativeFeedback: ConversionComparison;
  /** p95 across users of per-user summed duration, ms, with bootstrap intervals; null for an arm without users. */
  latencyP95: { control: QuantileEstimate | null; treatment: QuantileEstimate | null };
  tokens: MeanComparison;
  cost: MeanComparison;
  /** Lift % ÷ cost increase %; null (not defined) when cost did not rise or a figure is missing. */
  costValueRatio: number | null;
  /** The sample size a decision needs, the always-valid intervals, and what reaching the size would take. */
  evidence: Evidence & {
    /** Total users the always-valid intervals are tuned to (twice the planned users per arm). */
    tuningUsers: number;
  };
  criteria: CriterionResult[];
  state: ReadoutState;
  decision: string;
  reason: string;
  /**
   * p95 per request of the harness's queue wait and of its overhead (end-to-end minus agent time), ms: apart
   * from the models' latency, so a loaded machine shows here rather than in the latency criterion. Null when
   * the records carry no timings.
   */
  harnessLatency: { requests: number; queueWaitP95Ms: number | null; overheadP95Ms: number | null } | null;
  /** Per-user summed duration, binned, for the latency chart. */
  latencyHistogram: { edgesMs: number[]; control: number[]; treatment: number[] };
}

/** Everything a report shows, JSON-serialisable (the dashboard renders the same object). */
export interface Readout {
  version: 1;
  /** Seed of the bootstrap draws: the same data and seed give the same numbers. */
  seed: number;
  run: RunSummary;
  experiments: ExperimentReadout[];
  warnings: string[];
}

export interface BuildReadoutInput {
  records: readonly ResultRecord[];
  /** The run record from Redis; absent for an export read from a file. */
  run?: RunState;
  experiments: readonly Experiment[];
  seed: number;
}

/**
 * Turns a run's result records into the experiment readout: per-user metrics per arm, Beta-Binomial
 * conversions, relative differences of mean tokens and cost, bootstrap p95 latency, a sample-ratio check,
 * each pre-registered criterion with its figure, and the decision. Pure and deterministic for a given seed.
 */
export function buildReadout(input: BuildReadoutInput): Readout {
  const run = summarizeRun(input.records, input.run);
  const context = runContext(input.records, run);
  const experiments = input.experiments.map((exp) => readExperiment(exp, input.records, input.seed, context));
  const warnings: string[] = [];
  if (run.mode === 'UNKNOWN') {
    warnings.push('mode unknown: this export has no run record (SIMULATED or LIVE is stored with the run)');
  }
  if (run.simulatorLatency === 'zero') {
    warnings.push(
      'llm-sim answered at once (--zero-latency): latency figures measure this machine, not the models; latency criteria are not evaluated',
    );
  }
  if (run.counts.unpricedRequests > 0) {
    warnings.push(
      `${run.counts.unpricedRequests} request(s) used an unpriced model; their users are left out of cost figures`,
    );
  }
  if (run.budget && !run.budget.withinBudget) {
    warnings.push(`spend ${usd(run.budget.spendUsd)}: ${formatBudgetOutcome(run.budget)}`);
  }
  for (const exp of experiments) {
    if (exp.srm.flagged) {
      warnings.push(
        `${exp.id}: sample ratio mismatch (${exp.users.control} vs ${exp.users.treatment} users, ${pValue(exp.srm.pValue)})`,
      );
    }
    const limit = exp.criteria.find((c) => c.kind === 'p95_latency' && c.pass !== null);
    const overhead = exp.harnessLatency?.overheadP95Ms;
    if (limit && overhead != null && overhead > HARNESS_WARNING_SHARE * limit.threshold * 1000) {
      // The agents' durations are timed inside the agent service, so this machine's load reaches them too.
      warnings.push(
        `${exp.id}: the harness's own time (p95 ${seconds(overhead)} end-to-end minus agent time) is large against the ` +
          `${limit.threshold} s latency limit: this machine may be loaded, and its scheduling delays can inflate the agents' durations`,
      );
    }
    if (exp.users.mixedUsers > 0) {
      warnings.push(`${exp.id}: ${exp.users.mixedUsers} user(s) saw both variations and are left out`);
    }
  }
  return { version: 1, seed: input.seed, run, experiments, warnings };
}

/**
 * Whether an experiment's readout is a decision to act on: it qualifies, fails, or is futile. Inconclusive
 * and invalid readouts are not. Safe to call after every result: the states rest on always-valid intervals
 * before the planned size, so looking often does not inflate false positives.
 */
export function isDecided(experiment: Pick<ExperimentReadout, 'state'>): boolean {
  return experiment.state === 'qualifies' || experiment.state === 'fails' || experiment.state === 'futile';
}

/** Counts, spend and feedback of a run's records (the dashboard's run page shows the same figures). */
export function summarizeRun(records: readonly ResultRecord[], state: RunState | undefined): RunSummary {
  const feedback = { positive: 0, negative: 0, none: 0 };
  let completed = 0;
  let judgeErrors = 0;
  let requestCostUsd = 0;
  let harnessCostUsd = state?.meta.harnessCostUsd ?? 0;
  let unpricedRequests = 0;
  const users = new Set<string>();
  const runIds = new Set<string>();
  const notRun = { dropped: 0, removed: 0 };
  for (const record of records) {
    runIds.add(record.runId);
    const never = notRunReason(record);
    if (never) {
      notRun[never]++;
    } else {
      users.add(record.userKey);
    }
    harnessCostUsd += record.harnessCostUsd;
    if (record.status === 'completed') {
      completed++;
    }
    if (record.feedback === 'judge_error') {
      judgeErrors++;
    } else if (record.feedback) {
      feedback[record.feedback]++;
    }
    if (record.requestCostUsd === null) {
      unpricedRequests++;
    } else {
      requestCostUsd += record.requestCostUsd;
    }
  }
  return {
    runId: state?.meta.runId ?? (runIds.size === 1 ? ([...runIds][0] as string) : null),
    mode: state?.meta.mode ?? 'UNKNOWN',
    runSeed: state?.meta.seed ?? null,
    status: state?.status ?? null,
    stopReason: state?.stopReason ?? null,
    budgetUsd: state?.meta.budgetUsd ?? null,
    simulatorLatency: state?.meta.llmSim?.latency ?? null,
    spendUsd: state?.spendUsd ?? null,
    requestCostUsd,
    harnessCostUsd,
    budget: budgetOutcome(records, state?.meta.budgetUsd, state?.spendUsd),
    counts: {
      queries: state?.meta.counts.queries ?? null,
      records: records.length,
      completed,
      failed: records.length - completed - notRun.dropped - notRun.removed,
      dropped: notRun.dropped,
      removed: notRun.removed,
      judgeErrors,
      feedback,
      users: users.size,
      unpricedRequests,
    },
  };
}

/** What one more query of this run costs (from its records: the same from Redis or an export); llm-sim's latency. */
interface RunContext {
  records: number;
  simulatorLatency: RunSummary['simulatorLatency'];
  /** Request plus judge spend per record, USD; null when a request was unpriced. */
  usdPerQuery: number | null;
}

function runContext(records: readonly ResultRecord[], run: RunSummary): RunContext {
  let usd = 0;
  let unpriced = false;
  for (const r of records) {
    unpriced ||= r.requestCostUsd === null;
    usd += (r.requestCostUsd ?? 0) + r.harnessCostUsd;
  }
  return {
    records: records.length,
    simulatorLatency: run.simulatorLatency,
    usdPerQuery: unpriced || records.length === 0 ? null : usd / records.length,
  };
}

/** Harness overhead above this share of a latency limit gets a warning: the machine, not the models, shows. */
const HARNESS_WARNING_SHARE = 0.25;

/** The planner's default power: the readout's required size is the one `loadgen plan` prints by default. */
const POWER = 0.8;
/** The planner's default baseline: the always-valid intervals are tuned to the size planned at it. */
const PLANNED_BASELINE = 0.5;
/** How many users' worth the planned baseline weighs against control's observed rate. */
const BASELINE_WEIGHT = 20;
/** Tuning without a lift criterion to size for (GrowthBook's default). */
const DEFAULT_TUNING_USERS = 5000;

/** The planner's users per arm, or null when the lift cannot be sized (none, or an impossible rate). */
function plannedUsers(baseline: number, lift: number | undefined, confidence: number): number | null {
  if (lift === undefined || lift <= -1 || lift === 0) {
    return null;
  }
  // Keep the treatment's rate below 1: a +15% lift on an observed 95% cannot be, so size it at 0.99 / 1.15.
  const p1 = Math.min(Math.max(baseline, 0.001), 0.99 / Math.max(1, 1 + lift));
  try {
    return usersPerArm(p1, lift, confidence, POWER);
  } catch {
    return null;
  }
}

/**
 * Required users per arm (from control's observed rate, shrunk toward the planned baseline), the always-valid
 * intervals of lift and cost increase, and how many more queries and dollars the lagging arm needs at the run's
 * observed experiment-users-per-query and spend-per-query.
 */
function evidenceOf(
  exp: Experiment,
  control: ArmUsers,
  treatment: ArmUsers,
  cost: MeanComparison,
  run: RunContext,
): ExperimentReadout['evidence'] {
  const liftCriterion = exp.criteria.find((c) => c.kind === 'lift');
  const lift = liftCriterion?.kind === 'lift' ? liftCriterion.min : undefined;
  const planned = plannedUsers(PLANNED_BASELINE, lift, exp.confidence);
  const tuningUsers = planned === null ? DEFAULT_TUNING_USERS : 2 * planned;
  // Control's rate so far, shrunk toward the planned baseline by the weight of BASELINE_WEIGHT users, so
  // that 0 of 6 does not ask for 6,579 users per arm (as 1/8 would) and 900 users speak for themselves.
  const baseline =
    (control.positiveUsers + PLANNED_BASELINE * BASELINE_WEIGHT) / (control.users + BASELINE_WEIGHT);
  const required = plannedUsers(baseline, lift, exp.confidence);
  const users = control.users + treatment.users;
  const relative = cost.relative;
  const sequential = {
    lift: sequentialLift(
      { users: control.users, conversions: control.positiveUsers },
      { users: treatment.users, conversions: treatment.positiveUsers },
      tuningUsers,
      exp.confidence,
    ),
    costIncrease:
      relative?.logSe != null
        ? sequentialRelative(
            Math.log1p(relative.estimate),
            relative.logSe,
            cost.control.n + cost.treatment.n,
            tuningUsers,
            exp.confidence,
          )
        : null,
  };
  let more: Evidence['more'] = null;
  const { records } = run;
  if (required !== null && users > 0 && records > 0) {
    const wc = exp.split?.[exp.control] ?? 50;
    const wt = exp.split?.[exp.treatment] ?? 50;
    const needed = Math.max(
      (Math.max(0, required - control.users) * (wc + wt)) / wc,
      (Math.max(0, required - treatment.users) * (wc + wt)) / wt,
    );
    const queries = Math.ceil((needed * records) / users);
    more = { queries, usd: run.usdPerQuery === null ? null : queries * run.usdPerQuery };
  }
  return { requiredUsersPerArm: required, sequential, more, tuningUsers };
}

function readExperiment(
  exp: Experiment,
  records: readonly ResultRecord[],
  seed: number,
  run: RunContext,
): ExperimentReadout {
  const agg = aggregateUsers(records, exp);
  const { control, treatment } = agg;
  const random = new Random(seed ^ seedFromString(exp.id));
  const positiveFeedback = compareConversions(
    { users: control.users, conversions: control.positiveUsers },
    { users: treatment.users, conversions: treatment.positiveUsers },
    exp.confidence,
  );
  const negativeFeedback = compareConversions(
    { users: control.users, conversions: control.negativeUsers },
    { users: treatment.users, conversions: treatment.negativeUsers },
    exp.confidence,
  );
  const p95 = (arm: ArmUsers) =>
    arm.users > 0 ? bootstrapQuantile(arm.durationMs, 0.95, exp.confidence, random) : null;
  const latencyP95 = { control: p95(control), treatment: p95(treatment) };
  const tokens = compareMeans(control.tokens, treatment.tokens, exp.confidence);
  const cost = compareMeans(control.costUsd, treatment.costUsd, exp.confidence);
  const weights = [exp.split?.[exp.control] ?? 50, exp.split?.[exp.treatment] ?? 50];
  const srm = sampleRatioMismatch([control.users, treatment.users], weights);
  const lift = positiveFeedback.lift?.estimate ?? null;
  const costIncrease = cost.relative?.estimate ?? null;
  const evidence = evidenceOf(exp, control, treatment, cost, run);
  const zeroLatency = run.simulatorLatency === 'zero';
  const decision = decide(exp, {
    ...(zeroLatency
      ? {
          latencyNotEvaluated:
            'llm-sim answered at once (--zero-latency): agent time is only this machine’s queueing',
        }
      : {}),
    lift,
    probabilityToBeat: positiveFeedback.probabilityToBeat,
    costIncrease,
    p95LatencyMs: latencyP95.treatment?.value ?? null,
    users: { control: control.users, treatment: treatment.users },
    srm,
    evidence,
  });
  return {
    id: exp.id,
    name: exp.name,
    hypothesis: exp.hypothesis,
    flag: exp.flag,
    control: exp.control,
    treatment: exp.treatment,
    audience: exp.audience?.segment ?? null,
    confidence: exp.confidence,
    metrics: exp.metrics,
    users: {
      control: control.users,
      treatment: treatment.users,
      requests: { control: control.requests, treatment: treatment.requests },
      unpriced: { control: control.unpricedUsers, treatment: treatment.unpricedUsers },
      otherVariationRecords: agg.otherVariation,
      outsideAudienceRecords: agg.outsideAudience,
      mixedUsers: agg.mixedUsers,
    },
    srm,
    positiveFeedback,
    negativeFeedback,
    latencyP95,
    tokens,
    cost,
    costValueRatio: costValueRatio(lift, costIncrease),
    evidence,
    ...decision,
    harnessLatency: harnessLatency(agg.harness),
    latencyHistogram: histogram(control, treatment),
  };
}

function harnessLatency(h: ExperimentUsers['harness']): ExperimentReadout['harnessLatency'] {
  if (h.queueWaitMs.length === 0 && h.overheadMs.length === 0) {
    return null;
  }
  const p95 = (values: number[]) => (values.length > 0 ? nearestRank(sortedCopy(values), 0.95) : null);
  return {
    requests: Math.max(h.queueWaitMs.length, h.overheadMs.length),
    queueWaitP95Ms: p95(h.queueWaitMs),
    overheadP95Ms: p95(h.overheadMs),
  };
}

const BINS = 20;

function histogram(control: ArmUsers, treatment: ArmUsers): ExperimentReadout['latencyHistogram'] {
  let max = 0;
  for (const arm of [control, treatment]) {
    for (const v of arm.durationMs) {
      max = Math.max(max, v);
    }
  }
  const width = max > 0 ? max / BINS : 1;
  const edgesMs = Array.from({ length: BINS + 1 }, (_, i) => i * width);
  const bin = (values: Float64Array) => {
    const counts = new Array<number>(BINS).fill(0);
    for (const v of values) {
      counts[Math.min(BINS - 1, Math.floor(v / width))]! += 1;
    }
    return counts;
  };
  return { edgesMs, control: bin(control.durationMs), treatment: bin(treatment.durationMs) };
}
