import type { QueryJob } from '../shared/query-job.js';
import type { ResultRecord } from '../shared/result-record.js';
import type { ChatCheckpoint, JudgeCheckpoint } from './checkpoint-store.js';

export interface RecordInput {
  jobId: string;
  job: QueryJob;
  status: 'completed' | 'failed';
  /** When the job was enqueued (BullMQ `job.timestamp`). */
  enqueuedAt: number;
  /** When its first attempt started (from the checkpoint). */
  firstStartedAt: number;
  attempts: number;
  chat?: ChatCheckpoint | undefined;
  judge?: JudgeCheckpoint | undefined;
  error?: string | undefined;
  finishedAt?: number;
}

/**
 * The run's result record of a job, from the job and what its checkpoint holds. A failed job keeps whatever
 * it got done (a chat it paid for, a verdict), so spend and variations add up in the readout.
 */
export function buildResultRecord(input: RecordInput): ResultRecord {
  const { job, chat, judge } = input;
  const agents = chat?.response.agents ?? [];
  const record: ResultRecord = {
    jobId: input.jobId,
    runId: job.runId,
    seq: job.seq,
    status: input.status,
    userKey: job.user.key,
    variations: Object.fromEntries(agents.map((a) => [a.configKey, a.variationKey])),
    served: agents.map((a) => ({
      configKey: a.configKey,
      variationKey: a.variationKey,
      version: a.version,
      model: a.model,
      provider: a.provider,
    })),
    route: chat?.response.route ?? [],
    // A delayed (open-model) job waits from its scheduled arrival, not from when it was added.
    queueWaitMs: Math.max(0, input.firstStartedAt - (job.scheduledAt ?? input.enqueuedAt)),
    tokens: chat?.response.totals.tokens ?? { input: 0, output: 0, total: 0 },
    // Without a chat response nothing is known to have been spent on the request.
    requestCostUsd: chat ? chat.response.totals.costUsd : 0,
    unpricedModels: chat?.response.totals.unpricedModels ?? [],
    harnessCostUsd: judge?.costUsd ?? 0,
    feedback: judge?.verdict ?? null,
    attempts: input.attempts,
    finishedAt: input.finishedAt ?? Date.now(),
  };
  const optional: Partial<ResultRecord> = {
    segment: job.user.segment,
    topic: job.topic,
    complexity: job.complexity,
    piiInjected: job.piiInjected,
    latencyMs: chat?.latencyMs,
    durationMs: chat?.response.totals.durationMs,
    feedbackReason: judge?.reason,
    error: input.error,
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) {
      (record as Record<string, unknown>)[key] = value;
    }
  }
  return record;
}
