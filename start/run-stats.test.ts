import { describe, expect, it } from 'vitest';
import type { ResultRecord } from '../shared/result-record.js';
import { computeRunStats, renderRunStats, trend } from './run-stats.js';

function record(seq: number, fields: Partial<ResultRecord> = {}): ResultRecord {
  return {
    jobId: `r.${seq}`,
    runId: 'r',
    seq,
    status: 'completed',
    userKey: `u${seq % 3}`,
    variations: { 'support-agent': seq % 2 === 0 ? 'a' : 'b' },
    served: [],
    route: [],
    latencyMs: 100 * (seq + 1),
    durationMs: 50 * (seq + 1),
    queueWaitMs: 10,
    tokens: { input: 0, output: 0, total: 0 },
    requestCostUsd: 0.01,
    unpricedModels: [],
    harnessCostUsd: 0.001,
    feedback: 'positive',
    attempts: 1,
    finishedAt: 10_000 + 1000 * seq,
    ...fields,
  };
}

describe('run stats', () => {
  it('computes nearest-rank percentiles', () => {
    const t = trend(Array.from({ length: 100 }, (_, i) => i + 1))!;
    expect(t).toMatchObject({ count: 100, avg: 50.5, min: 1, p50: 50, p90: 90, p95: 95, p99: 99, max: 100 });
    expect(trend([])).toBeNull();
  });

  it('summarises duration, throughput, latencies, errors by reason, arms and spend', () => {
    const records = [
      ...Array.from({ length: 10 }, (_, i) => record(i)),
      record(10, {
        status: 'failed',
        error: 'dropped',
        latencyMs: undefined,
        variations: {},
        requestCostUsd: 0,
      }),
      record(11, { status: 'failed', error: 'chat: 503\nstack', latencyMs: undefined, requestCostUsd: 0 }),
      // Removed from the queue after everything else finished: not in the duration.
      record(12, {
        status: 'failed',
        error: 'removed: run stopped',
        latencyMs: undefined,
        queueWaitMs: undefined,
        variations: {},
        requestCostUsd: 0,
        finishedAt: 90_000,
      }),
    ];
    const stats = computeRunStats(records, { budgetUsd: 5 });
    // First start: record 0 finished at 10 000 after 100 ms; last finish of a job that ran 21 000.
    expect(stats.durationMs).toBe(11_100);
    expect(stats).toMatchObject({
      results: 13,
      completed: 10,
      failed: 1,
      dropped: 1,
      removed: 1,
      budgetUsd: 5,
    });
    // Dropped and removed jobs never ran: not in the throughput, not errors (k6's dropped iterations).
    expect(stats.throughput).toBeCloseTo(11 / 11.1);
    expect(stats.errorRate).toBeCloseTo(1 / 11);
    expect(stats.errors).toEqual([{ reason: 'chat: 503', count: 1, rate: 1 / 11 }]);
    expect(stats.latencyMs).toMatchObject({ count: 10, max: 1000, p50: 500 });
    expect(stats.arms).toEqual({
      'support-agent/a': { requests: 5, users: 3 },
      'support-agent/b': { requests: 6, users: 3 },
    });
    expect(stats.spendUsd.total).toBeCloseTo(0.1 + 0.012);
    const text = renderRunStats(stats);
    expect(text).toMatch(/end-to-end latency\s+avg=550ms p\(50\)=500ms p\(90\)=900ms/);
    expect(text).toMatch(/13 \(10 completed, 1 failed, 1 dropped, 1 removed\)/);
    expect(text).toMatch(/of a \$5 budget/);
  });

  it("reports the run's final spend against its budget: within it, or by how many dollars and jobs past it", () => {
    // 10 jobs of $0.011 each, finishing in order: the 8th takes the records past $0.08.
    const records = Array.from({ length: 10 }, (_, i) => record(i));
    const over = computeRunStats(records, { budgetUsd: 0.08, spendUsd: 0.11 });
    expect(over.budget).toMatchObject({ budgetUsd: 0.08, spendUsd: 0.11, jobsOver: 3, withinBudget: false });
    expect(over.budget?.overUsd).toBeCloseTo(0.03, 9);
    expect(renderRunStats(over)).toMatch(
      /final spend {10}\$0\.1100: \$0\.0300 over the \$0\.0800 budget \(3 jobs finished past it\)/,
    );
    const within = computeRunStats(records, { budgetUsd: 0.2, spendUsd: 0.11 });
    expect(renderRunStats(within)).toMatch(
      /final spend {10}\$0\.1100: within budget \(\$0\.1100 of \$0\.2000\)/,
    );
    expect(computeRunStats(records).budget).toBeNull();
  });

  it('summarises an empty run without dividing by zero', () => {
    expect(computeRunStats([])).toMatchObject({
      durationMs: 0,
      throughput: 0,
      errorRate: 0,
      latencyMs: null,
    });
  });
});
