import { UnrecoverableError, Worker, type Job } from 'bullmq';
import { coerceError } from '../shared/errors.js';
import { describeZodError } from '../shared/errors.js';
import { QueryJobSchema, RUN_ID_PATTERN, type QueryJob } from '../shared/query-job.js';
import type { Logger } from '../shared/logger.js';
import { annotateSpan, withSpan } from '../shared/telemetry.js';
import type { RedisKeys } from '../shared/redis.js';
import type { RunStore } from '../shared/runs.js';
import type { BudgetGuard } from './budget-guard.js';
import type { Checkpoint, CheckpointStore } from './checkpoint-store.js';
import type { JobSummary } from './job-output.js';
import { dropLateArrival, isLateArrival } from './arrival-check.js';
import { JOB_STEPS, type StepContext, type StepDeps } from './job-steps.js';
import { runLabel } from './metrics.js';
import { buildResultRecord } from './result-record.js';
import { decideOnFailure, isFinalAttempt } from './retry-policy.js';
import { StepError } from './step-error.js';

export type { ProcessorMetrics, StepDeps } from './job-steps.js';

/** What the processor needs: the steps' dependencies plus logging, output and the queue pause. */
export interface ProcessorDeps extends StepDeps {
  checkpoints: StepDeps['checkpoints'] & Pick<CheckpointStore, 'begin' | 'open'>;
  budget: StepDeps['budget'] & Pick<BudgetGuard, 'info' | 'release'>;
  runs: StepDeps['runs'] & Pick<RunStore, 'ensure' | 'recordResult' | 'recordUnstarted' | 'addSpend'>;
  logger: Logger;
  output: (summary: JobSummary) => void;
  /** Pauses the whole queue for `ms` (the BullMQ worker's `rateLimit`). */
  rateLimit: (ms: number) => Promise<void>;
}

/** The fields of a BullMQ job the processor reads (a plain object in unit tests). */
export type QueryJobView = Pick<Job, 'id' | 'data' | 'attemptsMade' | 'timestamp'> & {
  opts: { attempts?: number | undefined };
};

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
export function resentKey(keys: Pick<RedisKeys, 'key'>, runId: string): string {
  return keys.key('run', runId, 'ld-resent');
}

/**
 * The worker's job handler: runs the job's steps (`JOB_STEPS`: chat, judge, report, record) in order, skipping
 * those an earlier attempt checkpointed, so a retry or another worker after this one died resumes after the
 * last step done. A failure goes to the retry policy (`retry-policy.ts`); a job that fails for good, or that
 * cannot even be read, still ends with a failed result record.
 */
export function createQueryProcessor(deps: ProcessorDeps) {
  return async (job: QueryJobView, _token?: string, signal?: AbortSignal): Promise<JobOutcome> => {
    const jobId = job.id as string;
    const parsed = QueryJobSchema.safeParse(job.data);
    if (!parsed.success) {
      return rejectInvalid(deps, job, `invalid query job: ${describeZodError(parsed.error)}`);
    }
    const data = parsed.data;
    // A run enqueued by a script without a run record gets one here, so the readout and dashboard know it.
    await deps.runs.ensure(data.runId);
    const attempt = job.attemptsMade + 1;
    annotateSpan({ 'loadgen.run_id': data.runId, 'loadgen.job_id': jobId, 'loadgen.attempt': attempt });
    const log = deps.logger.child({ runId: data.runId, jobId, attempt });
    const finalAttempt = isFinalAttempt(job);
    const now = Date.now();
    // Only a first attempt can be dropped (see dropLateArrival); it then needs no checkpoint.
    const late = job.attemptsMade === 0 && isLateArrival(data, now);
    let checkpoint: Checkpoint | undefined;
    /** What the job cost in all once it completed, and what it was served: the next reservations' estimate. */
    let completed: Parameters<ProcessorDeps['budget']['release']>[3];
    /** A dropped job never reserved anything: nothing to release. */
    let dropped = false;
    deps.metrics.active.inc();
    try {
      // One round trip: a completed result ends the attempt (a failed one is removed), else the checkpoint.
      const opened = await deps.checkpoints.open(jobId, data.runId, { start: !late, now });
      if (opened === 'completed') {
        log.info('result already recorded; nothing to do');
        // An attempt that died after recording (before its release) may still hold a reservation: `finally`.
        return { jobId, verdict: null, costUsd: null, alreadyRecorded: true };
      }
      if (late && (await dropLateArrival(deps.runs, job, data, now))) {
        dropped = true;
        deps.metrics.jobs.inc({ run: data.runId, outcome: 'failed' });
        log.warn({ scheduledAt: data.scheduledAt }, 'dropped: started too late after its scheduled arrival');
        return { jobId, verdict: null, costUsd: null };
      }
      checkpoint = opened ?? (await deps.checkpoints.begin(jobId, now));
      const context: StepContext = {
        deps,
        jobId,
        data,
        progress: checkpoint,
        attempt,
        finalAttempt,
        enqueuedAt: job.timestamp,
        log,
        signal,
      };
      for (const step of JOB_STEPS) {
        if (step.done(checkpoint)) {
          log.debug({ step: step.name }, 'step already done (checkpoint)');
          continue;
        }
        await withSpan(`step ${step.name}`, { attributes: { 'loadgen.step': step.name } }, () =>
          step.run(context),
        );
      }
      const { chat, judge } = checkpoint as Required<Checkpoint>;
      deps.metrics.jobs.inc({ run: data.runId, outcome: 'completed' });
      deps.metrics.observeCompleted(data.runId, chat, judge.verdict);
      completed = {
        costUsd: (chat.response.totals.costUsd ?? 0) + judge.costUsd,
        variations: Object.fromEntries(chat.response.agents.map((a) => [a.configKey, a.variationKey])),
      };
      // Best effort: the result is recorded, so a failing summary must not make the job retry or fail.
      await summarize(deps, data, jobId, context.results ?? 0, {
        status: 'completed',
        latencyMs: chat.latencyMs,
        verdict: judge.verdict,
        costUsd: chat.response.totals.costUsd,
      }).catch((err: unknown) => log.warn({ err }, 'cannot print the job summary'));
      return { jobId, verdict: judge.verdict, costUsd: chat.response.totals.costUsd };
    } catch (err) {
      const error = coerceError(err);
      await addSpentCost(deps, data.runId, error, log);
      const decision = decideOnFailure(error, finalAttempt);
      if (decision.action === 'pause') {
        log.warn({ retryAfterMs: decision.ms, reason: error.message }, 'rate limited: pausing the queue');
        deps.metrics.jobs.inc({ run: data.runId, outcome: 'rate_limited' });
        await deps.rateLimit(decision.ms);
        throw Worker.RateLimitError();
      }
      if (decision.action === 'retry') {
        log.warn({ reason: error.message }, 'attempt failed; will retry');
        deps.metrics.jobs.inc({ run: data.runId, outcome: 'retried' });
        throw error;
      }
      // Read again: the chat (and verdict) this attempt saved before failing belong in the failed record.
      const saved = await deps.checkpoints.begin(jobId).catch(() => checkpoint);
      await recordFailure(deps, job, data, saved, error.message);
      deps.metrics.jobs.inc({ run: data.runId, outcome: 'failed' });
      throw decision.fatal && !(error instanceof UnrecoverableError)
        ? new UnrecoverableError(error.message)
        : error;
    } finally {
      deps.metrics.active.dec();
      // Whatever ended the attempt (success, failure, retry, pause), its budget reservation ends with it.
      if (!dropped) {
        await releaseBudget(deps, data, jobId, completed, log);
      }
    }
  };
}

/** Drops the job's budget reservation (best effort: an unreleased one expires, or the next attempt replaces it). */
async function releaseBudget(
  deps: ProcessorDeps,
  data: QueryJob,
  jobId: string,
  completed: Parameters<ProcessorDeps['budget']['release']>[3],
  log: Logger,
): Promise<void> {
  await deps.budget
    .release(data.runId, jobId, data.user.segment, completed)
    .catch((err: unknown) => log.warn({ err }, 'cannot release the budget reservation'));
}

/**
 * A job whose data breaks the schema fails at once (not retried) and, when a run id can be read from it, ends
 * with a failed result record naming the problem, so its run still finishes.
 */
async function rejectInvalid(deps: ProcessorDeps, job: QueryJobView, reason: string): Promise<never> {
  deps.metrics.jobs.inc({ run: runLabel(job.data), outcome: 'failed' });
  deps.logger.warn({ jobId: job.id, reason: capReason(reason) }, 'invalid query job');
  await recordInvalid(deps, job, reason);
  throw new UnrecoverableError(capReason(reason));
}

async function recordInvalid(deps: ProcessorDeps, job: QueryJobView, reason: string): Promise<void> {
  const jobId = job.id;
  try {
    const runId = jobId ? await readRunId(deps, job.data, jobId) : undefined;
    if (jobId && runId) {
      await deps.runs.recordUnstarted(runId, jobId, capReason(reason), job.data);
    }
  } catch (err) {
    deps.logger.error({ err, jobId }, 'cannot record the failed result');
  }
}

/**
 * The run of an invalid job: its data's `runId` when well formed, else the run its id names (`<runId>.<seq>`)
 * if that run has a record (so a job whose data lost its run id still lets its run finish).
 */
async function readRunId(deps: ProcessorDeps, data: unknown, jobId: string): Promise<string | undefined> {
  const runId = (data as { runId?: unknown } | null | undefined)?.runId;
  if (typeof runId === 'string' && RUN_ID_PATTERN.test(runId)) {
    return runId;
  }
  const fromId = /^(.+)\.\d+$/.exec(jobId)?.[1];
  if (fromId && RUN_ID_PATTERN.test(fromId) && (await deps.budget.info(fromId)).total !== null) {
    return fromId;
  }
  return undefined;
}

/** Longest failure reason kept (a reason may quote hostile job data, such as a huge unknown key). */
const MAX_REASON_CHARS = 1000;

function capReason(reason: string): string {
  return reason.length > MAX_REASON_CHARS ? `${reason.slice(0, MAX_REASON_CHARS)}…` : reason;
}

/**
 * Records jobs that BullMQ failed without running the processor (a job that stalled more than
 * `maxStalledCount` times fails on its next pick-up), so every job of a run still ends with a record.
 */
export async function recordBypassedFailure(
  deps: ProcessorDeps,
  job: QueryJobView | undefined,
  err: Error,
): Promise<void> {
  if (!job?.id || !/more than allowable limit/.test(err.message)) {
    return;
  }
  deps.metrics.jobs.inc({ run: runLabel(job.data), outcome: 'failed' });
  const parsed = QueryJobSchema.safeParse(job.data);
  if (!parsed.success) {
    await recordInvalid(deps, job, err.message);
    return;
  }
  const checkpoint = await deps.checkpoints.begin(job.id).catch(() => undefined);
  await recordFailure(deps, job, parsed.data, checkpoint, err.message);
  // Its last attempt died holding a reservation: no attempt follows to replace it.
  await releaseBudget(deps, parsed.data, job.id, undefined, deps.logger);
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
  await deps.runs
    .addSpend(runId, usd)
    .catch((e: unknown) => log.warn({ err: e, usd }, 'cannot add the failed step cost to spend'));
}

async function recordFailure(
  deps: ProcessorDeps,
  job: QueryJobView,
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
    const { results } = await deps.runs.recordResultCounted(record);
    await summarize(deps, data, jobId, results, { status: 'failed', error });
  } catch (err) {
    deps.logger.error({ err, jobId }, 'cannot record the failed result');
  }
}

/** `done`: the run's result count just after this job's record (its record's own round trip counts them). */
async function summarize(
  deps: ProcessorDeps,
  data: QueryJob,
  jobId: string,
  done: number,
  fields: Pick<JobSummary, 'status' | 'latencyMs' | 'verdict' | 'costUsd' | 'error'>,
): Promise<void> {
  const info = await deps.budget.info(data.runId);
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
