import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { ChatRequest, ChatResponse } from '../shared/chat.js';
import { coerceError } from '../shared/errors.js';
import { describeZodError, QueryJobSchema, type QueryJob } from '../shared/jobs.js';
import type { Logger } from '../shared/logger.js';
import type { RedisKeys } from '../shared/redis.js';
import type { RunStore } from '../shared/runs.js';
import type { BudgetGuard } from './budget-guard.js';
import type { Checkpoint, CheckpointStore } from './checkpoint-store.js';
import type { JobSummary } from './job-output.js';
import type { Judge } from './judge.js';
import type { LaunchDarklyReporter } from './launchdarkly-reporter.js';
import type { WorkerMetrics } from './metrics.js';
import { dropLateArrival } from './arrival-check.js';
import { buildResultRecord } from './result-record.js';
import { StepError } from './step-error.js';

export interface ProcessorDeps {
  chat: (request: ChatRequest, signal?: AbortSignal) => Promise<ChatResponse>;
  judge: Pick<Judge, 'judge'>;
  reporter: Pick<LaunchDarklyReporter, 'report'>;
  checkpoints: CheckpointStore;
  budget: BudgetGuard;
  runs: RunStore;
  redis: Redis;
  keys: RedisKeys;
  metrics: WorkerMetrics;
  logger: Logger;
  output: (summary: JobSummary) => void;
  /** The BullMQ worker running this processor, for `rateLimit`. */
  worker: () => Worker;
}

/** What a processed job returns (its BullMQ return value). */
export interface JobOutcome {
  jobId: string;
  verdict: string | null;
  costUsd: number | null;
  /** True when the job's result had already been recorded by an earlier attempt. */
  alreadyRecorded?: boolean;
}

/**
 * A hash of the run's job ids whose LaunchDarkly events were sent again after an unconfirmed flush, to how many
 * times: the only jobs whose events LaunchDarkly may have more than once (at most 1 + that count).
 */
export function resentKey(keys: RedisKeys, runId: string): string {
  return keys.key('run', runId, 'ld-resent');
}

/**
 * The worker's job handler. Per job: (1) chat with the agent service, (2) judge the answer, (3) report
 * feedback and cost to LaunchDarkly, (4) record the result; each step is checkpointed, so another attempt
 * (a retry, or another worker after this one died) resumes after the last step done.
 */
export function createQueryProcessor(deps: ProcessorDeps) {
  return async (job: Job, _token?: string, signal?: AbortSignal): Promise<JobOutcome> => {
    const parsed = QueryJobSchema.safeParse(job.data);
    if (!parsed.success) {
      deps.metrics.jobs.inc({ outcome: 'failed' });
      deps.logger.warn({ jobId: job.id, reason: describeZodError(parsed.error) }, 'invalid query job');
      throw new UnrecoverableError(`invalid query job: ${describeZodError(parsed.error)}`);
    }
    const data = parsed.data;
    const jobId = job.id as string;
    const attempt = job.attemptsMade + 1;
    const log = deps.logger.child({ runId: data.runId, jobId, attempt });
    if (await alreadyRecorded(deps, data.runId, jobId)) {
      log.info('result already recorded; nothing to do');
      return { jobId, verdict: null, costUsd: null, alreadyRecorded: true };
    }
    if (await dropLateArrival(deps.runs, job, data)) {
      deps.metrics.jobs.inc({ outcome: 'failed' });
      log.warn({ scheduledAt: data.scheduledAt }, 'dropped: started too late after its scheduled arrival');
      return { jobId, verdict: null, costUsd: null };
    }
    const finalAttempt = attempt >= (job.opts.attempts ?? 1);
    let checkpoint: Checkpoint | undefined;
    deps.metrics.active.inc();
    try {
      checkpoint = await deps.checkpoints.begin(jobId);
      return await runSteps(deps, job, data, checkpoint, { finalAttempt, log, signal });
    } catch (err) {
      const error = coerceError(err);
      await addSpentCost(deps, data.runId, error, log);
      if (error instanceof StepError && error.kind === 'rate-limited') {
        const ms = error.details.retryAfterMs ?? 1000;
        log.warn({ retryAfterMs: ms, reason: error.message }, 'rate limited: pausing the queue');
        deps.metrics.jobs.inc({ outcome: 'rate_limited' });
        await deps.worker().rateLimit(ms);
        throw Worker.RateLimitError();
      }
      const fatal =
        error instanceof UnrecoverableError || (error instanceof StepError && error.kind === 'fatal');
      if (!fatal && !finalAttempt) {
        log.warn({ reason: error.message }, 'attempt failed; will retry');
        deps.metrics.jobs.inc({ outcome: 'retried' });
        throw error;
      }
      // Read again: the chat (and verdict) this attempt saved before failing belong in the failed record.
      const saved = await deps.checkpoints.begin(jobId).catch(() => checkpoint);
      await recordFailure(deps, job, data, saved, error.message);
      deps.metrics.jobs.inc({ outcome: 'failed' });
      throw fatal && !(error instanceof UnrecoverableError) ? new UnrecoverableError(error.message) : error;
    } finally {
      deps.metrics.active.dec();
    }
  };
}

/**
 * Records jobs that BullMQ failed without running the processor (a job that stalled more than
 * `maxStalledCount` times fails on its next pick-up), so every job of a run still ends with a record.
 */
export async function recordBypassedFailure(
  deps: ProcessorDeps,
  job: Job | undefined,
  err: Error,
): Promise<void> {
  if (!job?.id || !/more than allowable limit/.test(err.message)) {
    return;
  }
  const parsed = QueryJobSchema.safeParse(job.data);
  if (!parsed.success) {
    return;
  }
  const checkpoint = await deps.checkpoints.begin(job.id).catch(() => undefined);
  deps.metrics.jobs.inc({ outcome: 'failed' });
  await recordFailure(deps, job, parsed.data, checkpoint, err.message);
}

/**
 * What a failed step had already spent (the judge's calls before the one that failed) is money gone: it goes
 * into the run's spend, though no step was saved to carry it.
 */
async function addSpentCost(deps: ProcessorDeps, runId: string, error: Error, log: Logger): Promise<void> {
  const usd = error instanceof StepError ? (error.details.spentUsd ?? 0) : 0;
  if (usd <= 0) {
    return;
  }
  deps.metrics.spend.inc({ kind: 'harness' }, usd);
  await deps.redis
    .incrbyfloat(deps.keys.runSpend(runId), usd)
    .catch((e: unknown) => log.warn({ err: e, usd }, 'cannot add the failed step cost to spend'));
}

async function runSteps(
  deps: ProcessorDeps,
  job: Job,
  data: QueryJob,
  checkpoint: Checkpoint,
  options: { finalAttempt: boolean; log: Logger; signal?: AbortSignal | undefined },
): Promise<JobOutcome> {
  const jobId = job.id as string;
  const { log } = options;
  let chat = checkpoint.chat;
  if (!chat) {
    await deps.budget.check(data.runId);
    const started = performance.now();
    const response = await deps.chat({ message: data.query, user: data.user }, options.signal);
    const latencyMs = Math.round(performance.now() - started);
    chat = await deps.checkpoints.saveChat(
      jobId,
      data.runId,
      { response, latencyMs },
      response.totals.costUsd ?? 0,
    );
    deps.metrics.chatLatency.observe(latencyMs / 1000);
    deps.metrics.spend.inc({ kind: 'request' }, response.totals.costUsd ?? 0);
  } else {
    log.debug('chat already done (checkpoint)');
  }
  let verdict = checkpoint.judge;
  if (!verdict) {
    const judged = await deps.judge.judge(data.query, chat.response.answer, {
      finalAttempt: options.finalAttempt,
    });
    verdict = await deps.checkpoints.saveJudge(jobId, data.runId, judged);
    deps.metrics.verdicts.inc({ verdict: verdict.verdict });
    deps.metrics.spend.inc({ kind: 'harness' }, verdict.costUsd);
    if (verdict.verdict === 'judge_error') {
      log.warn({ reason: verdict.reason }, 'judge failed; recorded as judge_error');
    }
  }
  if (!checkpoint.reported) {
    const sent = await deps.reporter.report({
      jobId,
      runId: data.runId,
      user: data.user,
      verdict: verdict.verdict,
      // A disabled AI Config served nothing (the agent service tracked nothing for it): no feedback for it.
      trackData: chat.response.agents.filter((a) => a.enabled).map((a) => a.trackData),
      costUsd: chat.response.totals.costUsd,
      resentKey: resentKey(deps.keys, data.runId),
    });
    if (sent.resent) {
      log.warn('an earlier LaunchDarkly flush of this job was never confirmed; its events were sent again');
      deps.metrics.resent.inc();
    }
    deps.metrics.events.inc({ kind: 'feedback' }, sent.feedbackEvents);
    deps.metrics.events.inc({ kind: 'cost' }, sent.costEvents);
  }
  if (chat.response.totals.costUsd === null) {
    log.warn({ unpriced: chat.response.totals.unpricedModels }, 'request cost unknown: no cost event sent');
  }
  const record = buildResultRecord({
    jobId,
    job: data,
    status: 'completed',
    enqueuedAt: job.timestamp,
    firstStartedAt: checkpoint.firstStartedAt,
    attempts: job.attemptsMade + 1,
    chat,
    judge: verdict,
  });
  await deps.runs.recordResult(record);
  await deps.checkpoints.retire(jobId);
  deps.metrics.jobs.inc({ outcome: 'completed' });
  // Best effort: the result is recorded, so a failing summary must not make the job retry or fail.
  await summarize(deps, data, jobId, {
    status: 'completed',
    latencyMs: chat.latencyMs,
    verdict: verdict.verdict,
    costUsd: chat.response.totals.costUsd,
  }).catch((err: unknown) => log.warn({ err }, 'cannot print the job summary'));
  return { jobId, verdict: verdict.verdict, costUsd: chat.response.totals.costUsd };
}

/** True when a completed result exists; a failed one is removed so a manual retry can record anew. */
async function alreadyRecorded(deps: ProcessorDeps, runId: string, jobId: string): Promise<boolean> {
  const raw = await deps.redis.hget(deps.keys.runResults(runId), jobId);
  if (!raw) {
    return false;
  }
  if ((JSON.parse(raw) as { status?: string }).status === 'completed') {
    return true;
  }
  await deps.redis.hdel(deps.keys.runResults(runId), jobId);
  return false;
}

async function recordFailure(
  deps: ProcessorDeps,
  job: Job,
  data: QueryJob,
  checkpoint: Checkpoint | undefined,
  error: string,
): Promise<void> {
  const jobId = job.id as string;
  try {
    const record = buildResultRecord({
      jobId,
      job: data,
      status: 'failed',
      enqueuedAt: job.timestamp,
      firstStartedAt: checkpoint?.firstStartedAt ?? Date.now(),
      attempts: job.attemptsMade + 1,
      chat: checkpoint?.chat,
      judge: checkpoint?.judge,
      error,
    });
    await deps.runs.recordResult(record);
    await summarize(deps, data, jobId, { status: 'failed', error });
  } catch (err) {
    deps.logger.error({ err, jobId }, 'cannot record the failed result');
  }
}

async function summarize(
  deps: ProcessorDeps,
  data: QueryJob,
  jobId: string,
  fields: Pick<JobSummary, 'status' | 'latencyMs' | 'verdict' | 'costUsd' | 'error'>,
): Promise<void> {
  const [done, info] = await Promise.all([deps.runs.resultCount(data.runId), deps.budget.info(data.runId)]);
  deps.output({
    jobId,
    runId: data.runId,
    done,
    total: info.total,
    segment: data.user.segment,
    query: data.query,
    ...fields,
  });
}
