import type { UserContext } from '../shared/user-context.js';
import type { Manifest } from '../shared/manifest.js';
import { Random, seedFromString } from '../shared/random.js';
import { userForSegment } from '../producer/index.js';

/** An AI Config variation that the manifest's targeting serves to users of at least one segment. */
export interface ServableVariation {
  configKey: string;
  variationKey: string;
  /** The segments whose users may be served it (by a fixed rule, a rollout or the fallthrough). */
  segments: string[];
  provider: string;
  model: string;
}

/**
 * Every variation some segment can be served, in manifest order: per segment, the first rule naming it (its
 * variation, or every variation of its rollout) or else the fallthrough. A variation no segment reaches (the
 * fallthrough when every segment has a rule) is left out: no user of the run gets it.
 */
export function servableVariations(manifest: Manifest): ServableVariation[] {
  const served: ServableVariation[] = [];
  for (const [configKey, config] of Object.entries(manifest.configs)) {
    const bySegment = new Map<string, string[]>();
    for (const segment of Object.keys(manifest.segments)) {
      const rule = config.rules.find((r) => r.segment === segment);
      const variations = !rule
        ? [config.fallthrough]
        : 'variation' in rule
          ? [rule.variation]
          : Object.entries(rule.rollout)
              .filter(([, weight]) => weight > 0)
              .map(([v]) => v);
      for (const v of variations) {
        bySegment.set(v, [...(bySegment.get(v) ?? []), segment]);
      }
    }
    for (const [variationKey, variation] of Object.entries(config.variations)) {
      const segments = bySegment.get(variationKey);
      if (segments) {
        served.push({
          configKey,
          variationKey,
          segments,
          provider: variation.provider,
          model: variation.model.name,
        });
      }
    }
  }
  return served;
}

/** A sample user of `segment` with a fixed key: the same key always gets the same attributes. */
export function sampleUser(manifest: Manifest, segment: string, key: string): UserContext {
  return userForSegment(manifest, segment, key, new Random(seedFromString(key)));
}

/** What an AI Config evaluated to for one user (through the AI SDK). */
export interface EvaluatedConfig {
  enabled: boolean;
  variationKey: string;
  provider: string | undefined;
  model: string | undefined;
  /** Tool names from `model.parameters.tools` (names, or objects with a `name` / `key`). */
  tools: string[];
}

/** A servable variation with the sample user LaunchDarkly serves it to and what it evaluated to, when found. */
export interface ServedVariation {
  variation: ServableVariation;
  user?: UserContext;
  config?: EvaluatedConfig;
}

export type Evaluate = (configKey: string, user: UserContext) => Promise<EvaluatedConfig>;

/** Users tried per segment to land in each arm of a rollout; a 50/50 split misses one arm 64 times in 2^64. */
export const USERS_PER_SEGMENT = 64;

/**
 * A user of one of the variation's segments whom the flag serves this variation, and what it evaluated to;
 * `undefined` when none of `USERS_PER_SEGMENT` sample users per segment got it (the targeting differs from the
 * manifest). Keys are `doctor-<segment>-<n>`, so `doctor` and `run --smoke` pick the same users.
 */
export async function findUser(
  manifest: Manifest,
  variation: ServableVariation,
  evaluate: Evaluate,
): Promise<{ user: UserContext; config: EvaluatedConfig } | undefined> {
  for (const segment of variation.segments) {
    for (let n = 0; n < USERS_PER_SEGMENT; n++) {
      const user = sampleUser(manifest, segment, `doctor-${segment}-${n}`);
      const config = await evaluate(variation.configKey, user);
      if (config.variationKey === variation.variationKey) {
        return { user, config };
      }
    }
  }
  return undefined;
}
