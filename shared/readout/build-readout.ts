import type { ResultRecord } from '../jobs.js';
import { Random, seedFromString } from '../random.js';
import type { RunMode, RunState } from '../runs.js';
import { aggregateUsers, type ArmUsers } from './aggregate.js';
import { compareConversions, type ConversionComparison } from './beta-binomial.js';
import { decide, costValueRatio, type CriterionResult, type Verdict } from './criteria.js';
import type { Experiment, MetricKey } from './experiments.js';
import { pValue, usd } from './format.js';
import { compareMeans, type MeanComparison } from './means.js';
import { bootstrapQuantile, type QuantileEstimate } from './quantile-bootstrap.js';
import { sampleRatioMismatch, type SrmCheck } from './srm.js';

export interface RunSummary {
  runId: string | null;
  /** UNKNOWN when the readout comes from an export without its run record. */
  mode: RunMode | 'UNKNOWN';
  runSeed: number | null;
  status: string | null;
  stopReason: string | null;
  budgetUsd: number | null;
  /** The run's spend counter (requests + harness), what the budget is checked against. */
  spendUsd: number | null;
  /** Sum of the priced requests' cost. */
  requestCostUsd: number;
  /** Judge calls (records) plus query generation (run record). */
  harnessCostUsd: number;
  counts: {
    queries: number | null;
    records: number;
    completed: number;
    failed: number;
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
  /** p95 across users of per-user summed duration, ms, with bootstrap intervals. */
  latencyP95: { control: QuantileEstimate; treatment: QuantileEstimate };
  tokens: MeanComparison;
  cost: MeanComparison;
  costValueRatio: number | null;
  criteria: CriterionResult[];
  verdict: Verdict;
  decision: string;
  reason: string;
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
  const experiments = input.experiments.map((exp) => readExperiment(exp, input.records, input.seed));
  const warnings: string[] = [];
  if (run.mode === 'UNKNOWN') {
    warnings.push('mode unknown: this export has no run record (SIMULATED or LIVE is stored with the run)');
  }
  if (run.counts.unpricedRequests > 0) {
    warnings.push(
      `${run.counts.unpricedRequests} request(s) used an unpriced model; their users are left out of cost figures`,
    );
  }
  if (run.budgetUsd != null && run.spendUsd != null && run.spendUsd > run.budgetUsd) {
    warnings.push(`spend ${usd(run.spendUsd)} is over the budget of ${usd(run.budgetUsd)}`);
  }
  for (const exp of experiments) {
    if (exp.srm.flagged) {
      warnings.push(
        `${exp.id}: sample ratio mismatch (${exp.users.control} vs ${exp.users.treatment} users, p = ${pValue(exp.srm.pValue)})`,
      );
    }
    if (exp.users.mixedUsers > 0) {
      warnings.push(`${exp.id}: ${exp.users.mixedUsers} user(s) saw both variations and are left out`);
    }
  }
  return { version: 1, seed: input.seed, run, experiments, warnings };
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
  for (const record of records) {
    runIds.add(record.runId);
    users.add(record.userKey);
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
    spendUsd: state?.spendUsd ?? null,
    requestCostUsd,
    harnessCostUsd,
    counts: {
      queries: state?.meta.counts.queries ?? null,
      records: records.length,
      completed,
      failed: records.length - completed,
      judgeErrors,
      feedback,
      users: users.size,
      unpricedRequests,
    },
  };
}

function readExperiment(exp: Experiment, records: readonly ResultRecord[], seed: number): ExperimentReadout {
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
  const latencyP95 = {
    control: bootstrapQuantile(control.durationMs, 0.95, exp.confidence, random),
    treatment: bootstrapQuantile(treatment.durationMs, 0.95, exp.confidence, random),
  };
  const tokens = compareMeans(control.tokens, treatment.tokens, exp.confidence);
  const cost = compareMeans(control.costUsd, treatment.costUsd, exp.confidence);
  const weights = [exp.split?.[exp.control] ?? 50, exp.split?.[exp.treatment] ?? 50];
  const srm = sampleRatioMismatch([control.users, treatment.users], weights);
  const bothArms = control.users > 0 && treatment.users > 0;
  const lift = bothArms ? positiveFeedback.lift.estimate : null;
  const costIncrease = cost.relative?.estimate ?? null;
  const decision = decide(exp, {
    lift,
    probabilityToBeat: bothArms ? positiveFeedback.probabilityToBeat : null,
    costIncrease,
    p95LatencyMs: treatment.users > 0 ? latencyP95.treatment.value : null,
    users: { control: control.users, treatment: treatment.users },
    srm,
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
    ...decision,
    latencyHistogram: histogram(control, treatment),
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
