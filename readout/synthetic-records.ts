import type { ResultRecord } from '../shared/result-record.js';
import { Random } from '../shared/random.js';

/** True per-request behaviour of one variation in synthetic data. */
export interface SyntheticArm {
  /** Probability that a request is rated positive (resp. negative). */
  positive: number;
  negative?: number;
  /** Typical tracked agent duration per request, ms (log-normal spread around it). */
  durationMs?: number;
  tokens?: number;
  /** Cost per request, USD; null makes the arm's requests unpriced. */
  costUsd?: number | null;
}

export interface SyntheticOptions {
  seed: number;
  users: number;
  requestsPerUser?: number;
  runId?: string;
  segment?: string;
  /**
   * Flag key → variation key → behaviour. Each user gets one variation per flag, uniformly. Duration, tokens
   * and cost add up over the flags (each is an agent on the request's path); feedback follows the first flag.
   */
  flags: Record<string, Record<string, SyntheticArm>>;
  /** Share of jobs that fail, and of completed jobs whose judge errs. */
  failureRate?: number;
  judgeErrorRate?: number;
}

/**
 * Seeded synthetic result records with known true rates: for calibration tests, benchmarks and demos of the
 * readout without running the pipeline. Not a model of real traffic beyond what the readout consumes.
 */
export function* syntheticRecords(options: SyntheticOptions): Generator<ResultRecord> {
  const random = new Random(options.seed);
  const perUser = options.requestsPerUser ?? 1;
  const runId = options.runId ?? 'synthetic';
  const flags = Object.entries(options.flags).map(([flag, arms]) => [flag, Object.entries(arms)] as const);
  let seq = 0;
  for (let u = 0; u < options.users; u++) {
    const userKey = `user-${u}`;
    const assigned = flags.map(([flag, arms]) => [flag, random.pick(arms)] as const);
    for (let r = 0; r < perUser; r++, seq++) {
      const variations: Record<string, string> = {};
      let durationMs = 0;
      let tokens = 0;
      let cost: number | null = 0;
      for (const [flag, [variation, arm]] of assigned) {
        variations[flag] = variation;
        durationMs += (arm.durationMs ?? 1000) * Math.exp(random.normal(0, 0.3) - 0.045);
        const spread = 0.8 + 0.4 * random.next();
        tokens += Math.round((arm.tokens ?? 1000) * spread);
        const armCost = arm.costUsd === undefined ? 0.01 : arm.costUsd;
        cost = cost === null || armCost === null ? null : cost + armCost * spread;
      }
      const first = assigned[0]?.[1][1];
      const failed = random.bool(options.failureRate ?? 0);
      const draw = random.next();
      const verdict: ResultRecord['feedback'] = failed
        ? null
        : random.bool(options.judgeErrorRate ?? 0)
          ? 'judge_error'
          : draw < (first?.positive ?? 0)
            ? 'positive'
            : draw < (first?.positive ?? 0) + (first?.negative ?? 0)
              ? 'negative'
              : 'none';
      yield {
        jobId: `${runId}.${seq}`,
        runId,
        seq,
        status: failed ? 'failed' : 'completed',
        userKey,
        segment: options.segment ?? 'other-paid',
        variations: failed ? {} : variations,
        served: [],
        route: [],
        durationMs: failed ? undefined : Math.round(durationMs),
        tokens: failed
          ? { input: 0, output: 0, total: 0 }
          : { input: Math.round(tokens * 0.75), output: tokens - Math.round(tokens * 0.75), total: tokens },
        requestCostUsd: failed ? 0 : cost,
        unpricedModels: cost === null ? ['unknown-model'] : [],
        harnessCostUsd: failed ? 0 : 0.0002,
        feedback: verdict,
        attempts: failed ? 5 : 1,
        ...(failed ? { error: 'agent service returned 503' } : {}),
        finishedAt: 1_790_000_000_000 + seq,
      };
    }
  }
}
