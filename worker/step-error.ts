/**
 * How a failed step should be handled (the policy is `worker/retry-policy.ts`): `fatal` fails the job now (a 4xx the same request would get again),
 * `rate-limited` pauses the queue for `retryAfterMs` without using an attempt, `retryable` uses an attempt
 * and retries with backoff (network errors, timeouts, 5xx).
 */
export type FailureKind = 'fatal' | 'rate-limited' | 'retryable';

/** A step failure classified for the retry policy. */
export class StepError extends Error {
  override name = 'StepError';
  constructor(
    message: string,
    readonly kind: FailureKind,
    readonly details: {
      status?: number | undefined;
      retryAfterMs?: number;
      field?: string;
      /** USD the step had already spent when it failed (judge calls before the failing one): still spend. */
      spentUsd?: number;
    } = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Longest pause a `Retry-After` may ask for; a larger value is treated as this. */
const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** `Retry-After` in ms (delta seconds or an HTTP date), or undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) {
    return undefined;
  }
  const trimmed = value.trim();
  const ms = /^\d+(\.\d+)?$/.test(trimmed) ? Number(trimmed) * 1000 : Date.parse(trimmed) - now;
  if (!Number.isFinite(ms)) {
    return undefined;
  }
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, Math.round(ms)));
}
