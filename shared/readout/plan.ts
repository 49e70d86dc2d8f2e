import type { Manifest } from '../manifest.js';
import type { PriceTable } from '../pricing.js';
import { normalInv } from './distributions.js';
import type { Experiment } from './experiments.js';

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
  /** Tokens per agent call, the basis of the dollar estimate. */
  tokensPerCall?: { input: number; output: number };
  manifest: Manifest;
  prices: PriceTable;
}

export interface AgentCost {
  configKey: string;
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
  usersPerArm: number;
  totalUsers: number;
  requestsPerUser: number;
  totalRequests: number;
  tokensPerCall: { input: number; output: number };
  agents: AgentCost[];
  /** Expected cost of one request per arm, USD; null when a model on the path is unpriced. */
  perRequestUsd: { control: number | null; treatment: number | null };
  /** Expected request spend of the whole experiment, USD (judge and query generation not included). */
  expectedUsd: { control: number; treatment: number; total: number } | null;
  unpricedModels: string[];
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

/** Which variations of `configKey` a user of `segment` gets, with their shares, following the manifest. */
function servedVariations(manifest: Manifest, configKey: string, segment: string | undefined) {
  const config = manifest.configs[configKey];
  if (!config) {
    throw new Error(`the manifest has no AI Config "${configKey}"`);
  }
  const rule = segment ? config.rules.find((r) => r.segment === segment) : undefined;
  const model = (variation: string) => config.variations[variation]?.model.name ?? 'unknown';
  if (rule && 'rollout' in rule) {
    const total = Object.values(rule.rollout).reduce((a, b) => a + b, 0);
    return Object.entries(rule.rollout)
      .filter(([, w]) => w > 0)
      .map(([variation, w]) => ({ variation, model: model(variation), share: w / total }));
  }
  const variation = rule ? rule.variation : config.fallthrough;
  return [{ variation, model: model(variation), share: 1 }];
}

/**
 * What an experiment needs before anything is paid: users per arm to detect the lift, and the expected
 * request spend from the price table, assuming every AI Config in the manifest runs once per request with
 * `tokensPerCall` tokens (an upper estimate: the supervisor may skip an agent).
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
  const tokensPerCall = input.tokensPerCall ?? { input: 1000, output: 300 };
  const n = usersPerArm(input.baselineRate, lift, confidence, power);
  const segment = exp.audience?.segment;
  const agents: AgentCost[] = Object.keys(input.manifest.configs).map((configKey) => {
    if (configKey === exp.flag) {
      const config = input.manifest.configs[configKey];
      const arm = (variation: string) => [
        { variation, model: config?.variations[variation]?.model.name ?? 'unknown', share: 1 },
      ];
      return { configKey, control: arm(exp.control), treatment: arm(exp.treatment) };
    }
    const served = servedVariations(input.manifest, configKey, segment);
    return { configKey, control: served, treatment: served };
  });
  const unpriced = new Set<string>();
  const perRequest = (arm: 'control' | 'treatment'): number | null => {
    let total = 0;
    for (const agent of agents) {
      for (const served of agent[arm]) {
        const cost = input.prices.cost(served.model, tokensPerCall.input, tokensPerCall.output);
        if (cost.priced) {
          total += served.share * cost.usd;
        } else {
          unpriced.add(served.model);
        }
      }
    }
    return unpriced.size > 0 ? null : total;
  };
  const control = perRequest('control');
  const treatment = perRequest('treatment');
  const requestsPerArm = n * requestsPerUser;
  return {
    experimentId: exp.id,
    baselineRate: input.baselineRate,
    treatmentRate: input.baselineRate * (1 + lift),
    lift,
    confidence,
    power,
    usersPerArm: n,
    totalUsers: 2 * n,
    requestsPerUser,
    totalRequests: 2 * requestsPerArm,
    tokensPerCall,
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
    unpricedModels: [...unpriced],
  };
}
