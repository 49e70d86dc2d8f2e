import { z } from 'zod';
import { commonEnv, parseEnv, type Env, type EnvConfig } from '../shared/config.js';
import { ConfigError } from '../shared/errors.js';
import { describeZodError } from '../shared/errors.js';
import { DEFAULT_PROFILE_PATH } from './profile.js';

const SimEnvSchema = z.object({
  /** trace | debug | info | warn | error | fatal | silent */
  LOG_LEVEL: commonEnv.LOG_LEVEL,
});
/** `logLevel`. */
export type SimConfig = EnvConfig<typeof SimEnvSchema>;

/** Environment of `loadgen sim`, parsed once at start. */
export function loadConfig(env: Env = process.env): SimConfig {
  return parseEnv(SimEnvSchema, env);
}

/** Defaults of `loadgen sim` options, shown by `--help`. */
export const SIM_DEFAULTS = { port: '4010', host: '127.0.0.1', seed: '1', profile: DEFAULT_PROFILE_PATH };

const OptionsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65535),
  host: z.string().min(1),
  seed: z.coerce.number().int().min(-0x80000000).max(0x7fffffff),
  profile: z.string().min(1),
  zeroLatency: z.boolean().default(false),
});
export type SimOptions = z.infer<typeof OptionsSchema>;

/** Validates the command-line options; a bad one throws a `ConfigError` naming the option. */
export function parseSimOptions(raw: Record<string, unknown>): SimOptions {
  const result = OptionsSchema.safeParse(raw);
  if (!result.success) {
    throw new ConfigError(`invalid option: ${describeZodError(result.error).replace(/^(\w+)/, '--$1')}`);
  }
  return result.data;
}
