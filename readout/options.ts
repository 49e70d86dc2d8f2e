import { z } from 'zod';
import { describeZodError } from '../shared/errors.js';
import { RUN_ID_PATTERN } from '../shared/query-job.js';
import { ConfigError } from '../shared/errors.js';

const fraction = (label: string) =>
  z.coerce.number().gt(0, `${label} must be between 0 and 1`).lt(1, `${label} must be between 0 and 1`);

export const ReportOptionsSchema = z.object({
  runId: z.string().regex(RUN_ID_PATTERN, 'must be 1-64 letters, digits, _ or -').optional(),
  input: z.string().min(1).optional(),
  json: z.boolean().default(false),
  html: z.string().min(1).optional(),
  check: z.boolean().default(false),
  experiment: z.array(z.string()).default([]),
  experimentsFile: z.string().min(1).optional(),
  seed: z.coerce.number().int('must be an integer').optional(),
});
export type ReportOptions = z.infer<typeof ReportOptionsSchema>;

export const ExportOptionsSchema = z.object({
  runId: z.string().regex(RUN_ID_PATTERN, 'must be 1-64 letters, digits, _ or -'),
  output: z.string().min(1).optional(),
  /** `jsonl` (one record per line) or `csv` (a header, then one flattened row per record). */
  format: z.enum(['jsonl', 'csv']).default('jsonl'),
});
export type ExportOptions = z.infer<typeof ExportOptionsSchema>;

export const PlanOptionsSchema = z.object({
  experiment: z.array(z.string()).default([]),
  experimentsFile: z.string().min(1).optional(),
  baseline: fraction('a rate'),
  lift: z.coerce.number().gt(-1, 'must be above -1 (a fraction, 0.2 = +20%)').optional(),
  confidence: fraction('a confidence').optional(),
  power: fraction('a power'),
  requestsPerUser: z.coerce.number().int('must be an integer').positive(),
  queryTokens: z.coerce.number().int('must be an integer').nonnegative(),
  piiPercentage: z.coerce
    .number()
    .gt(0, 'must be above 0 and at most 100')
    .max(100, 'must be above 0 and at most 100'),
  queries: z.union(
    [z.literal('auto'), z.coerce.number().int('must be an integer').positive('must be above 0')],
    {
      error: 'must be auto or an integer above 0',
    },
  ),
  segments: z.string().min(1),
  json: z.boolean().default(false),
});
export type PlanOptions = z.infer<typeof PlanOptionsSchema>;

const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** Validates commander's raw options; a bad one is a ConfigError naming the option as typed (`--baseline`). */
export function parseOptions<S extends z.ZodObject>(schema: S, raw: Record<string, unknown>): z.infer<S> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const field = String(result.error.issues[0]?.path[0] ?? '');
    const name = field === 'runId' ? 'runId' : `--${kebab(field)}`;
    throw new ConfigError(
      `invalid option ${name}: ${describeZodError(result.error).replace(/^[^:]*: /, '')}`,
    );
  }
  return result.data;
}
