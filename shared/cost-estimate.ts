import type { QueryJob } from './query-job.js';
import type { Manifest, ManifestConfig } from './manifest.js';
import type { PriceTable } from './pricing.js';

/**
 * Rough token counts per agent call, for cost estimates before a run (the worker records real usage). About
 * four characters per token; a support agent with tools makes two model calls (tool call, answer) and reads
 * retrieved passages. `loadgen run` and `loadgen plan` both price requests with these.
 */
export const TOKEN_ESTIMATES = {
  charsPerToken: 4,
  supervisorOutput: 30,
  supportOutput: 400,
  toolContextInput: 1500,
  toolCallOutput: 40,
  /** A question when none is at hand (`loadgen plan`): about what the template questions average. */
  queryTokens: 40,
};

/** The security agent runs only when the supervisor finds personal data (see the agent service's graph). */
export function isPiiOnlyAgent(configKey: string): boolean {
  return configKey.startsWith('security');
}

/** Variation key → share (0–1) that a user of `segment` is served, from the config's rules. */
export function servedShares(config: ManifestConfig, segment: string | undefined): Record<string, number> {
  const rule = segment === undefined ? undefined : config.rules.find((r) => r.segment === segment);
  if (!rule) {
    return { [config.fallthrough]: 1 };
  }
  if ('variation' in rule) {
    return { [rule.variation]: 1 };
  }
  const total = Object.values(rule.rollout).reduce((a, b) => a + b, 0);
  return Object.fromEntries(
    Object.entries(rule.rollout)
      .filter(([, w]) => w > 0)
      .map(([v, w]) => [v, w / total]),
  );
}

export function tokensOf(text: string): number {
  return Math.ceil(text.length / TOKEN_ESTIMATES.charsPerToken);
}

/** Estimated input and output tokens of one call of an agent's variation on a question of `queryTokens`. */
export function agentTokens(
  configKey: string,
  variation: ManifestConfig['variations'][string],
  queryTokens: number,
): { input: number; output: number } {
  const prompt = tokensOf(variation.instructions) + queryTokens;
  const maxTokens = Number(variation.model.parameters.max_tokens ?? Infinity);
  const tools = variation.model.parameters.tools;
  const hasTools = Array.isArray(tools) && tools.length > 0;
  if (configKey.startsWith('supervisor')) {
    return { input: prompt, output: Math.min(maxTokens, TOKEN_ESTIMATES.supervisorOutput) };
  }
  if (isPiiOnlyAgent(configKey)) {
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

export interface RequestCostInput {
  manifest: Manifest;
  prices: PriceTable;
  /** The user's segment (the manifest's rules); the fallthrough when undefined. */
  segment: string | undefined;
  /** Average question length in tokens. */
  queryTokens: number;
  /** Share of requests with personal data (0–1): the security agent runs on those only. */
  piiShare: number;
  /** Config key → the one variation to serve instead of the rules (an experiment's arm). */
  serve?: Record<string, string>;
}

export interface RequestCost {
  /** Expected USD of one request over priced models. */
  usd: number;
  /**
   * USD of one request served the dearest variation of each config it may be served (the security agent on
   * the `piiShare` of requests, as in `usd`): what a request may cost before its variations are known.
   */
  dearestUsd: number;
  /** Config key → variation key → share served. */
  served: Record<string, Record<string, number>>;
  /** Config key → estimated tokens of one call of each served variation. */
  tokens: Record<string, Record<string, { input: number; output: number }>>;
  /** Models a served variation uses that have no price: their cost is not in `usd`. */
  unpricedModels: string[];
}

/**
 * Expected cost of one request: every agent's served variations (fixed, an experiment's split, or the arm in
 * `serve`) priced with the token estimates; the supervisor and support agents on every request, the security
 * agent on the `piiShare` of requests with personal data.
 */
export function requestCost(input: RequestCostInput): RequestCost {
  const { manifest, prices, segment, queryTokens, piiShare } = input;
  const unpriced = new Set<string>();
  const result: RequestCost = { usd: 0, dearestUsd: 0, served: {}, tokens: {}, unpricedModels: [] };
  for (const [configKey, config] of Object.entries(manifest.configs)) {
    const fixed = input.serve?.[configKey];
    const shares = fixed !== undefined ? { [fixed]: 1 } : servedShares(config, segment);
    const runs = isPiiOnlyAgent(configKey) ? piiShare : 1;
    result.served[configKey] = shares;
    result.tokens[configKey] = {};
    let dearest = 0;
    for (const [variationKey, share] of Object.entries(shares)) {
      const variation = config.variations[variationKey];
      if (!variation) {
        throw new Error(`the manifest's AI Config "${configKey}" has no variation "${variationKey}"`);
      }
      const tokens = agentTokens(configKey, variation, queryTokens);
      result.tokens[configKey][variationKey] = tokens;
      const cost = prices.cost(variation.model.name, tokens.input, tokens.output);
      if (cost.priced) {
        result.usd += runs * share * cost.usd;
        dearest = Math.max(dearest, runs * cost.usd);
      } else if (runs > 0) {
        unpriced.add(variation.model.name);
      }
    }
    result.dearestUsd += dearest;
  }
  result.unpricedModels = [...unpriced].sort();
  return result;
}

export interface SegmentEstimate {
  queries: number;
  /** Expected USD for this segment's requests over priced models. */
  usd: number;
  /** USD of one of its requests served the dearest variations it may get (`RequestCost.dearestUsd`). */
  dearestUsd: number;
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

/**
 * Expected cost of a run's query jobs: per segment, its requests priced by {@link requestCost} with the
 * questions' average length and the segment's share of questions with personal data.
 */
export function estimateCost(input: EstimateInput): CostEstimate {
  const { manifest, prices, jobs } = input;
  const queryTokens = jobs.length ? jobs.reduce((sum, j) => sum + tokensOf(j.query), 0) / jobs.length : 0;
  const counts: Record<string, { queries: number; pii: number }> = {};
  for (const job of jobs) {
    const segment = job.user.segment ?? '(none)';
    const c = (counts[segment] ??= { queries: 0, pii: 0 });
    c.queries++;
    c.pii += job.piiInjected ? 1 : 0;
  }
  const unpriced = new Set<string>();
  const bySegment: Record<string, SegmentEstimate> = {};
  let requestsUsd = 0;
  for (const [segment, { queries, pii }] of Object.entries(counts)) {
    const cost = requestCost({ manifest, prices, segment, queryTokens, piiShare: pii / queries });
    cost.unpricedModels.forEach((m) => unpriced.add(m));
    bySegment[segment] = {
      queries,
      usd: cost.usd * queries,
      dearestUsd: cost.dearestUsd,
      served: cost.served,
    };
    requestsUsd += cost.usd * queries;
  }
  return { requestsUsd, bySegment, unpricedModels: [...unpriced].sort() };
}
