import { z } from 'zod';
import { commonEnv, parseEnv, type Env, type EnvConfig } from '../shared/config.js';

const optional = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const LdEnvSchema = z.object({
  LOG_LEVEL: commonEnv.LOG_LEVEL,
  /** LaunchDarkly REST API access token (writer role, or ai-configs/segments/metrics/experiments write). */
  LD_API_TOKEN: optional,
  /** Base URL of the LaunchDarkly REST API; other instances (EU, federal) or a local test server. */
  LD_API_URL: z
    .string()
    .optional()
    .transform((v) => (v ? v : 'https://app.launchdarkly.com'))
    .pipe(z.url({ protocol: /^https?$/ })),
  /** Milliseconds one REST call may take before it is retried (as a network error is). */
  LD_API_TIMEOUT_MS: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(100).max(600_000).default(30_000),
  ),
});
/** Each variable under its camelCase name (`LD_API_TOKEN` → `ldApiToken`). */
export type LdConfig = EnvConfig<typeof LdEnvSchema>;

/** Configuration of the `loadgen ld` commands, parsed once at start. */
export function loadConfig(env: Env = process.env): LdConfig {
  return parseEnv(LdEnvSchema, env);
}
