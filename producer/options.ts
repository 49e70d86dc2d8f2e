import { z } from 'zod';
import { OptionError } from './errors.js';
import { DEFAULT_DECIDE_EVERY, StopWhenDecidedSchema } from '../readout/index.js';
import { RUN_ID_PATTERN } from '../shared/query-job.js';
import { ARRIVAL_KINDS, parseDuration, parseStages, type Stage } from '../shared/arrivals.js';

export const TOPIC_METHODS = ['auto', 'extractive', 'llm'] as const;
export type TopicMethod = (typeof TOPIC_METHODS)[number];

export const MAX_QUERIES = 1_000_000;

/** A segment key → weight map; weights are relative and normalised when users are assigned. */
export type SegmentMix = Record<string, number>;

/**
 * Parses `other-paid=0.5,eu-paid=0.5` (a bare `other-paid` means weight 1). Keys are checked against the
 * manifest later, where the known segments are listed in the error.
 */
export function parseSegmentMix(spec: string): SegmentMix {
  const mix: SegmentMix = {};
  for (const part of spec.split(',')) {
    const item = part.trim();
    if (item === '') {
      continue;
    }
    const [key = '', weightText, ...rest] = item.split('=').map((s) => s.trim());
    const weight = weightText === undefined ? 1 : Number(weightText);
    if (key === '' || rest.length > 0 || weightText === '' || !Number.isFinite(weight) || weight < 0) {
      throw new OptionError(
        `invalid --segments "${spec}": "${item}" is not segment=weight with a weight >= 0 ` +
          '(e.g. other-paid=0.5,eu-paid=0.5)',
      );
    }
    if (key in mix) {
      throw new OptionError(`invalid --segments "${spec}": segment "${key}" is listed twice`);
    }
    mix[key] = weight;
  }
  if (Object.keys(mix).length === 0 || Object.values(mix).every((w) => w === 0)) {
    throw new OptionError(`invalid --segments "${spec}": give at least one segment with a weight above 0`);
  }
  return mix;
}

const intIn = (min: number, max: number) =>
  z.coerce
    .number({ error: `must be an integer from ${min} to ${max}` })
    .refine((n) => Number.isInteger(n) && n >= min && n <= max, `must be an integer from ${min} to ${max}`);

/** A k6 duration (`30s`, `10m`, `1h30m`) or a number of milliseconds. */
const duration = z.union([z.number().int().positive(), z.string()]).transform((value, ctx) => {
  if (typeof value === 'number') {
    return value;
  }
  try {
    return parseDuration(value);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const stages = z
  .union([
    z.array(z.object({ durationMs: z.number().positive(), target: z.number().nonnegative() })),
    z.string(),
  ])
  .transform((value, ctx): Stage[] => {
    if (typeof value !== 'string') {
      return value;
    }
    try {
      return parseStages(value);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

const segments = z
  .union([z.string(), z.record(z.string(), z.number().nonnegative('weights must be >= 0'))])
  .transform((value) => (typeof value === 'string' ? parseSegmentMix(value) : value))
  .refine((mix) => Object.values(mix).some((w) => w > 0), 'give at least one segment with a weight above 0');

/** Options of {@link createRun} and `loadgen run`; numbers may be given as strings (as the CLI does). */
export const RunOptionsSchema = z.object({
  /** Run id; generated when absent. */
  runId: z.string().regex(RUN_ID_PATTERN, 'must be 1-64 letters, digits, _ or -').optional(),
  /** How many queries to generate; `auto`: enough for every experiment's planned size (see run-sizing.ts). */
  queries: z
    .union([z.literal('auto'), intIn(1, MAX_QUERIES)], {
      error: `must be auto or an integer from 1 to ${MAX_QUERIES}`,
    })
    .default(200),
  /** Fixes topic choice, queries (template mode), users and order; random (and recorded) when absent. */
  seed: intIn(-0x80000000, 0x7fffffff).optional(),
  /** Share of queries with personal data injected, percent. */
  piiPercentage: z.coerce
    .number({ error: 'must be a number from 0 to 100' })
    .min(0, 'must be a number from 0 to 100')
    .max(100, 'must be a number from 0 to 100')
    .default(15),
  /** Segment mix, as a map or a `key=weight,…` spec. */
  segments: segments.default({ 'other-paid': 1 }),
  /** Size of a pool of returning users; absent means a fresh user key per query. */
  users: intIn(1, MAX_QUERIES).optional(),
  /** Topic extraction: `auto` uses the LLM when a real provider key is configured. */
  topics: z.enum(TOPIC_METHODS).default('auto'),
  /** Knowledge-base folder; the shipped `kb/` when absent. */
  kbDir: z.string().min(1).optional(),
  /** Print the plan and write the query set without enqueueing. */
  dryRun: z.boolean().default(false),
  /** Where to write the query set (JSONL); a dry run writes `<runId>.queries.jsonl` when absent. */
  out: z.string().min(1).optional(),
  /** Enqueue this query set (JSONL of query jobs) instead of generating one. */
  fromFile: z.string().min(1).optional(),
  /** Spend limit stored with the run (workers stop the run when it is reached). */
  budgetUsd: z.coerce.number({ error: 'must be a number above 0' }).positive('must be above 0').optional(),
  /** Concurrent LLM calls while generating. */
  concurrency: intIn(1, 64).default(4),
  /** Model used to extract topics and write questions in LLM mode. */
  model: z.string().min(1).optional(),
  /** Jobs per `addBulk` call. */
  chunkSize: intIn(1, 10_000).default(1000),
  /**
   * After enqueueing, follow the run and stop it once every experiment (`true`) or the experiments named
   * (comma-separated ids) are decided.
   */
  stopWhenDecided: StopWhenDecidedSchema,
  /** Results between two readouts of `stopWhenDecided`. */
  decideEvery: intIn(1, MAX_QUERIES).default(DEFAULT_DECIDE_EVERY),
  /**
   * Open model: new jobs per second (with `duration`), or the start rate of `stages`. The number of queries is
   * then the schedule's arrivals, each a BullMQ delayed job due at its arrival time.
   */
  rate: z.coerce.number({ error: 'must be a number above 0' }).positive('must be above 0').optional(),
  /** Open model: k6-style ramps `30s:3,10m:3,1m:10` (duration:target rate per second). */
  stages: stages.optional(),
  /** Open model: how long `rate` lasts. */
  duration: duration.optional(),
  /** Open model: evenly spaced (`constant`) or seeded Poisson arrivals. */
  arrival: z.enum(ARRIVAL_KINDS).default('constant'),
  /** Open model: a job that cannot start within this long after its scheduled time is dropped. */
  dropAfter: duration.default(5000),
});
export type RunOptionsInput = z.input<typeof RunOptionsSchema>;
export type RunOptions = z.output<typeof RunOptionsSchema>;

const FLAGS: Record<string, string> = {
  runId: '--run-id',
  piiPercentage: '--pii-percentage',
  kbDir: '--kb',
  dryRun: '--dry-run',
  fromFile: '--from-file',
  budgetUsd: '--budget-usd',
  chunkSize: '--chunk-size',
  stopWhenDecided: '--stop-when-decided',
  decideEvery: '--decide-every',
  dropAfter: '--drop-after',
};

/** Validates options; a bad one throws an `OptionError` (a `ConfigError`) naming the option (and its CLI flag). */
export function parseRunOptions(input: RunOptionsInput): RunOptions {
  const result = RunOptionsSchema.safeParse(input);
  if (result.success) {
    const { rate, duration: lasts, stages: ramps, fromFile } = result.data;
    if (rate !== undefined && lasts === undefined && ramps === undefined) {
      throw new OptionError('invalid run options: --rate needs --duration (or --stages)');
    }
    if (lasts !== undefined && rate === undefined) {
      throw new OptionError('invalid run options: --duration needs --rate');
    }
    if (fromFile !== undefined && (rate !== undefined || ramps !== undefined)) {
      throw new OptionError(
        'invalid run options: --rate/--stages make their own query count: drop --from-file',
      );
    }
    return result.data;
  }
  const lines = result.error.issues.map((issue) => {
    const field = String(issue.path[0] ?? '(options)');
    const flag = FLAGS[field] ?? `--${field}`;
    const given = (input as Record<string, unknown>)[field];
    const shown = given === undefined ? '' : ` (got ${JSON.stringify(given)})`;
    return `  ${field} (${flag}): ${issue.message}${shown}`;
  });
  throw new OptionError(`invalid run options:\n${lines.join('\n')}`);
}
