import { existsSync } from 'node:fs';
import { z } from 'zod';
import { ConfigError } from './errors.js';
import type { LlmSettings } from './llm/index.js';

export type Env = Record<string, string | undefined>;

/** Loads `.env` from the working directory into `env` without overriding what is already set. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) {
    process.loadEnvFile(path);
  }
}

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));
const optionalUrl = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.url({ protocol: /^https?$/ }).optional());

/**
 * Variables that more than one process reads. Each process's schema extends the parts it needs, so that
 * `loadgen worker --help` and the config errors talk only about what that process uses.
 */
export const commonEnv = {
  /** Redis connection URL, e.g. redis://:password@host:6379/0 */
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  /** Prefix of every Redis key the tool writes (BullMQ queues and run records); use {braces} on Redis Cluster. */
  REDIS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_{}-]{1,64}$/, 'letters, digits, _ - { } only')
    .default('loadgen'),
  /** trace | debug | info | warn | error | fatal | silent */
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
};

export const launchDarklyEnv = {
  /** Server-side SDK key: live AI Configs and events. */
  LD_SDK_KEY: optionalString,
  /** Flag data file for the SDK's file data source (local mode); generated from the manifest when unset. */
  LD_FLAGS_FILE: optionalString,
  /** Base URI for LaunchDarkly polling (rarely needed). */
  LD_BASE_URI: optionalUrl,
  /** Where analytics events go, e.g. a local endpoint. Local mode sends no events when unset. */
  LD_EVENTS_URI: optionalUrl,
};

/** The `LLM_SIM_URL` value that means "no simulator: call the real providers". */
export const LLM_SIM_OFF = 'off';

/**
 * `LLM_SIM_URL` as every process but `start` reads it: a URL sends every provider's calls there (simulated);
 * `off`, empty or unset means the real providers (live). Compose points an unset or empty one at its llm-sim, so
 * `off` is the one switch to live mode in both places.
 */
const simUrl = z
  .string()
  .optional()
  .transform((v) => (v === '' || v === LLM_SIM_OFF ? undefined : v))
  .pipe(z.url({ protocol: /^https?$/ }).optional());

export const llmEnv = {
  /** Send every provider's calls to this llm-sim base URL (simulated mode); `off` for the real providers. */
  LLM_SIM_URL: simUrl,
  OPENAI_API_KEY: optionalString,
  ANTHROPIC_API_KEY: optionalString,
  MISTRAL_API_KEY: optionalString,
};

/** The LLM client settings of a config parsed with `llmEnv` (simulator URL and provider keys). */
export function llmSettingsFrom(config: {
  llmSimUrl?: string | undefined;
  openaiApiKey?: string | undefined;
  anthropicApiKey?: string | undefined;
  mistralApiKey?: string | undefined;
}): LlmSettings {
  return {
    simUrl: config.llmSimUrl,
    openaiApiKey: config.openaiApiKey,
    anthropicApiKey: config.anthropicApiKey,
    mistralApiKey: config.mistralApiKey,
  };
}

/** `WORKER_MAX_RPS` → `workerMaxRps`, as a type. */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}`
  ? `${Lowercase<Head>}${Capitalize<CamelCase<Tail>>}`
  : Lowercase<S>;

/** The values of a parsed environment under camelCase names (`REDIS_URL` → `redisUrl`). */
export type EnvConfig<S extends z.ZodObject> = {
  [K in keyof z.infer<S> as K extends string ? CamelCase<K> : never]: z.infer<S>[K];
};

/** `WORKER_MAX_RPS` → `workerMaxRps`. */
export function camelCase(name: string): string {
  return name.toLowerCase().replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * Parses `env` against a zod object schema keyed by variable name and returns the values under camelCase
 * names (`WORKER_CONCURRENCY` → `workerConcurrency`), the one style of every process's config. A bad or
 * missing variable throws a `ConfigError` that names each variable and what it expects, so start-up stops
 * with one readable message.
 */
export function parseEnv<S extends z.ZodObject>(schema: S, env: Env): EnvConfig<S> {
  const result = schema.safeParse(env);
  if (result.success) {
    return Object.fromEntries(
      Object.entries(result.data).map(([name, value]) => [camelCase(name), value]),
    ) as EnvConfig<S>;
  }
  const lines = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(environment)';
    const received = issue.code === 'invalid_type' && env[name] === undefined ? ' (it is not set)' : '';
    return `  ${name}: ${issue.message}${received}`;
  });
  throw new ConfigError(`invalid environment:\n${lines.join('\n')}`);
}
