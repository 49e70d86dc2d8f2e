import type { ResultRecord } from '../shared/result-record.js';
import {
  groupFailures,
  nearestRank,
  summarizeRun as summarizeRecords,
  type FailureGroup,
} from '../readout/index.js';
import { notRunReason, type RunMode, type RunState } from '../shared/runs.js';

/** What the run pages call a run's state: `enqueued` is shown as running until every result is in. */
export type RunDisplayStatus = 'running' | 'done' | 'stopped by budget' | 'stopped';

export interface ThroughputBucket {
  /** Start of the interval, epoch ms. */
  start: number;
  completed: number;
  failed: number;
}

/** Everything the run page shows; `/api/runs/:id` returns it as JSON. */
export interface RunOverview {
  runId: string;
  createdAt: number;
  mode: RunMode | 'UNKNOWN';
  seed: number;
  status: RunDisplayStatus;
  stopReason?: string;
  /**
   * `recorded` = completed + failed + dropped + removed: jobs that never ran (dropped: could not start within
   * their grace period; removed: taken out of the queue) are not failures, as in the readout.
   */
  progress: {
    total: number;
    recorded: number;
    completed: number;
    failed: number;
    dropped: number;
    removed: number;
    percent: number;
  };
  spend: {
    /** Request plus harness spend recorded by workers, USD. */
    spentUsd: number;
    budgetUsd: number | null;
    /** Spent as a share of the budget, percent; null without a budget. */
    percentOfBudget: number | null;
    requestCostUsd: number;
    harnessCostUsd: number;
    /** Results whose cost could not be priced (an unknown model): never counted as $0. */
    unpricedResults: number;
  };
  feedback: Record<string, number>;
  latencyMs: { p50: number | null; p95: number | null };
  throughput: { intervalMs: number; buckets: ThroughputBucket[] };
  failures: FailureGroup[];
  options: Record<string, unknown>;
  counts: RunState['meta']['counts'];
}

/** The interval widths the throughput chart may use; the smallest that gives at most `maxBuckets` wins. */
const INTERVALS_MS = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 86_400].map(
  (s) => s * 1000,
);

/** Option names that could carry a secret are never shown, even though the producer should not store one. */
const SECRET_OPTION = /key|token|secret|password|authorization/i;

/** The display status of a run from its stored status and how many results are in. */
export function displayStatus(state: RunState, recorded: number): RunDisplayStatus {
  if (state.status === 'stopped') {
    return /budget/i.test(state.stopReason ?? '') ? 'stopped by budget' : 'stopped';
  }
  if (state.status === 'done' || (state.meta.counts.queries > 0 && recorded >= state.meta.counts.queries)) {
    return 'done';
  }
  return 'running';
}

/**
 * Counts finished jobs per interval from each record's `finishedAt`, filling empty intervals with zeros. Jobs
 * that never ran (dropped, removed) are not in it.
 */
export function throughputBuckets(
  all: readonly ResultRecord[],
  maxBuckets = 60,
): { intervalMs: number; buckets: ThroughputBucket[] } {
  const records = all.filter((r) => notRunReason(r) === undefined);
  if (records.length === 0) {
    return { intervalMs: INTERVALS_MS[0] as number, buckets: [] };
  }
  let first = Infinity;
  let last = -Infinity;
  for (const r of records) {
    first = Math.min(first, r.finishedAt);
    last = Math.max(last, r.finishedAt);
  }
  const span = last - first;
  const intervalMs =
    INTERVALS_MS.find((ms) => Math.floor(last / ms) - Math.floor(first / ms) < maxBuckets) ??
    Math.ceil(span / maxBuckets);
  const origin = Math.floor(first / intervalMs) * intervalMs;
  const count = Math.floor((last - origin) / intervalMs) + 1;
  const buckets: ThroughputBucket[] = Array.from({ length: count }, (_, i) => ({
    start: origin + i * intervalMs,
    completed: 0,
    failed: 0,
  }));
  for (const r of records) {
    const bucket = buckets[Math.floor((r.finishedAt - origin) / intervalMs)] as ThroughputBucket;
    bucket[r.status] += 1;
  }
  return { intervalMs, buckets };
}

/** Options without anything that looks like a secret. */
export function visibleOptions(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(options).filter(([name]) => !SECRET_OPTION.test(name)));
}

/** The overview of a run from its state and result records (what the run page and `/api/runs/:id` show). */
export function runOverview(state: RunState, records: readonly ResultRecord[]): RunOverview {
  const { meta } = state;
  // Counts, spend and feedback exactly as the readout computes them.
  const { counts, requestCostUsd, harnessCostUsd } = summarizeRecords(records, state);
  const { completed, failed, dropped, removed, unpricedRequests: unpricedResults } = counts;
  const feedback: Record<string, number> = { ...counts.feedback, judge_error: counts.judgeErrors };
  const latencies = Float64Array.from(
    records.filter((r) => r.status === 'completed' && r.latencyMs !== undefined),
    (r) => r.latencyMs as number,
  ).sort();
  const p = (q: number) => (latencies.length === 0 ? null : nearestRank(latencies, q));
  const total = meta.counts.queries;
  const recorded = records.length;
  const overview: RunOverview = {
    runId: meta.runId,
    createdAt: meta.createdAt,
    mode: meta.mode,
    seed: meta.seed,
    status: displayStatus(state, recorded),
    progress: {
      total,
      recorded,
      completed,
      failed,
      dropped,
      removed,
      percent: total > 0 ? Math.min(100, (recorded / total) * 100) : 0,
    },
    spend: {
      spentUsd: state.spendUsd,
      budgetUsd: meta.budgetUsd,
      percentOfBudget: meta.budgetUsd ? (state.spendUsd / meta.budgetUsd) * 100 : null,
      requestCostUsd,
      harnessCostUsd,
      unpricedResults,
    },
    feedback,
    latencyMs: { p50: p(0.5), p95: p(0.95) },
    throughput: throughputBuckets(records),
    failures: groupFailures(records),
    options: visibleOptions(meta.options),
    counts: meta.counts,
  };
  if (state.stopReason) {
    overview.stopReason = state.stopReason;
  }
  return overview;
}
