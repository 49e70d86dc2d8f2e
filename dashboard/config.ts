import { z } from 'zod';
import { commonEnv, llmEnv, parseEnv, type Env, type EnvConfig } from '../shared/config.js';
import { kbEnv } from '../shared/kb/index.js';

const flag = z
  .enum(['true', 'false', '1', '0', ''], { error: 'must be true or false' })
  .optional()
  .transform((v) => v === 'true' || v === '1');

export const DEFAULT_DASHBOARD_PORT = 3000;
export const DEFAULT_DASHBOARD_HOST = '127.0.0.1';

/** What `loadgen dashboard` reads from the environment. */
export const DashboardEnvSchema = z.object({
  ...commonEnv,
  // The producer's variables: POST /api/runs runs the producer in this process, with these LLM settings and KB_DIR.
  ...llmEnv,
  KB_DIR: kbEnv.KB_DIR,
  /** Basic-auth user name of the dashboard. */
  DASHBOARD_USER: z.string().min(1, 'must not be empty').default('admin'),
  /** Basic-auth password; required unless the dashboard listens on loopback only. */
  DASHBOARD_PASSWORD: z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v)),
  /** Allow Bull Board's destructive and mutating actions (clean, empty, obliterate, retry, pause). */
  DASHBOARD_ALLOW_DESTRUCTIVE: flag,
  /** More names the dashboard answers to (comma-separated; `.example.com` includes subdomains). */
  DASHBOARD_ALLOWED_HOSTS: z
    .string()
    .optional()
    .transform((v) =>
      (v ?? '')
        .split(',')
        .map((h) => h.trim())
        .filter((h) => h !== ''),
    ),
  /** How often the run pages refresh themselves, seconds. */
  DASHBOARD_REFRESH_SECONDS: z.coerce
    .number({ error: 'must be a number of seconds from 1 to 3600' })
    .int('must be a whole number of seconds')
    .min(1, 'must be a number of seconds from 1 to 3600')
    .max(3600, 'must be a number of seconds from 1 to 3600')
    .default(5),
});

/** Each variable under its camelCase name (`DASHBOARD_PASSWORD` → `dashboardPassword`; unset: no authentication). */
export type DashboardConfig = EnvConfig<typeof DashboardEnvSchema>;

/** Parses the dashboard's environment once at start; a bad variable throws a `ConfigError` naming it. */
export function loadConfig(env: Env = process.env): DashboardConfig {
  return parseEnv(DashboardEnvSchema, env);
}
