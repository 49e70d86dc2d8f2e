import { z } from 'zod';
import { commonEnv, launchDarklyEnv, llmEnv, parseEnv, type Env, type EnvConfig } from '../shared/config.js';

const optionalKey = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(
    z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'a LaunchDarkly key (letters, digits, . _ -)')
      .optional(),
  );

/** What `loadgen doctor` (and the preflight of `start`, `run` and `run --smoke`) reads. */
export const DoctorEnvSchema = z.object({
  REDIS_URL: commonEnv.REDIS_URL,
  REDIS_PREFIX: commonEnv.REDIS_PREFIX,
  ...launchDarklyEnv,
  ...llmEnv,
  /** LaunchDarkly project key whose metrics and experiments doctor checks (with LD_API_TOKEN). */
  LD_PROJECT: optionalKey,
  /** LaunchDarkly environment of the experiments doctor checks. */
  LD_ENVIRONMENT: optionalKey.transform((v) => v ?? 'production'),
  /** Agent service base URL that `run --smoke` sends its requests to. */
  AGENT_SERVICE_URL: z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v))
    .pipe(z.url({ protocol: /^https?$/ }).optional()),
});
/** Each variable under its camelCase name (`LD_PROJECT` → `ldProject`). */
export type DoctorConfig = EnvConfig<typeof DoctorEnvSchema>;

export function loadConfig(env: Env = process.env): DoctorConfig {
  return parseEnv(DoctorEnvSchema, env);
}
