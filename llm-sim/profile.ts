import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';
import { describeZodError } from '../shared/errors.js';
import { ConfigError } from '../shared/errors.js';
import { dataPath } from '../shared/paths.js';
import { DistributionSchema } from './distribution.js';

export const FAULT_KINDS = ['429', '500', '529', 'hang', 'malformed'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const rate = z.number().min(0).max(1);

const QualitySchema = z
  .object({
    /** Probability that a judge finds an answer of this model positive. */
    positive: rate,
    /** Probability of a negative verdict; the rest is "none". */
    negative: rate,
  })
  .refine((q) => q.positive + q.negative <= 1, 'positive + negative must not exceed 1');

export const ModelProfileSchema = z.object({
  /** Other ids that mean this model (dated snapshots, `-latest`), matched case-insensitively. */
  aliases: z.array(z.string()).default([]),
  latency: z.object({
    /** Time to first token, ms. */
    ttftMs: DistributionSchema,
    /** Time per output token, ms (drawn once per request). */
    perTokenMs: DistributionSchema,
  }),
  /** Output tokens of a prose answer, before `max_tokens` caps it. */
  outputTokens: DistributionSchema,
  /** Probability of calling a tool when tools are offered and the model may choose. */
  toolCallRate: rate,
  quality: QualitySchema,
  /** Probability per request of each fault. */
  faults: z.object({
    '429': rate.default(0),
    '500': rate.default(0),
    '529': rate.default(0),
    hang: rate.default(0),
    malformed: rate.default(0),
    /** Seconds sent in `Retry-After` with a 429. */
    retryAfterSeconds: z.number().int().min(0).default(1),
  }),
});
export type ModelProfile = z.infer<typeof ModelProfileSchema>;

export const SimProfileSchema = z.object({
  /** Moved from positive to negative per `[REDACTED` in the user messages: over-redacted input is answered worse. */
  redactionPenalty: rate.default(0.05),
  /** Cap on the total redaction penalty of one request. */
  maxRedactionPenalty: rate.default(0.3),
  /** Verdict rates when a judged answer carries no quality marker (it was not written by the simulator). */
  unknownAnswer: QualitySchema.default({ positive: 0.5, negative: 0.25 }),
  /** Dimensions of embedding vectors when the request does not ask for a number. */
  embeddingDimensions: z.number().int().min(8).max(4096).default(256),
  /** Per model; `default` is complete and used for unknown models, the others override parts of it. */
  models: z.record(z.string(), ModelProfileSchema),
});
export type SimProfile = z.infer<typeof SimProfileSchema>;

type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** A partial profile merged over the loaded one, e.g. `{ allModels: { latency: { ttftMs: 0, perTokenMs: 0 } } }`. */
export type ProfileOverrides = Omit<DeepPartial<SimProfile>, 'models'> & {
  models?: Record<string, DeepPartial<ModelProfile>>;
  /** Merged into every model (after `models`): zero latency, fault rates for all. */
  allModels?: DeepPartial<ModelProfile>;
};

/** The default profile shipped in data/sim-profile.yaml. */
export const DEFAULT_PROFILE_PATH = dataPath('sim-profile.yaml');

/**
 * Reads a profile file (YAML or JSON), fills every model from `default`, applies `overrides` and validates the
 * result. A bad file throws a `ConfigError` naming the path of the bad field.
 */
export function loadProfile(
  source: string | SimProfile = DEFAULT_PROFILE_PATH,
  overrides?: ProfileOverrides,
): SimProfile {
  let raw: unknown;
  let origin = 'profile';
  if (typeof source === 'string') {
    origin = source;
    try {
      raw = parse(readFileSync(source, 'utf8'));
    } catch (err) {
      throw new ConfigError(`cannot read sim profile ${source}: ${(err as Error).message}`);
    }
  } else {
    raw = structuredClone(source);
  }
  return resolveProfile(raw, overrides, origin);
}

function resolveProfile(raw: unknown, overrides: ProfileOverrides | undefined, origin: string): SimProfile {
  if (!isPlainObject(raw)) {
    throw new ConfigError(`${origin}: a profile must be a mapping with a "models" key`);
  }
  const { allModels, models: modelOverrides, ...topOverrides } = overrides ?? {};
  const merged = deepMerge(raw, topOverrides) as Record<string, unknown>;
  const models = (isPlainObject(merged.models) ? merged.models : {}) as Record<string, unknown>;
  const base = models.default;
  if (!isPlainObject(base)) {
    throw new ConfigError(`${origin}: models.default is required (it is used for unknown models)`);
  }
  const resolved: Record<string, unknown> = {};
  for (const name of new Set([...Object.keys(models), ...Object.keys(modelOverrides ?? {})])) {
    let model = name === 'default' ? base : deepMerge(withoutAliases(base), models[name] ?? {});
    model = deepMerge(model, modelOverrides?.[name] ?? {});
    resolved[name.toLowerCase()] = deepMerge(model, allModels ?? {});
  }
  const result = SimProfileSchema.safeParse({ ...merged, models: resolved });
  if (!result.success) {
    throw new ConfigError(`invalid sim profile ${origin}: ${describeZodError(result.error)}`);
  }
  return result.data;
}

function withoutAliases(model: Record<string, unknown>): Record<string, unknown> {
  const { aliases: _aliases, ...rest } = model;
  return rest;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Objects merge key by key; anything else (numbers, arrays, distributions given as numbers) replaces. */
function deepMerge(base: unknown, patch: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(patch)) {
    return patch === undefined ? base : patch;
  }
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) {
      continue;
    }
    // A distribution switching kind (lognormal -> uniform) must not keep the old kind's fields.
    const replace = isPlainObject(value) && 'dist' in value;
    out[key] = replace ? value : deepMerge(base[key], value);
  }
  return out;
}

/** A dated snapshot suffix, as providers put on model ids: `-20250514`, `-2024-08-06`. */
const DATE_SUFFIX = /-(\d{8}|\d{4}-\d{2}-\d{2})$/;

/**
 * Finds the profile for a model id: exact name or alias (case-insensitive), else the id without a dated
 * snapshot suffix (`claude-opus-5-5-20260922` → `claude-opus-5-5`). An id the profile does not list gets
 * `default` with `listed: false`: the provider routes answer it with their 404.
 */
export function resolveModel(
  profile: SimProfile,
  modelId: string,
): { name: string; model: ModelProfile; listed: boolean } {
  const id = modelId.toLowerCase();
  const byName = (candidate: string): string | undefined => {
    // Own keys only: a model named `constructor` or `__proto__` is an unknown model, not Object's.
    if (Object.hasOwn(profile.models, candidate)) {
      return candidate;
    }
    return Object.keys(profile.models).find((name) =>
      profile.models[name]?.aliases.some((alias) => alias.toLowerCase() === candidate),
    );
  };
  let name = byName(id);
  if (!name && DATE_SUFFIX.test(id)) {
    name = byName(id.replace(DATE_SUFFIX, ''));
  }
  // `default` is the profile of unknown models, not a model a provider serves.
  const listed = name !== undefined && name !== 'default';
  name = listed ? name : 'default';
  return { name: name as string, model: profile.models[name as string] as ModelProfile, listed };
}
