import type { CostEstimate } from '../shared/cost-estimate.js';
import { COMPLEXITIES, type QueryJob } from '../shared/query-job.js';
import { formatSizes, type ExperimentSize } from '../readout/index.js';
import type { RunMode } from '../shared/runs.js';

// One cost model for `loadgen run` and `loadgen plan`: it lives in shared/.
export {
  estimateCost,
  servedShares,
  TOKEN_ESTIMATES,
  type CostEstimate,
  type EstimateInput,
  type SegmentEstimate,
} from '../shared/cost-estimate.js';

/** What `loadgen run` prints before enqueueing, and `createRun` returns. */
export interface RunPlan {
  runId: string;
  mode: RunMode;
  seed: number;
  queries: number;
  pii: number;
  bySegment: Record<string, number>;
  byComplexity: Record<string, number>;
  distinctUsers: number;
  /** How the query set was made. */
  source:
    | {
        kind: 'generated';
        topics: number;
        topicMethod: string;
        topicsCached: boolean;
        questions: string;
        /** Questions written from templates because their LLM call failed (LLM questions only). */
        templateFallbacks: number;
        kbHash: string;
      }
    | { kind: 'file'; path: string };
  estimate: CostEstimate;
  /** USD already spent on LLM calls making the query set (topics not from the cache, questions). */
  harnessCostUsd: number;
  budgetUsd: number | null;
  /** Users each experiment gets from this query set, against the users per arm it needs. */
  sizes: ExperimentSize[];
}

/** Counts of a query set, as the plan and the run metadata report them. */
export function countJobs(
  jobs: QueryJob[],
): Pick<RunPlan, 'queries' | 'pii' | 'bySegment' | 'byComplexity' | 'distinctUsers'> {
  const bySegment: Record<string, number> = {};
  const byComplexity: Record<string, number> = {};
  const users = new Set<string>();
  let pii = 0;
  for (const job of jobs) {
    const segment = job.user.segment ?? '(none)';
    bySegment[segment] = (bySegment[segment] ?? 0) + 1;
    const complexity = job.complexity ?? '(none)';
    byComplexity[complexity] = (byComplexity[complexity] ?? 0) + 1;
    users.add(job.user.key);
    if (job.piiInjected) {
      pii++;
    }
  }
  // Largest segment first; complexities in their natural order.
  const sortedSegments = Object.fromEntries(
    Object.entries(bySegment).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])),
  );
  const order = (c: string) => {
    const i = (COMPLEXITIES as readonly string[]).indexOf(c);
    return i === -1 ? COMPLEXITIES.length : i;
  };
  const sortedComplexity = Object.fromEntries(
    Object.entries(byComplexity).sort((a, b) => order(a[0]) - order(b[0])),
  );
  return {
    queries: jobs.length,
    pii,
    bySegment: sortedSegments,
    byComplexity: sortedComplexity,
    distinctUsers: users.size,
  };
}

const usd = (n: number) => `$${n < 0.01 && n > 0 ? n.toFixed(4) : n.toFixed(2)}`;
const pct = (n: number, of: number) => `${of === 0 ? 0 : Math.round((1000 * n) / of) / 10}%`;

/** The plan as lines for a person. */
export function formatPlan(plan: RunPlan): string {
  const lines: string[] = [];
  lines.push(`run ${plan.runId}  mode ${plan.mode}  seed ${plan.seed}`);
  const src = plan.source;
  lines.push(
    src.kind === 'file'
      ? `query set: ${src.path}`
      : `topics: ${src.topics} (${src.topicMethod}${src.topicsCached ? ', cached' : ''}, knowledge base ${src.kbHash.slice(0, 12)})  questions: ${src.questions}${src.templateFallbacks > 0 ? ` (${src.templateFallbacks} from templates after LLM failures)` : ''}`,
  );
  lines.push(
    `queries: ${plan.queries}  with PII: ${plan.pii} (${pct(plan.pii, plan.queries)})  distinct users: ${plan.distinctUsers}`,
  );
  lines.push(
    `segments: ${Object.entries(plan.bySegment)
      .map(([s, n]) => `${s} ${n} (${pct(n, plan.queries)})`)
      .join(', ')}`,
  );
  lines.push(
    `complexity: ${Object.entries(plan.byComplexity)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ')}`,
  );
  const e = plan.estimate;
  lines.push(
    `estimated cost: ${usd(e.requestsUsd)} for requests` +
      (plan.harnessCostUsd > 0 ? ` (query generation spent ${usd(plan.harnessCostUsd)})` : '') +
      (plan.budgetUsd !== null ? `  (budget ${usd(plan.budgetUsd)})` : ''),
  );
  for (const [segment, s] of Object.entries(e.bySegment)) {
    const splits = Object.entries(s.served)
      .filter(([, shares]) => Object.keys(shares).length > 1)
      .map(
        ([config, shares]) =>
          `${config} ${Object.entries(shares)
            .map(([v, w]) => `${v} ${Math.round(w * 100)}%`)
            .join(' / ')}`,
      );
    lines.push(
      `  ${segment}: ${s.queries} requests, ${usd(s.usd)}${splits.length ? `; split ${splits.join('; ')}` : ''}`,
    );
  }
  if (e.unpricedModels.length > 0) {
    lines.push(`  unpriced (not in the estimate): ${e.unpricedModels.join(', ')}`);
  }
  lines.push(formatSizes(plan.sizes, plan.queries));
  return lines.join('\n');
}
