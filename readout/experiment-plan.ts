import { isPiiOnlyAgent, requestCost, TOKEN_ESTIMATES } from '../shared/cost-estimate.js';
import type { Manifest } from '../shared/manifest.js';
import type { PriceTable } from '../shared/pricing.js';
import { normalInv } from './distributions.js';
import type { Experiment } from './experiments.js';

/** `loadgen run --pii-percentage`'s default: the share of questions with personal data. */
export const DEFAULT_PII_SHARE = 0.15;

export interface PlanInput {
  experiment: Experiment;
  /** Control's expected positive-feedback rate per user, e.g. 0.5. */
  baselineRate: number;
  /** Relative lift to detect, e.g. 0.2 for +20%; defaults to the experiment's lift criterion. */
  lift?: number;
  /** Defaults to the experiment's confidence. */
  confidence?: number;
  /** Probability of reaching the confidence when the lift is real; 0.8 by default. */
  power?: number;
  requestsPerUser?: number;
  /** Average question length in tokens, the basis of the dollar estimate (as `loadgen run` estimates). */
  queryTokens?: number;
  /** Share of requests with personal data (`loadgen run --pii-percentage` / 100), 0.15 by default. */
  piiShare?: number;
  manifest: Manifest;
  prices: PriceTable;
}

export interface AgentCost {
  configKey: string;
  /** Share of requests on which the agent runs (the security agent only on those with personal data). */
  runs: number;
  /** Variation → share of the arm's requests it serves (1 unless another experiment splits it). */
  control: { variation: string; model: string; share: number }[];
  treatment: { variation: string; model: string; share: number }[];
}

export interface Plan {
  experimentId: string;
  baselineRate: number;
  treatmentRate: number;
  lift: number;
  confidence: number;
  power: number;
  /** Users per arm who must reach the flag's variation (be exposed) to detect the lift. */
  usersPerArm: number;
  /**
   * Share of the audience's users who reach the flag: 1, or for the security agent (which runs only on
   * requests with personal data) the chance that at least one of a user's requests has some.
   */
  exposure: number;
  /** Users of the audience to run so that `usersPerArm` are exposed in each arm. */
  totalUsers: number;
  requestsPerUser: number;
  /** Requests (queries) to run: what `loadgen run --queries` needs. */
  totalRequests: number;
  queryTokens: number;
  piiShare: number;
  agents: AgentCost[];
  /** Expected cost of one request per arm, USD; null when a model on that arm's path is unpriced. */
  perRequestUsd: { control: number | null; treatment: number | null };
  /** Expected request spend of the whole experiment, USD (judge and query generation not included). */
  expectedUsd: { control: number; treatment: number; total: number } | null;
  /** Models without a price, per arm: an arm's cost is unknown when it has any. */
  unpricedModels: { control: string[]; treatment: string[] };
}

/**
 * Users per arm for a one-sided two-proportion test at `confidence` (the readout asks for a probability to
 * beat control ≥ confidence, one-sided) with the given power: n = (z₁₋α·√(2p̄q̄) + z_power·√(p₁q₁ + p₂q₂))² /
 * (p₂ − p₁)², rounded up.
 */
export function usersPerArm(baselineRate: number, lift: number, confidence: number, power: number): number {
  const p1 = baselineRate;
  const p2 = baselineRate * (1 + lift);
  if (!(p1 > 0 && p1 < 1)) {
    throw new Error(`baseline rate must be between 0 and 1 (exclusive), got ${p1}`);
  }
  if (!(p2 > 0 && p2 < 1) || p2 === p1) {
    throw new Error(
      `a ${lift} lift on ${p1} gives a treatment rate of ${p2}: it must differ and lie in (0, 1)`,
    );
  }
  const pBar = (p1 + p2) / 2;
  const za = normalInv(confidence);
  const zb = normalInv(power);
  const root = za * Math.sqrt(2 * pBar * (1 - pBar)) + zb * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2));
  return Math.ceil((root / (p2 - p1)) ** 2);
}

/**
 * What an experiment needs before anything is paid: users per arm to detect the lift, the queries to run so
 * that many reach the flag, and the expected request spend with the cost model `loadgen run` uses
 * (shared/cost-estimate.ts: every agent per request, the security agent on requests with personal data).
 */
export function planExperiment(input: PlanInput): Plan {
  const exp = input.experiment;
  const liftCriterion = exp.criteria.find((c) => c.kind === 'lift');
  const lift = input.lift ?? (liftCriterion?.kind === 'lift' ? liftCriterion.min : undefined);
  if (lift === undefined) {
    throw new Error(`experiment ${exp.id} has no lift criterion: give the lift to detect`);
  }
  const confidence = input.confidence ?? exp.confidence;
  const power = input.power ?? 0.8;
  const requestsPerUser = input.requestsPerUser ?? 1;
  const queryTokens = input.queryTokens ?? TOKEN_ESTIMATES.queryTokens;
  const piiShare = input.piiShare ?? DEFAULT_PII_SHARE;
  if (isPiiOnlyAgent(exp.flag) && piiShare === 0) {
    throw new Error(`${exp.flag} runs only on requests with personal data: the PII share must be above 0`);
  }
  const n = usersPerArm(input.baselineRate, lift, confidence, power);
  const exposure = isPiiOnlyAgent(exp.flag) ? 1 - (1 - piiShare) ** requestsPerUser : 1;
  // Less a hair: 1 − 0.8 is 0.19999999999999996, and 1,798 / that must stay 8,990.
  const totalUsers = Math.ceil((2 * n) / exposure - 1e-9);
  const totalRequests = totalUsers * requestsPerUser;
  const segment = exp.audience?.segment;
  const arm = (variation: string) =>
    requestCost({
      manifest: input.manifest,
      prices: input.prices,
      segment,
      queryTokens,
      piiShare,
      serve: { [exp.flag]: variation },
    });
  const costs = { control: arm(exp.control), treatment: arm(exp.treatment) };
  const served = (cost: (typeof costs)['control'], configKey: string) =>
    Object.entries(cost.served[configKey] ?? {}).map(([variation, share]) => ({
      variation,
      model: input.manifest.configs[configKey]?.variations[variation]?.model.name ?? 'unknown',
      share,
    }));
  const agents: AgentCost[] = Object.keys(input.manifest.configs).map((configKey) => ({
    configKey,
    runs: isPiiOnlyAgent(configKey) ? piiShare : 1,
    control: served(costs.control, configKey),
    treatment: served(costs.treatment, configKey),
  }));
  const control = costs.control.unpricedModels.length > 0 ? null : costs.control.usd;
  const treatment = costs.treatment.unpricedModels.length > 0 ? null : costs.treatment.usd;
  // Users are bucketed 50/50 whether or not a request reaches the flag: half the requests per arm.
  const requestsPerArm = totalRequests / 2;
  return {
    experimentId: exp.id,
    baselineRate: input.baselineRate,
    treatmentRate: input.baselineRate * (1 + lift),
    lift,
    confidence,
    power,
    usersPerArm: n,
    exposure,
    totalUsers,
    requestsPerUser,
    totalRequests,
    queryTokens,
    piiShare,
    agents,
    perRequestUsd: { control, treatment },
    expectedUsd:
      control == null || treatment == null
        ? null
        : {
            control: control * requestsPerArm,
            treatment: treatment * requestsPerArm,
            total: (control + treatment) * requestsPerArm,
          },
    unpricedModels: {
      control: costs.control.unpricedModels,
      treatment: costs.treatment.unpricedModels,
    },
  };
}
