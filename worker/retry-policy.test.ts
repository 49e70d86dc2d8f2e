import { UnrecoverableError } from 'bullmq';
import { describe, expect, it } from 'vitest';
import {
  decideOnFailure,
  failureKind,
  FATAL_AGENT_CODES,
  isFinalAttempt,
  judgeFailureAction,
  QUERY_RETRY,
} from './retry-policy.js';
import { StepError } from './step-error.js';

// The README's "Retries" paragraph, row by row.
describe('retry policy', () => {
  it('5 attempts, exponential backoff from 1 s with 50% jitter', () => {
    expect(QUERY_RETRY).toEqual({ attempts: 5, backoff: { type: 'exponential', delay: 1000, jitter: 0.5 } });
  });

  it('network errors, timeouts, 408 and 5xx retry; 429, 529 and 503 with Retry-After pause; other 4xx fail', () => {
    expect([undefined, 408, 500, 502, 503, 504].map((s) => failureKind(s, undefined))).toEqual(
      Array(6).fill('retryable'),
    );
    expect([failureKind(429, undefined), failureKind(529, undefined), failureKind(503, 1000)]).toEqual(
      Array(3).fill('rate-limited'),
    );
    expect([400, 401, 403, 404, 413, 422].map((s) => failureKind(s, undefined))).toEqual(
      Array(6).fill('fatal'),
    );
  });

  it('agent_disabled, config_error and model_not_found fail at once', () => {
    expect([...FATAL_AGENT_CODES].sort()).toEqual(['agent_disabled', 'config_error', 'model_not_found']);
  });

  it('decides: pause on a rate limit even on the last attempt, retry until the last, fail fatal at once', () => {
    const limited = new StepError('429', 'rate-limited', { retryAfterMs: 3000 });
    expect(decideOnFailure(limited, true)).toEqual({ action: 'pause', ms: 3000 });
    expect(decideOnFailure(new StepError('429', 'rate-limited'), false)).toEqual({
      action: 'pause',
      ms: 1000,
    });
    expect(decideOnFailure(new StepError('500', 'retryable'), false)).toEqual({ action: 'retry' });
    expect(decideOnFailure(new Error('ECONNRESET'), false)).toEqual({ action: 'retry' });
    expect(decideOnFailure(new StepError('500', 'retryable'), true)).toEqual({
      action: 'fail',
      fatal: false,
    });
    expect(decideOnFailure(new StepError('400', 'fatal'), false)).toEqual({ action: 'fail', fatal: true });
    expect(decideOnFailure(new UnrecoverableError('budget exhausted'), false)).toEqual({
      action: 'fail',
      fatal: true,
    });
  });

  it('the final attempt is the one that uses up the job’s attempts', () => {
    expect(isFinalAttempt({ attemptsMade: 3, opts: { attempts: 5 } })).toBe(false);
    expect(isFinalAttempt({ attemptsMade: 4, opts: { attempts: 5 } })).toBe(true);
    expect(isFinalAttempt({ attemptsMade: 0, opts: {} })).toBe(true);
  });

  it('the judge: 401/403/404 are a configuration error, a retryable call is judge_error on the last attempt', () => {
    const withStatus = (status: number | undefined, kind: 'fatal' | 'retryable' | 'rate-limited') =>
      new StepError('x', kind, { status });
    expect([401, 403, 404].map((s) => judgeFailureAction(withStatus(s, 'fatal'), false))).toEqual(
      Array(3).fill('configuration-error'),
    );
    expect(judgeFailureAction(withStatus(400, 'fatal'), false)).toBe('judge-error');
    expect(judgeFailureAction(withStatus(429, 'rate-limited'), true)).toBe('throw');
    expect(judgeFailureAction(withStatus(500, 'retryable'), false)).toBe('throw');
    expect(judgeFailureAction(withStatus(500, 'retryable'), true)).toBe('judge-error');
  });
});
