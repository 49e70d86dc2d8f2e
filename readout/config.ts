import { z } from 'zod';
import { commonEnv, parseEnv, type Env, type EnvConfig } from '../shared/config.js';

/** What `loadgen report <runId>` and `loadgen export` read: where the run records are. */
export const ReadoutEnvSchema = z.object({
  /** Redis holding the run records. */
  REDIS_URL: commonEnv.REDIS_URL,
  /** Key prefix the run was recorded under. */
  REDIS_PREFIX: commonEnv.REDIS_PREFIX,
});
/** `redisUrl`, `redisPrefix`. */
export type ReadoutConfig = EnvConfig<typeof ReadoutEnvSchema>;

/** Parses the readout's environment; a bad variable throws a ConfigError naming it. */
export function loadConfig(env: Env = process.env): ReadoutConfig {
  return parseEnv(ReadoutEnvSchema, env);
}
