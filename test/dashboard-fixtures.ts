import type { ResultRecord } from '../shared/result-record.js';
import type { RunMeta } from '../shared/runs.js';

/** Run meta as the producer records it; `over` replaces fields. */
export function runMeta(runId: string, over: Partial<RunMeta> = {}): RunMeta {
  return {
    runId,
    createdAt: Date.now(),
    seed: 7,
    mode: 'SIMULATED',
    options: { queries: 4, piiPercentage: 0 },
    budgetUsd: 2,
    counts: { queries: 4, pii: 0, bySegment: { 'other-paid': 4 }, byComplexity: { basic: 4 } },
    harnessCostUsd: 0,
    ...over,
  };
}

/** A result record; `over` replaces fields. */
export function resultRecord(runId: string, seq: number, over: Partial<ResultRecord> = {}): ResultRecord {
  return {
    jobId: `${runId}.${seq}`,
    runId,
    seq,
    status: 'completed',
    userKey: `user-${seq}`,
    segment: 'other-paid',
    variations: { 'support-agent': 'gpt-4o-control' },
    served: [],
    route: ['supervisor', 'support'],
    latencyMs: 1000 + seq,
    tokens: { input: 100, output: 50, total: 150 },
    requestCostUsd: 0.01,
    unpricedModels: [],
    harnessCostUsd: 0.001,
    feedback: 'positive',
    attempts: 1,
    finishedAt: 1_700_000_000_000 + seq * 1000,
    ...over,
  };
}

export const USER = 'ops';
export const PASSWORD = 'correct horse battery staple';

/** An Authorization header for basic auth. */
export function basic(user = USER, password = PASSWORD): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}
