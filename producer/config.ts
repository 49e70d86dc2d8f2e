import { z } from 'zod';
import { commonEnv, llmEnv, parseEnv, type Env, type EnvConfig } from '../shared/config.js';
import { kbEnv } from '../shared/kb/index.js';
import { telemetryEnv } from '../shared/telemetry-env.js';

/** What `loadgen run` reads from the environment. */
export const ProducerEnvSchema = z.object({
  ...commonEnv,
  ...telemetryEnv,
  ...llmEnv,
  KB_DIR: kbEnv.KB_DIR,
});

/** Each variable under its camelCase name (`REDIS_PREFIX` → `redisPrefix`, `KB_DIR` → `kbDir`; `--kb` overrides it). */
export type ProducerConfig = EnvConfig<typeof ProducerEnvSchema>;

/** Parses the producer's environment once at start; a bad variable throws a `ConfigError` naming it. */
export function loadConfig(env: Env = process.env): ProducerConfig {
  return parseEnv(ProducerEnvSchema, env);
}
