import { budgetOutcome, formatBudgetOutcome, type BudgetOutcome } from '../readout/index.js';
import type { ResultRecord } from '../shared/result-record.js';
import { notRunReason } from '../shared/runs.js';

/** avg/p50/p90/p95/p99/max of a series, ms (k6's trend summary); null when nothing was measured. */
export interface Trend {
  count: number;
  avg: number;
  min: number;
  p50: number;
  p90: number;
  p95: number;
  p99: number;
  max: number;
}

/** A run's load-test summary (what `start` prints before the experiments and `--summary-export` writes). */
export interface RunStats {
  /** First job's start (its finish less its latency) to the last finish of a job that ran, ms. */
  durationMs: number;
  /** Every result record: completed + failed + dropped + removed. */
  results: number;
  completed: number;
  /** Jobs that ran (or could not be read) and failed. */
  failed: number;
  /** Open-model jobs that could not start within their grace period (k6's dropped iterations); never ran. */
  dropped: number;
  /** Jobs removed from the queue before they ran (`loadgen stop`, Bull Board, a script); never ran. */
  removed: number;
  /** Jobs that ran (completed or failed) per second over the duration. */
  throughput: number;
  /** Failed ÷ jobs that ran (dropped and removed jobs are not errors, as k6 counts dropped iterations apart). */
  errorRate: number;
  /** Failed jobs by reason (the error's first line), most frequent first; rate over the jobs that ran. */
  errors: { reason: string; count: number; rate: number }[];
  latencyMs: Trend | null;
  agentDurationMs: Trend | null;
  queueWaitMs: Trend | null;
  /** Requests and distinct users per variation, keyed `configKey/variationKey`. */
  arms: Record<string, { requests: number; users: number }>;
  spendUsd: { requests: number; harness: number; total: number };
  budgetUsd: number | null;
  /** The run's final spend against its budget: how far past it the run went, in dollars and jobs. */
  budget: BudgetOutcome | null;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1] as number;
}

/** The trend of a series; null for an empty one. */
export function trend(values: readonly number[]): Trend | null {
  if (values.length === 0) {
    return null;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const sum = sorted.reduce((s, v) => s + v, 0);
  return {
    count: sorted.length,
    avg: sum / sorted.length,
    min: sorted[0] as number,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] as number,
  };
}

function reasonOf(error: string | undefined): string {
  return (error ?? 'unknown').split('\n')[0]!.slice(0, 200);
}

/** Computes a run's load-test summary from its result records. */
export function computeRunStats(
  records: readonly ResultRecord[],
  /** `spendUsd`: the run's spend counter (records' cost without it). */
  options: { budgetUsd?: number | null; spendUsd?: number | null } = {},
): RunStats {
  const defined = (values: (number | undefined)[]) => values.filter((v): v is number => v !== undefined);
  const notRun = { dropped: 0, removed: 0 };
  const ran: ResultRecord[] = [];
  for (const r of records) {
    const never = notRunReason(r);
    if (never) {
      notRun[never]++;
    } else {
      ran.push(r);
    }
  }
  let first = Infinity;
  let last = -Infinity;
  for (const r of ran) {
    first = Math.min(first, r.finishedAt - (r.latencyMs ?? 0));
    last = Math.max(last, r.finishedAt);
  }
  const durationMs = ran.length > 0 ? Math.max(0, last - first) : 0;
  const failedRecords = ran.filter((r) => r.status === 'failed');
  const byReason = new Map<string, number>();
  for (const r of failedRecords) {
    const reason = reasonOf(r.error);
    byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
  }
  const arms: Record<string, { requests: number; users: Set<string> }> = {};
  for (const r of records) {
    for (const [config, variation] of Object.entries(r.variations)) {
      const arm = (arms[`${config}/${variation}`] ??= { requests: 0, users: new Set() });
      arm.requests += 1;
      arm.users.add(r.userKey);
    }
  }
  const requests = records.reduce((s, r) => s + (r.requestCostUsd ?? 0), 0);
  const harness = records.reduce((s, r) => s + r.harnessCostUsd, 0);
  const n = ran.length;
  return {
    durationMs,
    results: records.length,
    completed: n - failedRecords.length,
    failed: failedRecords.length,
    dropped: notRun.dropped,
    removed: notRun.removed,
    throughput: durationMs > 0 ? n / (durationMs / 1000) : 0,
    errorRate: n > 0 ? failedRecords.length / n : 0,
    errors: [...byReason.entries()]
      .map(([reason, count]) => ({ reason, count, rate: count / n }))
      .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
    latencyMs: trend(defined(ran.map((r) => r.latencyMs))),
    agentDurationMs: trend(defined(ran.map((r) => r.durationMs))),
    queueWaitMs: trend(defined(ran.map((r) => r.queueWaitMs))),
    arms: Object.fromEntries(
      Object.entries(arms)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, arm]) => [key, { requests: arm.requests, users: arm.users.size }]),
    ),
    spendUsd: { requests, harness, total: requests + harness },
    budgetUsd: options.budgetUsd ?? null,
    budget: budgetOutcome(records, options.budgetUsd, options.spendUsd),
  };
}

function ms(value: number): string {
  return value >= 1000 ? `${(value / 1000).toFixed(2)}s` : `${Math.round(value)}ms`;
}

function trendLine(name: string, t: Trend | null): string {
  if (!t) {
    return `  ${name.padEnd(20)} (none measured)`;
  }
  return (
    `  ${name.padEnd(20)} avg=${ms(t.avg)} p(50)=${ms(t.p50)} p(90)=${ms(t.p90)} ` +
    `p(95)=${ms(t.p95)} p(99)=${ms(t.p99)} max=${ms(t.max)}`
  );
}

/** The summary as k6-like text lines. */
export function renderRunStats(stats: RunStats): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  const lines = [
    'summary',
    `  duration             ${ms(stats.durationMs)}`,
    `  results              ${stats.results} (${stats.completed} completed, ${stats.failed} failed, ` +
      `${stats.dropped} dropped, ${stats.removed} removed)  ${stats.throughput.toFixed(2)}/s`,
    trendLine('end-to-end latency', stats.latencyMs),
    trendLine('agent duration', stats.agentDurationMs),
    trendLine('queue wait', stats.queueWaitMs),
    `  error rate           ${pct(stats.errorRate)}`,
    ...stats.errors.map((e) => `    ${String(e.count).padStart(6)} × ${e.reason} (${pct(e.rate)})`),
    `  spend                $${stats.spendUsd.total.toFixed(4)} (requests $${stats.spendUsd.requests.toFixed(4)}, ` +
      `harness $${stats.spendUsd.harness.toFixed(4)})` +
      (stats.budgetUsd !== null ? ` of a $${stats.budgetUsd} budget` : ''),
    ...(stats.budget
      ? [`  final spend          $${stats.budget.spendUsd.toFixed(4)}: ${formatBudgetOutcome(stats.budget)}`]
      : []),
    '  per arm              requests  users',
    ...Object.entries(stats.arms).map(
      ([arm, a]) => `    ${arm.padEnd(40)} ${String(a.requests).padStart(8)} ${String(a.users).padStart(6)}`,
    ),
  ];
  return lines.join('\n');
}
