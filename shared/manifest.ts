import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import type { UserContext } from './user-context.js';
import { dataPath } from './paths.js';
import { isToolName, TOOL_NAMES } from './tool-definitions.js';

const ClauseSchema = z.object({
  attribute: z.string(),
  op: z.literal('in'),
  values: z.array(z.string()).min(1),
  negate: z.boolean().default(false),
});
export type SegmentClause = z.infer<typeof ClauseSchema>;

const SegmentSchema = z.object({
  name: z.string(),
  description: z.string().default(''),
  /** All clauses must match (AND). */
  rules: z.array(ClauseSchema).min(1),
});

const VariationSchema = z.object({
  provider: z.enum(['openai', 'anthropic', 'mistral']),
  model: z.object({
    name: z.string(),
    /**
     * Model parameters; `tools` names the tools the agent may call (the flag file and the bootstrap serve them
     * where LaunchDarkly does, as tool objects in `model.parameters.tools`).
     */
    parameters: z.record(z.string(), z.unknown()).default({}),
    custom: z.record(z.string(), z.unknown()).default({}),
  }),
  instructions: z.string(),
});
export type ManifestVariation = z.infer<typeof VariationSchema>;

const RuleSchema = z.union([
  z.object({ segment: z.string(), variation: z.string() }),
  z.object({
    segment: z.string(),
    /** Id of the catalog experiment this split belongs to (data/experiments.yaml; checked when it loads). */
    experiment: z.string(),
    /** Variation key → weight in percent; weights add up to 100. */
    rollout: z.record(z.string(), z.number().min(0).max(100)),
  }),
]);
export type ManifestRule = z.infer<typeof RuleSchema>;

const ConfigSchema = z.object({
  name: z.string(),
  mode: z.literal('agent'),
  fallthrough: z.string(),
  variations: z.record(z.string(), VariationSchema),
  rules: z.array(RuleSchema).default([]),
});
export type ManifestConfig = z.infer<typeof ConfigSchema>;

export const ManifestSchema = z
  .object({
    segments: z.record(z.string(), SegmentSchema),
    tools: z.record(z.string(), z.object({ description: z.string() })),
    configs: z.record(z.string(), ConfigSchema),
    variables: z.record(z.string(), z.string()).default({}),
  })
  .superRefine((manifest, ctx) => {
    for (const name of Object.keys(manifest.tools)) {
      if (!isToolName(name)) {
        ctx.addIssue({
          code: 'custom',
          path: ['tools', name],
          message: `the agent service has no tool "${name}" (its tools: ${TOOL_NAMES.join(', ')})`,
        });
      }
    }
    for (const [key, config] of Object.entries(manifest.configs)) {
      const known = (variation: string, path: (string | number)[]) => {
        if (!(variation in config.variations)) {
          ctx.addIssue({
            code: 'custom',
            path: ['configs', key, ...path],
            message: `unknown variation "${variation}"`,
          });
        }
      };
      known(config.fallthrough, ['fallthrough']);
      config.rules.forEach((rule, i) => {
        if (!(rule.segment in manifest.segments)) {
          ctx.addIssue({
            code: 'custom',
            path: ['configs', key, 'rules', i],
            message: `unknown segment "${rule.segment}"`,
          });
        }
        if ('variation' in rule) {
          known(rule.variation, ['rules', i, 'variation']);
        } else {
          Object.keys(rule.rollout).forEach((v) => known(v, ['rules', i, 'rollout']));
          const total = Object.values(rule.rollout).reduce((a, b) => a + b, 0);
          if (Math.abs(total - 100) > 1e-9) {
            ctx.addIssue({
              code: 'custom',
              path: ['configs', key, 'rules', i],
              message: `rollout weights add up to ${total}, not 100`,
            });
          }
        }
      });
      for (const [variationKey, variation] of Object.entries(config.variations)) {
        const tools = variation.model.parameters.tools;
        if (tools !== undefined) {
          if (!Array.isArray(tools) || tools.some((t) => typeof t !== 'string' || !(t in manifest.tools))) {
            ctx.addIssue({
              code: 'custom',
              path: ['configs', key, 'variations', variationKey, 'model', 'parameters', 'tools'],
              message: 'must be a list of tool names from `tools`',
            });
          }
        }
      }
    }
  });
export type Manifest = z.infer<typeof ManifestSchema>;

/** Reads and validates the AI Config manifest (default: the shipped `data/manifest.yaml`). */
export function loadManifest(path = dataPath('manifest.yaml')): Manifest {
  const result = ManifestSchema.safeParse(parse(readFileSync(path, 'utf8')));
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`).join('\n');
    throw new Error(`invalid manifest ${path}:\n${problems}`);
  }
  return result.data;
}

/** Whether a user context satisfies every clause of a segment (the same rule LaunchDarkly evaluates). */
export function userInSegment(manifest: Manifest, segmentKey: string, user: UserContext): boolean {
  const segment = manifest.segments[segmentKey];
  if (!segment) {
    throw new Error(`unknown segment "${segmentKey}"`);
  }
  return segment.rules.every((clause) => {
    const value = user[clause.attribute];
    const values = Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];
    const hit = values.some((v) => clause.values.includes(v));
    return clause.negate ? !hit : hit;
  });
}
