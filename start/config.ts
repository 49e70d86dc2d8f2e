import { z } from 'zod';
import { commonEnv, llmEnv, parseEnv, type Env } from '../shared/config.js';

/**
 * What `loadgen start` itself reads. Everything else in the environment is passed on to its children, which
 * parse their own variables.
 */
const StartEnvSchema = z.object({
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  REDIS_PREFIX: commonEnv.REDIS_PREFIX,
  ...llmEnv,
  /** Unset: `loadgen start` runs a redis-server of its own in a temporary directory. */
  REDIS_URL: z
    .url({ protocol: /^rediss?$/ })
    .optional()
    .or(z.literal('').transform(() => undefined)),
});
export type StartConfig = z.infer<typeof StartEnvSchema>;

export function loadConfig(env: Env = process.env): StartConfig {
  return parseEnv(StartEnvSchema, env);
}
