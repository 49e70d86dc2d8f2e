import { UnrecoverableError } from 'bullmq';
import { QUERY_JOB_OPTIONS } from '../shared/query-job.js';
import { StepError, type FailureKind } from './step-error.js';

/*
 * The worker's whole retry policy, in the order of the README's "Retries" paragraph. Everything that decides
 * whether a failed job retries, pauses the queue or fails for good is here; the steps only classify their
 * failures (a `StepError` with a `FailureKind`) with the tables below.
 */

/**
 * Attempts and backoff of a query job. They travel with each job (the producer enqueues with
 * `QUERY_JOB_OPTIONS`, a script sets its own), so the worker reads them from the job, not from here.
 */
export const QUERY_RETRY = {
  /** 5 attempts. */
  attempts: QUERY_JOB_OPTIONS.attempts,
  /** Exponential from 1 s with 50% jitter. */
  backoff: QUERY_JOB_OPTIONS.backoff,
} as const;

/**
 * The retry policy of an HTTP answer, for the agent service and the judge's provider alike: 429, 529
 * (overloaded) and a 503 that says when to come back are rate limits; no status (a network error or a
 * timeout), 408 (the server gave up waiting for the request) and other 5xx are retryable; other 4xx are fatal.
 */
export function failureKind(status: number | undefined, retryAfterMs: number | undefined): FailureKind {
  if (status === 429 || status === 529 || (status === 503 && retryAfterMs !== undefined)) {
    return 'rate-limited';
  }
  if (status === undefined || status === 408 || status >= 500) {
    return 'retryable';
  }
  return 'fatal';
}

/** How long a rate limit without a usable `Retry-After` pauses the queue. */
export const DEFAULT_RATE_LIMIT_PAUSE_MS = 1000;

/**
 * Agent service error codes that the same request would get again however often it is retried, whatever
 * their HTTP status: a disabled AI Config stays disabled for this user (and each retry would pay the
 * supervisor again), a variation that names a tool the service lacks or a model its provider does not serve
 * stays wrong.
 */
export const FATAL_AGENT_CODES: ReadonlySet<string> = new Set([
  'agent_disabled',
  'config_error',
  'model_not_found',
]);

/**
 * Judge provider answers that mean the judge is set up wrong (bad key, no access, unknown model), not a bad
 * call: the job fails at once with a configuration error instead of recording `judge_error`.
 */
export const CONFIGURATION_STATUSES: ReadonlySet<number> = new Set([401, 403, 404]);

/**
 * What the judge does with a failed provider call: a configuration error fails the job; a rate limit is
 * thrown even on the last attempt (it uses no attempt); a retryable failure is thrown unless this is the
 * job's final attempt; anything else (and a retryable one on the final attempt) becomes a `judge_error`
 * verdict, so the job still completes.
 */
export function judgeFailureAction(
  failure: StepError,
  finalAttempt: boolean,
): 'configuration-error' | 'throw' | 'judge-error' {
  if (failure.details.status !== undefined && CONFIGURATION_STATUSES.has(failure.details.status)) {
    return 'configuration-error';
  }
  if (failure.kind === 'rate-limited' || (failure.kind === 'retryable' && !finalAttempt)) {
    return 'throw';
  }
  return 'judge-error';
}

/** Whether this attempt is the job's last: after it, a retryable failure fails the job. */
export function isFinalAttempt(job: {
  attemptsMade: number;
  opts: { attempts?: number | undefined };
}): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** What the processor does with an attempt that threw. */
export type FailureDecision =
  /** Pause the whole queue for `ms` (`worker.rateLimit`); the job runs again without using an attempt. */
  | { action: 'pause'; ms: number }
  /** Use an attempt; BullMQ retries after the job's backoff. */
  | { action: 'retry' }
  /** Record the failed result; `fatal` failures are thrown as `UnrecoverableError` so BullMQ does not retry. */
  | { action: 'fail'; fatal: boolean };

/**
 * The decision for a failed attempt: a rate limit pauses, a fatal failure (a `StepError` of kind `fatal`, or
 * an `UnrecoverableError` such as "budget exhausted" or an invalid job) fails at once, anything else retries
 * until the final attempt, which fails.
 */
export function decideOnFailure(error: Error, finalAttempt: boolean): FailureDecision {
  if (error instanceof StepError && error.kind === 'rate-limited') {
    return { action: 'pause', ms: error.details.retryAfterMs ?? DEFAULT_RATE_LIMIT_PAUSE_MS };
  }
  const fatal = error instanceof UnrecoverableError || (error instanceof StepError && error.kind === 'fatal');
  if (!fatal && !finalAttempt) {
    return { action: 'retry' };
  }
  return { action: 'fail', fatal };
}
