import type { DefaultJobOptions } from 'bullmq';
import { z } from 'zod';

/** The one queue every producer writes to and every worker reads. */
export const QUERY_QUEUE = 'queries';
/** BullMQ job name of a query job. */
export const QUERY_JOB_NAME = 'query';

export const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const attributeValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);

/** A LaunchDarkly `user` context: the key is required; any further attribute is passed to targeting. */
export const UserContextSchema = z
  .object({
    key: z.string().min(1, 'must be a non-empty string').max(256),
    country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code such as US or DE')
      .optional(),
    plan: z.enum(['free', 'paid']).optional(),
    region: z.string().max(64).optional(),
    /** The segment the producer built this user for (informational; targeting decides). */
    segment: z.string().max(64).optional(),
    anonymous: z.boolean().optional(),
  })
  .catchall(attributeValue)
  .superRefine((user, ctx) => {
    // LaunchDarkly reserves these names in a context: a user attribute with one would make it invalid.
    for (const name of ['kind', '_meta']) {
      if (name in user) {
        ctx.addIssue({ code: 'custom', path: [name], message: 'is reserved by LaunchDarkly contexts' });
      }
    }
  });
export type UserContext = z.infer<typeof UserContextSchema>;

export const COMPLEXITIES = ['basic', 'intermediate', 'advanced'] as const;
export type Complexity = (typeof COMPLEXITIES)[number];

/**
 * Data of a query job (queue `queries`, job name `query`, job id from {@link queryJobId}). Strict: an unknown
 * top-level field fails the job (a misspelt field would otherwise be dropped silently, and a large one carried
 * through Redis for nothing); further user attributes go in `user`.
 */
export const QueryJobSchema = z.strictObject({
  runId: z.string().regex(RUN_ID_PATTERN, 'must be 1-64 letters, digits, _ or -'),
  seq: z.number().int().nonnegative(),
  query: z.string().trim().min(1, 'must be a non-empty string').max(5000),
  topic: z.string().max(200).optional(),
  complexity: z.enum(COMPLEXITIES).optional(),
  piiInjected: z.boolean().optional(),
  user: UserContextSchema,
  /** Open model: when the job is due (epoch ms); it is enqueued as a BullMQ delayed job to arrive then. */
  scheduledAt: z.number().int().nonnegative().optional(),
  /** Open model: a job that starts more than this after `scheduledAt` is dropped (recorded failed, `dropped`). */
  dropAfterMs: z.number().int().nonnegative().optional(),
});
export type QueryJob = z.infer<typeof QueryJobSchema>;

/**
 * The job id of a query: `${runId}.${seq}`. Re-enqueueing the same run adds nothing, because BullMQ ignores
 * an add whose id exists. (DESIGN.md names `${runId}:${seq}`; BullMQ 6 rejects custom ids containing `:`,
 * and a run id cannot contain `.`, so this is the same rule with a separator BullMQ accepts.)
 */
export function queryJobId(runId: string, seq: number): string {
  return `${runId}.${seq}`;
}

/** Formats the first problem of a failed parse as `field.path: message`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .flatMap((issue) =>
      // An unknown field is named as its own path (cut short: the name itself may be huge).
      issue.code === 'unrecognized_keys'
        ? issue.keys.map((key) => `${[...issue.path, key.slice(0, 64)].join('.')}: unknown field`)
        : [`${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`],
    )
    .join('; ');
}

/** Default options of query jobs: retried with exponential backoff, results kept in run records. */
export const QUERY_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
  // Result records live in the run (Redis hash), so completed jobs can go; failures stay for Bull Board.
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};

export const VERDICTS = ['positive', 'negative', 'none', 'judge_error'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** What served one AI Config for a request. */
export const ServedConfigSchema = z.object({
  configKey: z.string(),
  variationKey: z.string(),
  version: z.number().optional(),
  model: z.string().optional(),
  provider: z.string().optional(),
});
export type ServedConfig = z.infer<typeof ServedConfigSchema>;

const TokensSchema = z.object({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  total: z.number().nonnegative(),
});

/** One per job, kept per run in Redis; `loadgen export` writes these as JSONL. */
export const ResultRecordSchema = z.object({
  jobId: z.string(),
  runId: z.string(),
  seq: z.number().int(),
  status: z.enum(['completed', 'failed']),
  userKey: z.string(),
  segment: z.string().optional(),
  topic: z.string().optional(),
  complexity: z.enum(COMPLEXITIES).optional(),
  piiInjected: z.boolean().optional(),
  /** Variation key per AI Config key that served the request. */
  variations: z.record(z.string(), z.string()),
  served: z.array(ServedConfigSchema).default([]),
  route: z.array(z.string()).default([]),
  /** End-to-end latency of the chat call, ms. */
  latencyMs: z.number().nonnegative().optional(),
  /** Sum of the agents' tracked `$ld:ai:duration:total`, ms. */
  durationMs: z.number().nonnegative().optional(),
  /** Time from enqueue to the first attempt's start, ms. */
  queueWaitMs: z.number().nonnegative().optional(),
  tokens: TokensSchema.default({ input: 0, output: 0, total: 0 }),
  /** The request's cost in USD; null when a model that served it is unpriced. */
  requestCostUsd: z.number().nonnegative().nullable(),
  unpricedModels: z.array(z.string()).default([]),
  /** What the harness spent on top (judge, query generation), USD. */
  harnessCostUsd: z.number().nonnegative().default(0),
  feedback: z.enum(VERDICTS).nullable(),
  feedbackReason: z.string().optional(),
  attempts: z.number().int().nonnegative(),
  error: z.string().optional(),
  finishedAt: z.number().int(),
});
export type ResultRecord = z.infer<typeof ResultRecordSchema>;
