import { z } from 'zod';
import { commonEnv, llmEnv, llmSettingsFrom, parseEnv, type Env } from '../shared/config.js';
import { kbEnv } from '../shared/kb/index.js';
import type { LlmSettings } from '../shared/llm/index.js';

/** What `loadgen run` reads from the environment. */
export const ProducerEnvSchema = z.object({
  ...commonEnv,
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
  };
}
