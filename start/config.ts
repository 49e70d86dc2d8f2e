import { z } from 'zod';
import { commonEnv, llmEnv, LLM_SIM_OFF, parseEnv, type Env, type EnvConfig } from '../shared/config.js';

/**
 * What `loadgen start` itself reads. Everything else in the environment is passed on to its children, which
 * parse their own variables.
 */
const StartEnvSchema = z.object({
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  REDIS_PREFIX: commonEnv.REDIS_PREFIX,
  ...llmEnv,
  /** Kept as `off` here: `start` then runs no llm-sim and goes live even without a provider key. */
  LLM_SIM_URL: z.literal(LLM_SIM_OFF).or(llmEnv.LLM_SIM_URL),
  /** Unset: `loadgen start` runs a redis-server of its own in a temporary directory. */
  REDIS_URL: z
    .url({ protocol: /^rediss?$/ })
    .optional()
    .or(z.literal('').transform(() => undefined)),
});
/** Each variable under its camelCase name (`LLM_SIM_URL` → `llmSimUrl`). */
export type StartConfig = EnvConfig<typeof StartEnvSchema>;

export function loadConfig(env: Env = process.env): StartConfig {
  return parseEnv(StartEnvSchema, env);
}
