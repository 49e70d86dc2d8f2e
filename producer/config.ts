import { z } from 'zod';
import { commonEnv, llmEnv, llmSettingsFrom, parseEnv, type Env } from '../shared/config.js';
import { kbEnv } from '../shared/kb/index.js';
import type { LlmSettings } from '../shared/llm/index.js';
import { telemetryEnv, type TelemetryEnv } from '../shared/telemetry-env.js';

/** What `loadgen run` reads from the environment. */
export const ProducerEnvSchema = z.object({
  ...commonEnv,
  ...telemetryEnv,
  ...llmEnv,
  KB_DIR: kbEnv.KB_DIR,
});

export interface ProducerConfig {
  redisUrl: string;
  prefix: string;
  logLevel: string;
  /** The knowledge base folder (KB_DIR); `--kb` overrides it. */
  kbDir: string;
  llm: LlmSettings;
  /** OTEL_* (tracing is on when an endpoint is set). */
  telemetry: TelemetryEnv;
}

/** Parses the producer's environment once at start; a bad variable throws a `ConfigError` naming it. */
export function loadConfig(env: Env = process.env): ProducerConfig {
  const parsed = parseEnv(ProducerEnvSchema, env);
  return {
    redisUrl: parsed.REDIS_URL,
    prefix: parsed.REDIS_PREFIX,
    logLevel: parsed.LOG_LEVEL,
    kbDir: parsed.KB_DIR,
    llm: llmSettingsFrom(parsed),
    telemetry: {
      OTEL_EXPORTER_OTLP_ENDPOINT: parsed.OTEL_EXPORTER_OTLP_ENDPOINT,
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: parsed.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
      OTEL_SERVICE_NAME: parsed.OTEL_SERVICE_NAME,
    },
  };
}
