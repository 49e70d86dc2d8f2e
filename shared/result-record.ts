import { z } from 'zod';
import { COMPLEXITIES } from './query-job.js';

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
