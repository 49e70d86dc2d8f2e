import type { DefaultJobOptions } from 'bullmq';
import { z } from 'zod';
import { UserContextSchema } from './user-context.js';

/** The one queue every producer writes to and every worker reads. */
export const QUERY_QUEUE = 'queries';
/** BullMQ job name of a query job. */
export const QUERY_JOB_NAME = 'query';

export const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

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

/** Default options of query jobs: retried with exponential backoff, results kept in run records. */
export const QUERY_JOB_OPTIONS: DefaultJobOptions = {
  attempts: 5,
  backoff: { type: 'exponential', delay: 1000, jitter: 0.5 },
  // Result records live in the run (Redis hash), so completed jobs can go; failures stay for Bull Board.
  removeOnComplete: { age: 24 * 3600, count: 10_000 },
  removeOnFail: { age: 7 * 24 * 3600 },
};
