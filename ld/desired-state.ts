import { segmentClause, type Clause } from '../shared/flag-file.js';
import type { Manifest, ManifestVariation } from '../shared/manifest.js';
import type { PriceTable } from '../shared/pricing.js';

/** A custom metric as the REST API creates it (`POST /api/v2/metrics/{project}`). */
export interface MetricBody {
  key: string;
  name: string;
  description: string;
  kind: 'custom';
  eventKey: string;
  isNumeric: boolean;
  successCriteria: 'HigherThanBaseline' | 'LowerThanBaseline';
  randomizationUnits: ['user'];
  unit?: string;
  unitAggregationType?: 'sum' | 'average';
  analysisType?: 'mean' | 'percentile';
  percentileValue?: number;
  tags: string[];
}

const TAGS = ['loadgen'];

/**
 * The tutorial's five metrics. Event keys are the ones the AI SDK 0.16.8 tracker and the worker send
 * (`$ld:ai:feedback:user:*`, not the tutorial's older `$ld:ai:feedback:*`). Per-user values are sums, as
 * the tutorial defines them ("of the per user event sum").
 */
export const METRICS: MetricBody[] = [
  {
    key: 'user_latency',
    name: 'p95_total_user_latency',
    description: 'P95 of the per-user sum of AI Config duration ($ld:ai:duration:total), lower is better',
    kind: 'custom',
    eventKey: '$ld:ai:duration:total',
    isNumeric: true,
    unit: 'ms',
    successCriteria: 'LowerThanBaseline',
    randomizationUnits: ['user'],
    unitAggregationType: 'sum',
    analysisType: 'percentile',
    percentileValue: 95,
    tags: TAGS,
  },
  {
    key: 'average_tokens',
    name: 'average_total_user_tokens',
    description: 'Average of the per-user sum of total tokens ($ld:ai:tokens:total), lower is better',
    kind: 'custom',
    eventKey: '$ld:ai:tokens:total',
    isNumeric: true,
    unit: 'tokens',
    successCriteria: 'LowerThanBaseline',
    randomizationUnits: ['user'],
    unitAggregationType: 'sum',
    analysisType: 'mean',
    tags: TAGS,
  },
  {
    key: 'positive_feedback',
    name: 'positive.feedback.rate',
    description: 'Conversion rate of positive user feedback, higher is better',
    kind: 'custom',
    eventKey: '$ld:ai:feedback:user:positive',
    isNumeric: false,
    successCriteria: 'HigherThanBaseline',
    randomizationUnits: ['user'],
    tags: TAGS,
  },
  {
    key: 'negative_feedback',
    name: 'negative.feedback.rate',
    description: 'Conversion rate of negative user feedback, lower is better',
    kind: 'custom',
    eventKey: '$ld:ai:feedback:user:negative',
    isNumeric: false,
    successCriteria: 'LowerThanBaseline',
    randomizationUnits: ['user'],
    tags: TAGS,
  },
  {
    key: 'ai_cost',
    name: 'ai_cost_per_request',
    description: 'Average of the per-user sum of request cost in USD (ai_cost_per_request), lower is better',
    kind: 'custom',
    eventKey: 'ai_cost_per_request',
    isNumeric: true,
    unit: '$',
    successCriteria: 'LowerThanBaseline',
    randomizationUnits: ['user'],
    unitAggregationType: 'sum',
    analysisType: 'mean',
    tags: TAGS,
  },
];

export interface ExperimentSpec {
  name: string;
  hypothesis: string;
  control: { variation: string; name: string };
  treatment: { variation: string; name: string };
  primaryMetric: string;
  secondaryMetrics: string[];
}

/** The tutorial's two experiments, keyed by the experiment id the manifest's rollout rules carry. */
export const EXPERIMENTS: Record<string, ExperimentSpec> = {
  'security-level': {
    name: 'Security Level',
    hypothesis: 'Strict security agent will cause a loss of context and reduce user satisfaction',
    control: { variation: 'baseline', name: 'Basic Security' },
    treatment: { variation: 'enhanced', name: 'Strict Security' },
    primaryMetric: 'positive_feedback',
    secondaryMetrics: ['user_latency', 'average_tokens', 'negative_feedback', 'ai_cost'],
  },
  'premium-model-value': {
    name: 'Premium Model Value Analysis',
    hypothesis: 'Claude Opus 4 justifies premium cost with superior satisfaction',
    control: { variation: 'other-paid', name: 'Other Paid' },
    treatment: { variation: 'claude-opus-treatment', name: 'Claude Opus 4 Treatment' },
    primaryMetric: 'positive_feedback',
    secondaryMetrics: ['negative_feedback', 'user_latency', 'average_tokens', 'ai_cost'],
  },
};

/** Where an experiment lives in the manifest: its AI Config and the segment rule that splits traffic. */
export interface ExperimentPlacement {
  key: string;
  configKey: string;
  segment: string;
  rollout: Record<string, number>;
  spec: ExperimentSpec;
}

/** Every experiment rule in the manifest, checked against `EXPERIMENTS` so a typo fails before any call. */
export function experimentPlacements(manifest: Manifest): ExperimentPlacement[] {
  const placements: ExperimentPlacement[] = [];
  for (const [configKey, config] of Object.entries(manifest.configs)) {
    for (const rule of config.rules) {
      if (!('experiment' in rule)) {
        continue;
      }
      const spec = EXPERIMENTS[rule.experiment];
      if (!spec) {
        throw new Error(
          `manifest: configs.${configKey} names experiment "${rule.experiment}" that ld/ does not define`,
        );
      }
      for (const v of [spec.control.variation, spec.treatment.variation]) {
        if (!(v in rule.rollout)) {
          throw new Error(`manifest: experiment "${rule.experiment}" needs variation "${v}" in its rollout`);
        }
      }
      placements.push({
        key: rule.experiment,
        configKey,
        segment: rule.segment,
        rollout: rule.rollout,
        spec,
      });
    }
  }
  return placements;
}

/** Key of the project model config a variation uses (one per provider and model). */
export function modelConfigKey(variation: ManifestVariation): string {
  return `${variation.provider}.${variation.model.name}`;
}

export interface ModelConfigBody {
  key: string;
  name: string;
  id: string;
  provider: string;
  params: Record<string, unknown>;
  customParams: Record<string, unknown>;
  tags: string[];
  costPerInputToken?: number;
  costPerOutputToken?: number;
}

/** One model config per distinct provider and model, priced from data/pricing.json where known. */
export function modelConfigs(manifest: Manifest, prices: PriceTable): ModelConfigBody[] {
  const byKey = new Map<string, ModelConfigBody>();
  for (const config of Object.values(manifest.configs)) {
    for (const variation of Object.values(config.variations)) {
      const key = modelConfigKey(variation);
      if (byKey.has(key)) {
        continue;
      }
      const body: ModelConfigBody = {
        key,
        name: `${variation.model.name} (${variation.provider})`,
        id: variation.model.name,
        provider: variation.provider,
        params: {},
        customParams: {},
        tags: TAGS,
      };
      const price = prices.price(variation.model.name);
      if (price) {
        body.costPerInputToken = price.input / 1_000_000;
        body.costPerOutputToken = price.output / 1_000_000;
      }
      byKey.set(key, body);
    }
  }
  return [...byKey.values()];
}

/** JSON Schema of a tool's arguments: every manifest tool is a search over a query. */
export function toolSchema(description: string): Record<string, unknown> {
  return {
    type: 'object',
    description,
    properties: {
      query: { type: 'string', description: 'What to search for' },
      top_k: { type: 'integer', minimum: 1, maximum: 20, description: 'How many results to return' },
    },
    required: ['query'],
  };
}

export interface VariationBody {
  key: string;
  name: string;
  instructions: string;
  messages: [];
  model: { modelName: string; parameters: Record<string, unknown>; custom: Record<string, unknown> };
  modelConfigKey: string;
  toolKeys: string[];
}

/**
 * A variation as the REST API takes it. Parameters keep `tools` (names), because the AI SDK reads them
 * from `model.parameters.tools`; `toolKeys` also attaches the project's tool definitions for the UI.
 * Custom parameters go in `model.custom`, which the original bootstrap never sent.
 */
export function variationBody(key: string, variation: ManifestVariation): VariationBody {
  const tools = variation.model.parameters.tools;
  return {
    key,
    name: key,
    instructions: variation.instructions,
    messages: [],
    model: {
      modelName: variation.model.name,
      parameters: variation.model.parameters,
      custom: variation.model.custom,
    },
    modelConfigKey: modelConfigKey(variation),
    toolKeys: Array.isArray(tools) ? (tools as string[]) : [],
  };
}

export interface SegmentRuleBody {
  clauses: Clause[];
}

/** A manifest segment's clauses as one REST segment rule (clauses ANDed). */
export function segmentRules(manifest: Manifest, key: string): SegmentRuleBody[] {
  const segment = manifest.segments[key];
  if (!segment) {
    throw new Error(`unknown segment "${key}"`);
  }
  return [{ clauses: segment.rules.map(segmentClause) }];
}
