import { COMPLEXITIES, type QueryJob } from '../shared/jobs.js';
import type { Manifest, ManifestConfig } from '../shared/manifest.js';
import type { PriceTable } from '../shared/pricing.js';
import type { RunMode } from '../shared/runs.js';

/**
 * Rough token counts per agent call, for the plan's cost estimate only (the worker records real usage).
 * About four characters per token; a support agent with tools makes two model calls (tool call, answer) and
 * reads retrieved passages.
 */
export const TOKEN_ESTIMATES = {
  charsPerToken: 4,
  supervisorOutput: 30,
  supportOutput: 400,
  toolContextInput: 1500,
  toolCallOutput: 40,
};

/** Variation key → share (0–1) that a user of `segment` is served, from the config's rules. */
export function servedShares(config: ManifestConfig, segment: string): Record<string, number> {
  const rule = config.rules.find((r) => r.segment === segment);
  if (!rule) {
    return { [config.fallthrough]: 1 };
  }
  if ('variation' in rule) {
    return { [rule.variation]: 1 };
  }
  return Object.fromEntries(
    Object.entries(rule.rollout)
      .filter(([, w]) => w > 0)
      .map(([v, w]) => [v, w / 100]),
  );
}

export interface SegmentEstimate {
  queries: number;
  /** Expected USD for this segment's requests over priced models. */
  usd: number;
  /** Config key → variation key → share served. */
  served: Record<string, Record<string, number>>;
}

export interface CostEstimate {
  /** Expected USD of the requests (priced models only). */
  requestsUsd: number;
  bySegment: Record<string, SegmentEstimate>;
  /** Models a served variation uses that have no price: their cost is not in the totals. */
  unpricedModels: string[];
}

export interface EstimateInput {
  manifest: Manifest;
  prices: PriceTable;
  jobs: QueryJob[];
}

function tokens(text: string): number {
  return Math.ceil(text.length / TOKEN_ESTIMATES.charsPerToken);
}

/**
 * Expected cost of a run: for each segment, every agent's served variations (fixed or the experiment's
 * split) priced with token estimates. The supervisor, security and support agents are assumed to run on
 * every request, which errs on the side of a higher estimate.
 */
export function estimateCost(input: EstimateInput): CostEstimate {
  const { manifest, prices, jobs } = input;
  const queryTokens = jobs.length ? jobs.reduce((sum, j) => sum + tokens(j.query), 0) / jobs.length : 0;
  const counts: Record<string, number> = {};
  for (const job of jobs) {
    const segment = job.user.segment ?? '(none)';
    counts[segment] = (counts[segment] ?? 0) + 1;
  }
  const unpriced = new Set<string>();
  const bySegment: Record<string, SegmentEstimate> = {};
  let requestsUsd = 0;
  for (const [segment, queries] of Object.entries(counts)) {
    const estimate: SegmentEstimate = { queries, usd: 0, served: {} };
    for (const [configKey, config] of Object.entries(manifest.configs)) {
      const shares = servedShares(config, segment);
      estimate.served[configKey] = shares;
      for (const [variationKey, share] of Object.entries(shares)) {
        const variation = config.variations[variationKey];
        if (!variation) {
          continue;
        }
        const { input: inTokens, output: outTokens } = agentTokens(configKey, variation, queryTokens);
        const cost = prices.cost(variation.model.name, inTokens, outTokens);
        if (cost.priced) {
          estimate.usd += share * cost.usd * queries;
        } else {
          unpriced.add(variation.model.name);
        }
      }
    }
    bySegment[segment] = estimate;
    requestsUsd += estimate.usd;
  }
  return { requestsUsd, bySegment, unpricedModels: [...unpriced].sort() };
}

function agentTokens(
  configKey: string,
  variation: ManifestConfig['variations'][string],
  queryTokens: number,
): { input: number; output: number } {
  const prompt = tokens(variation.instructions) + queryTokens;
  const maxTokens = Number(variation.model.parameters.max_tokens ?? Infinity);
  const tools = variation.model.parameters.tools;
  const hasTools = Array.isArray(tools) && tools.length > 0;
  if (configKey.startsWith('supervisor')) {
    return { input: prompt, output: Math.min(maxTokens, TOKEN_ESTIMATES.supervisorOutput) };
  }
  if (configKey.startsWith('security')) {
    // The security agent rewrites the message: about as long out as in.
    return { input: prompt, output: Math.min(maxTokens, queryTokens) };
  }
  const answer = Math.min(maxTokens, TOKEN_ESTIMATES.supportOutput);
  return hasTools
    ? {
        input: 2 * prompt + TOKEN_ESTIMATES.toolContextInput,
        output: answer + TOKEN_ESTIMATES.toolCallOutput,
      }
    : { input: prompt, output: answer };
}

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
  return lines.join('\n');
}
