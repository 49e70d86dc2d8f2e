import { segmentClause, servedParameters, type Clause } from '../shared/flag-file.js';
import { toolNamesOf } from '../shared/tool-definitions.js';
import type { Metric } from '../shared/catalog.js';
import type { Manifest, ManifestVariation } from '../shared/manifest.js';
import type { PriceTable } from '../shared/pricing.js';
import type { Experiment } from '../readout/index.js';

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

/** A catalog metric as LaunchDarkly's metric (MetricPost); the catalog's names map one to one. */
export function metricBody(metric: Metric): MetricBody {
  return {
    key: metric.key,
    name: metric.name,
    description: metric.description,
    kind: 'custom',
    eventKey: metric.eventKey,
    isNumeric: metric.numeric,
    successCriteria: metric.successCriteria,
    randomizationUnits: ['user'],
    ...(metric.unit !== undefined ? { unit: metric.unit } : {}),
    ...(metric.unitAggregation !== undefined ? { unitAggregationType: metric.unitAggregation } : {}),
    ...(metric.analysis !== undefined ? { analysisType: metric.analysis } : {}),
    ...(metric.percentile !== undefined ? { percentileValue: metric.percentile } : {}),
    tags: TAGS,
  };
}

/** Where a catalog experiment lives in the manifest: its AI Config and the segment rule that splits traffic. */
export interface ExperimentPlacement {
  key: string;
  configKey: string;
  segment: string;
  rollout: Record<string, number>;
  experiment: Experiment;
}

/**
 * Every experiment rule in the manifest with its catalog experiment. `loadExperiments` has checked both
 * against each other, so a rule without one is a programming error here.
 */
export function experimentPlacements(manifest: Manifest, experiments: Experiment[]): ExperimentPlacement[] {
  const placements: ExperimentPlacement[] = [];
  for (const [configKey, config] of Object.entries(manifest.configs)) {
    for (const rule of config.rules) {
      if (!('experiment' in rule)) {
        continue;
      }
      const experiment = experiments.find((x) => x.id === rule.experiment);
      if (!experiment) {
        throw new Error(
          `manifest: configs.${configKey} names experiment "${rule.experiment}" that the catalog lacks`,
        );
      }
      placements.push({
        key: rule.experiment,
        configKey,
        segment: rule.segment,
        rollout: rule.rollout,
        experiment,
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
 * A variation as the REST API takes it. `model.parameters.tools` holds the tool objects the AI SDK reads, in
 * the shape LaunchDarkly serves them (as the flag file does); `toolKeys` also attaches the project's AI tools.
 * Custom parameters go in `model.custom`, which the original bootstrap never sent.
 */
export function variationBody(key: string, variation: ManifestVariation): VariationBody {
  return {
    key,
    name: key,
    instructions: variation.instructions,
    messages: [],
    model: {
      modelName: variation.model.name,
      parameters: servedParameters(key, variation),
      custom: variation.model.custom,
    },
    modelConfigKey: modelConfigKey(variation),
    toolKeys: toolNamesOf(variation.model.parameters.tools).names,
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
