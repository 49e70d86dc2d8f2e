import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Manifest, ManifestConfig, ManifestVariation, SegmentClause } from './manifest.js';
import { aiConfigTool, isToolName, toolNamesOf } from './tool-definitions.js';

/** The `_ldMeta` LaunchDarkly puts on every AI Config variation; the AI SDK reads key, version and mode from it. */
export interface AiConfigMeta {
  variationKey: string;
  enabled: boolean;
  version: number;
  mode: 'agent';
}

/** One AI Config variation as the flag serves it (the shape the AI SDK's `agentConfig` expects). */
export interface AiConfigValue {
  model?: { name: string; parameters: Record<string, unknown>; custom: Record<string, unknown> };
  provider?: { name: string };
  instructions?: string;
  _ldMeta: AiConfigMeta;
}

/** A LaunchDarkly clause, as segment rules, flag rules and the REST API's targeting instructions take it. */
export interface Clause {
  contextKind: 'user';
  attribute: string;
  op: string;
  values: string[];
  negate: boolean;
}

interface WeightedVariation {
  variation: number;
  weight: number;
  untracked: boolean;
}

interface FlagRule {
  id: string;
  clauses: Clause[];
  trackEvents: boolean;
  variation?: number;
  rollout?: { kind: 'experiment'; variations: WeightedVariation[]; bucketBy: string; contextKind: 'user' };
}

/** A flag in LaunchDarkly's full flag format, as the SDK's file data source reads it. */
export interface FlagData {
  key: string;
  on: boolean;
  version: number;
  variations: AiConfigValue[];
  fallthrough: { variation: number };
  offVariation: number;
  targets: never[];
  contextTargets: never[];
  prerequisites: never[];
  rules: FlagRule[];
  salt: string;
  trackEvents: boolean;
  trackEventsFallthrough: boolean;
  clientSide: boolean;
  deleted: boolean;
}

/** A segment in LaunchDarkly's full segment format. */
export interface SegmentData {
  key: string;
  version: number;
  included: never[];
  excluded: never[];
  includedContexts: never[];
  excludedContexts: never[];
  rules: { id: string; clauses: Clause[] }[];
  salt: string;
  deleted: boolean;
}

/** The file data source JSON: `{ flags, segments }`. */
export interface FlagFileData {
  flags: Record<string, FlagData>;
  segments: Record<string, SegmentData>;
}

export interface FlagDataOptions {
  /** AI Config keys whose flag is switched off, so they serve the disabled variation (for tests of that path). */
  off?: string[];
}

/** The variation key LaunchDarkly gives the variation an AI Config serves when its targeting is off. */
export const DISABLED_VARIATION = 'disabled';

/** Percent to LaunchDarkly's rollout weight unit (thousandths of a percent; 100,000 = 100%). */
export const WEIGHT_UNIT = 1000;

/**
 * A rollout in percent (`{ variation: 50 }`) as LaunchDarkly's weights: whole thousandths of a percent, in
 * the same order, adding up to exactly 100,000 (the rounding remainder goes to the last variation).
 */
export function rolloutWeights(rollout: Record<string, number>): [variation: string, weight: number][] {
  const weights = Object.entries(rollout).map(([v, pct]): [string, number] => [
    v,
    Math.round(pct * WEIGHT_UNIT),
  ]);
  const last = weights.at(-1);
  if (last) {
    last[1] += 100 * WEIGHT_UNIT - weights.reduce((sum, [, w]) => sum + w, 0);
  }
  return weights;
}

/** The clause of a flag or AI Config rule that matches the users in one segment. */
export function segmentMatchClause(segment: string): Clause {
  return {
    contextKind: 'user',
    attribute: 'segmentMatch',
    op: 'segmentMatch',
    values: [segment],
    negate: false,
  };
}

/** A manifest segment clause as a LaunchDarkly clause (a user attribute). */
export function segmentClause(clause: SegmentClause): Clause {
  return {
    contextKind: 'user',
    attribute: clause.attribute,
    op: clause.op,
    values: clause.values,
    negate: clause.negate,
  };
}

/**
 * Converts the AI Config manifest into LaunchDarkly's file-data-source JSON: one flag per AI Config (its
 * variations in the AI SDK's value shape plus LaunchDarkly's `disabled` variation served when off), one
 * segment per manifest segment, targeting rules that match segments, and the experiments' splits as
 * `kind: experiment` rollouts bucketed by context key. The real SDK evaluates it exactly as it would the
 * same AI Configs served by LaunchDarkly.
 */
export function buildFlagData(manifest: Manifest, options: FlagDataOptions = {}): FlagFileData {
  const off = new Set(options.off ?? []);
  for (const key of off) {
    if (!(key in manifest.configs)) {
      throw new Error(`buildFlagData: off names unknown AI Config "${key}"`);
    }
  }
  const flags: Record<string, FlagData> = {};
  for (const [key, config] of Object.entries(manifest.configs)) {
    flags[key] = configFlag(key, config, !off.has(key));
  }
  const segments: Record<string, SegmentData> = {};
  for (const [key, segment] of Object.entries(manifest.segments)) {
    segments[key] = {
      key,
      version: 1,
      included: [],
      excluded: [],
      includedContexts: [],
      excludedContexts: [],
      // The manifest's clauses are ANDed, which is what one LaunchDarkly segment rule with several clauses does.
      rules: [{ id: `${key}-rule`, clauses: segment.rules.map(segmentClause) }],
      salt: salt(`segment:${key}`),
      deleted: false,
    };
  }
  return { flags, segments };
}

/**
 * Writes the flag file for `manifest` to `path` (directories created). The file is written beside and then
 * renamed into place, so an SDK watching it never reads half a file.
 */
export function writeFlagFile(manifest: Manifest, path: string, options: FlagDataOptions = {}): void {
  const data = buildFlagData(manifest, options);
  mkdirSync(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(data, null, 2)}\n`);
  renameSync(temp, path);
}

/**
 * A variation's `model.parameters` as LaunchDarkly serves them: the manifest's tool names become tool objects
 * `{ type: "function", name, description, parameters }` from the agent service's tool definitions.
 */
export function servedParameters(
  variationKey: string,
  variation: ManifestVariation,
): Record<string, unknown> {
  const { tools, ...parameters } = variation.model.parameters;
  if (tools !== undefined) {
    // loadManifest has checked the names; a manifest changed in code gets the same clear error here.
    parameters.tools = toolNamesOf(tools).names.map((name) => {
      if (!isToolName(name)) {
        throw new Error(`variation ${variationKey}: model.parameters.tools names unknown tool "${name}"`);
      }
      return aiConfigTool(name);
    });
  }
  return parameters;
}

/**
 * The value an AI Config variation serves: model, provider, instructions and `_ldMeta`. Tools are served as
 * LaunchDarkly serves them, tool objects `{ type: "function", name, description, parameters }` in
 * `model.parameters.tools` built from the agent service's tool definitions, where the manifest names them.
 */
export function variationValue(variationKey: string, variation: ManifestVariation): AiConfigValue {
  return {
    model: {
      name: variation.model.name,
      parameters: servedParameters(variationKey, variation),
      custom: variation.model.custom,
    },
    provider: { name: variation.provider },
    instructions: variation.instructions,
    _ldMeta: { variationKey, enabled: true, version: 1, mode: 'agent' },
  };
}

function configFlag(key: string, config: ManifestConfig, on: boolean): FlagData {
  const keys = Object.keys(config.variations);
  const index = (variation: string): number => keys.indexOf(variation);
  const variations = Object.entries(config.variations).map(([k, v]) => variationValue(k, v));
  variations.push({
    _ldMeta: { variationKey: DISABLED_VARIATION, enabled: false, version: 1, mode: 'agent' },
  });

  const rules: FlagRule[] = config.rules.map((rule, i) => {
    const clauses = [segmentMatchClause(rule.segment)];
    if ('variation' in rule) {
      return { id: `${key}-rule-${i}`, clauses, trackEvents: false, variation: index(rule.variation) };
    }
    return {
      id: `${key}-rule-${i}-${rule.experiment}`,
      clauses,
      trackEvents: false,
      rollout: {
        kind: 'experiment',
        contextKind: 'user',
        bucketBy: 'key',
        variations: rolloutWeights(rule.rollout).map(([variation, weight]) => ({
          variation: index(variation),
          weight,
          untracked: false,
        })),
      },
    };
  });

  return {
    key,
    on,
    version: 1,
    variations,
    fallthrough: { variation: index(config.fallthrough) },
    offVariation: variations.length - 1,
    targets: [],
    contextTargets: [],
    prerequisites: [],
    rules,
    salt: salt(`flag:${key}`),
    trackEvents: false,
    trackEventsFallthrough: false,
    clientSide: false,
    deleted: false,
  };
}

/** A fixed salt per flag or segment, so a user lands in the same variation every time the file is generated. */
function salt(name: string): string {
  return createHash('sha256').update(name).digest('hex').slice(0, 32);
}
