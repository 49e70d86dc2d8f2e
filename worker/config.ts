import { z } from 'zod';
import { commonEnv, launchDarklyEnv, llmEnv, parseEnv, type Env, type EnvConfig } from '../shared/config.js';
import { resolveProvider, PROVIDERS, type Provider } from '../shared/llm/index.js';
import { telemetryEnv } from '../shared/telemetry-env.js';
import { DEFAULT_REDIS_CONNECT_TIMEOUT_MS } from '../shared/redis.js';
import { STALL_SETTINGS } from './stall-settings.js';

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
/** An empty value (as `.env.example` leaves optional ones) means unset. */
const unsetIfEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema);

/** The longest per-request deadline allowed: the tutorial's 2,000 s. */
export const MAX_CHAT_TIMEOUT_SECONDS = 2000;

/** Environment of `loadgen worker` (and of `startWorker`). */
export const WorkerConfigSchema = z.object({
  ...commonEnv,
  ...telemetryEnv,
  ...launchDarklyEnv,
  ...llmEnv,
  /** Base URL of the agent service (POST /chat). */
  AGENT_SERVICE_URL: z.url({ protocol: /^https?$/ }).default('http://127.0.0.1:8000'),
  /** Jobs one worker process runs at once. */
  WORKER_CONCURRENCY: int(1, 1000).default(10),
  /** Deadline of one chat request, seconds (the tutorial allows up to 2,000). */
  CHAT_TIMEOUT_SECONDS: int(1, MAX_CHAT_TIMEOUT_SECONDS).default(120),
  /** Queue-wide limit on jobs started per second, over every worker; unset = unlimited. */
  WORKER_MAX_RPS: unsetIfEmpty(z.coerce.number().positive().max(100_000).optional()),
  /** Model of the LLM judge that plays the user. */
  JUDGE_MODEL: z.string().min(1).default('claude-haiku-4-5'),
  /** Provider of the judge model; inferred from its name when unset (claude → anthropic, gpt → openai). */
  JUDGE_PROVIDER: unsetIfEmpty(z.enum(PROVIDERS).optional()),
  /** Characters of question plus answer the judge sees; longer answers keep their start and end. */
  JUDGE_MAX_CHARS: int(500, 200_000).default(16_000),
  /** Deadline of one judge call, seconds. */
  JUDGE_TIMEOUT_SECONDS: int(1, 600).default(60),
  /** Shortest time between two LaunchDarkly flushes (events plus checkpoint), ms; an idle reporter flushes at once. */
  WORKER_LD_FLUSH_MS: int(10, 10_000).default(20),
  /** BullMQ lock of an active job, ms (set the same three stall values on every worker of a queue); a dead worker's job is picked up after at most this plus the interval. */
  WORKER_LOCK_DURATION_MS: int(1000, 600_000).default(STALL_SETTINGS.lockDuration),
  /** How often workers look for stalled jobs (whose worker died), ms. */
  WORKER_STALLED_INTERVAL_MS: int(500, 600_000).default(STALL_SETTINGS.stalledInterval),
  /** How often a job may stall (its worker died) before it fails. */
  WORKER_MAX_STALLED_COUNT: int(0, 100).default(STALL_SETTINGS.maxStalledCount),
  /** How long start-up waits for Redis, ms, before giving up with the (redacted) URL and the cause. */
  REDIS_CONNECT_TIMEOUT_MS: int(100, 3_600_000).default(DEFAULT_REDIS_CONNECT_TIMEOUT_MS),
  /** Seconds SIGTERM waits for in-flight jobs before closing anyway (their jobs resume on another worker). */
  WORKER_SHUTDOWN_SECONDS: int(1, 3600).default(60),
  /** Port of the Prometheus /metrics endpoint; `off` switches it off, 0 takes any free port. */
  WORKER_METRICS_PORT: z
    .union([z.literal('off'), int(0, 65535)], { error: 'must be a port number (0-65535) or off' })
    .default(9464)
    .transform((v) => (v === 'off' ? null : v)),
  /** Interface the metrics endpoint listens on. */
  WORKER_METRICS_HOST: z.string().min(1).default('0.0.0.0'),
});
/** The worker's settings: each variable under its camelCase name (`WORKER_CONCURRENCY` → `workerConcurrency`). */
export type WorkerConfig = EnvConfig<typeof WorkerConfigSchema>;

/** Parses the worker's environment once at start; a bad variable throws a `ConfigError` naming it. */
export function loadConfig(env: Env = process.env): WorkerConfig {
  const config = parseEnv(WorkerConfigSchema, env);
  judgeProvider(config);
  return config;
}

/** The judge's provider: `JUDGE_PROVIDER`, or inferred from the model (shared/llm `resolveProvider`). */
export function judgeProvider(config: Pick<WorkerConfig, 'judgeModel' | 'judgeProvider'>): Provider {
  return resolveProvider(config.judgeModel, { provider: config.judgeProvider, setting: 'JUDGE_PROVIDER' });
}
