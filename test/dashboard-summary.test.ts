import { describe, expect, it } from 'vitest';
import { buildProgram } from '../cli.js';
import { assertSafeBinding, isLoopbackHost } from '../dashboard/auth.js';
import { loadConfig } from '../dashboard/config.js';
import { loadConfig as loadDashboardConfig, startDashboard } from '../dashboard/index.js';
import { displayStatus, runOverview, throughputBuckets } from '../dashboard/run-overview.js';
import { ConfigError } from '../shared/errors.js';
import { buildReadout, failureReason, groupFailures } from '../readout/index.js';
import type { RunState } from '../shared/runs.js';
import { resultRecord, runMeta } from './dashboard-fixtures.js';

const state = (over: Partial<RunState> = {}): RunState => ({
  meta: runMeta('r'),
  status: 'enqueued',
  spendUsd: 0,
  ...over,
});

describe('run summary', () => {
  it('calls a run running until every result is in, done after, and names a budget stop', () => {
    expect(displayStatus(state(), 3)).toBe('running');
    expect(displayStatus(state(), 4)).toBe('done');
    expect(displayStatus(state({ status: 'done' }), 1)).toBe('done');
    expect(displayStatus(state({ status: 'stopped', stopReason: 'budget exhausted' }), 1)).toBe(
      'stopped by budget',
    );
    expect(displayStatus(state({ status: 'stopped', stopReason: 'cancelled' }), 1)).toBe('stopped');
  });

  it('picks an interval that keeps the chart to at most 60 bars and fills empty intervals', () => {
    const start = 1_700_000_000_000;
    const records = [0, 1, 2, 9].map((min) => resultRecord('r', min, { finishedAt: start + min * 60_000 }));
    records.push(resultRecord('r', 99, { status: 'failed', finishedAt: start + 9 * 60_000 + 1 }));
    const { intervalMs, buckets } = throughputBuckets(records);
    // Nine minutes fit 60 bars of 10 s.
    expect(intervalMs).toBe(10_000);
    expect(buckets.length).toBeLessThanOrEqual(60);
    expect(buckets.reduce((n, b) => n + b.completed, 0)).toBe(4);
    expect(buckets.reduce((n, b) => n + b.failed, 0)).toBe(1);
    expect(buckets.every((b, i) => i === 0 || b.start - (buckets[i - 1]?.start ?? 0) === intervalMs)).toBe(
      true,
    );
    expect(throughputBuckets([]).buckets).toEqual([]);
  });

  it('groups failures by reason, keeping statuses apart and masking long numbers and quoted values', () => {
    expect(failureReason('timeout after 30012 ms\n  at stack')).toBe('timeout after N ms');
    expect(failureReason('HTTP 429 from "gpt-4o"')).toBe('HTTP 429 from "…"');
    expect(failureReason(undefined)).toBe('(no error recorded)');
    const failed = (seq: number, error: string) => resultRecord('r', seq, { status: 'failed', error });
    const groups = groupFailures([
      failed(0, 'HTTP 503'),
      failed(1, 'HTTP 429'),
      failed(2, 'HTTP 503'),
      resultRecord('r', 3),
    ]);
    expect(groups).toEqual([
      { reason: 'HTTP 503', count: 2, examples: ['r.0', 'r.2'] },
      { reason: 'HTTP 429', count: 1, examples: ['r.1'] },
    ]);
  });

  it('reports spend against budget, counts unpriced results apart, and adds generation to harness cost', () => {
    const summary = runOverview(
      state({ meta: runMeta('r', { budgetUsd: 4, harnessCostUsd: 0.5 }), spendUsd: 1 }),
      [resultRecord('r', 0), resultRecord('r', 1, { requestCostUsd: null })],
    );
    expect(summary.spend).toMatchObject({
      spentUsd: 1,
      budgetUsd: 4,
      percentOfBudget: 25,
      unpricedResults: 1,
    });
    expect(summary.spend.requestCostUsd).toBeCloseTo(0.01);
    expect(summary.spend.harnessCostUsd).toBeCloseTo(0.502);
    expect(summary.progress.percent).toBe(50);
  });

  it('shows the same counts, spend and feedback as the readout, and nearest-rank latency percentiles', () => {
    const run = state({
      meta: runMeta('r', { harnessCostUsd: 0.25, counts: { ...runMeta('r').counts, queries: 6 } }),
    });
    const verdicts = ['positive', 'negative', 'none', 'judge_error', 'positive', null] as const;
    const records = verdicts.map((feedback, seq) =>
      resultRecord('r', seq, {
        feedback,
        latencyMs: (seq + 1) * 100,
        ...(seq === 5 ? { status: 'failed' as const, requestCostUsd: null } : {}),
      }),
    );
    const summary = runOverview(run, records);
    const readout = buildReadout({ records, run, experiments: [], seed: 1 }).run;
    expect(summary.progress).toMatchObject({
      completed: readout.counts.completed,
      failed: readout.counts.failed,
      dropped: 0,
      removed: 0,
    });
    expect(summary.feedback).toEqual({ ...readout.counts.feedback, judge_error: readout.counts.judgeErrors });
    expect(summary.feedback).toEqual({ positive: 2, negative: 1, none: 1, judge_error: 1 });
    expect(summary.spend).toMatchObject({
      requestCostUsd: readout.requestCostUsd,
      harnessCostUsd: readout.harnessCostUsd,
      unpricedResults: readout.counts.unpricedRequests,
    });
    // Completed results only: 100..500 ms; nearest rank p50 = 3rd, p95 = 5th.
    expect(summary.latencyMs).toEqual({ p50: 300, p95: 500 });
    expect(runOverview(run, []).latencyMs).toEqual({ p50: null, p95: null });
  });
});

describe('dashboard config and binding', () => {
  it('knows loopback hosts', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]']) {
      expect(isLoopbackHost(host), host).toBe(true);
    }
    for (const host of ['0.0.0.0', '::', '192.168.1.4', 'example.com', '10.0.0.1']) {
      expect(isLoopbackHost(host), host).toBe(false);
    }
  });

  it('refuses a non-loopback host without a password, naming DASHBOARD_PASSWORD', async () => {
    expect(() => assertSafeBinding('0.0.0.0', undefined)).toThrow(/DASHBOARD_PASSWORD/);
    expect(() => assertSafeBinding('0.0.0.0', 'long-enough')).not.toThrow();
    expect(() => assertSafeBinding('127.0.0.1', undefined)).not.toThrow();
    // A public bind needs 8 characters that are not spaces; loopback takes any.
    for (const weak of [' ', 'pw', '1234567', ' a b c d e f g ']) {
      expect(() => assertSafeBinding('0.0.0.0', weak), weak).toThrow(/DASHBOARD_PASSWORD.*at least 8/);
    }
    expect(() => assertSafeBinding('127.0.0.1', 'pw')).not.toThrow();
    await expect(
      startDashboard({ config: loadDashboardConfig({ DASHBOARD_PASSWORD: ' ' }), host: '0.0.0.0', port: 0 }),
    ).rejects.toThrow(/DASHBOARD_PASSWORD/);
    // The check runs before anything connects or listens.
    await expect(
      startDashboard({ config: loadDashboardConfig({}), host: '0.0.0.0', port: 0 }),
    ).rejects.toBeInstanceOf(ConfigError);
  });

  it('names a bad variable', () => {
    expect(() => loadConfig({ DASHBOARD_ALLOW_DESTRUCTIVE: 'yes' })).toThrow(/DASHBOARD_ALLOW_DESTRUCTIVE/);
    expect(() => loadConfig({ DASHBOARD_REFRESH_SECONDS: '0' })).toThrow(/DASHBOARD_REFRESH_SECONDS/);
    expect(loadConfig({ DASHBOARD_PASSWORD: '' }).dashboardPassword).toBeUndefined();
    expect(loadConfig({ DASHBOARD_ALLOW_DESTRUCTIVE: 'true' }).dashboardAllowDestructive).toBe(true);
    expect(loadConfig({ DASHBOARD_ALLOWED_HOSTS: ' a.example , .b.example,' }).dashboardAllowedHosts).toEqual(
      ['a.example', '.b.example'],
    );
  });
});

describe('loadgen dashboard', () => {
  it('lists --port and --host with their defaults', () => {
    const command = buildProgram().commands.find((c) => c.name() === 'dashboard');
    const help = command?.helpInformation() ?? '';
    expect(help).toMatch(/--port <port>.*\(default: 3000\)/s);
    expect(help).toMatch(/--host <host>.*\(default: "127\.0\.0\.1"\)/s);
  });
});
