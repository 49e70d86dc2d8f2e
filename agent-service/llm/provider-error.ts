import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { ServiceError } from '../service-error.js';

export interface ProviderErrorContext {
  provider: string;
  model: string;
  agent: string;
  /** The AI Config and variation that chose the model, for errors that are the configuration's fault. */
  config?: string | undefined;
  variation?: string | undefined;
  /** Aborted when the request's deadline passed: whatever failed then is a 504. */
  deadline?: AbortSignal | undefined;
  /** `Retry-After` when the provider sent none. */
  defaultRetryAfterSeconds: number;
}

/**
 * Maps what a provider SDK threw to the service's HTTP answer: 429 stays 429 (with the provider's
 * `Retry-After`), overload (529, 503, `overloaded_error`) becomes 503 with `Retry-After`, a timeout or the
 * request's deadline 504, a model the provider does not serve (404 `model_not_found` / `not_found_error`) 502
 * `model_not_found` naming model, config, variation and provider, anything else 502. A `ServiceError` passes
 * through.
 *
 * The caller learns the agent, provider, model and status, never the provider's own text: it can quote the
 * API key ("Incorrect API key provided: sk-…"). That text goes to the log only, as the `cause`, with key-like
 * tokens masked (the logger redacts by field name, not inside messages).
 */
export function providerError(err: unknown, ctx: ProviderErrorContext): ServiceError {
  if (err instanceof ServiceError) {
    return err;
  }
  const cause = loggedCause(err);
  const where = `${ctx.agent} agent (${ctx.provider} ${ctx.model})`;
  if (ctx.deadline?.aborted) {
    return new ServiceError(504, 'deadline_exceeded', `the request deadline passed while the ${where} ran`, {
      agent: ctx.agent,
      cause,
    });
  }
  if (err instanceof OpenAI.APIConnectionTimeoutError || err instanceof Anthropic.APIConnectionTimeoutError) {
    return new ServiceError(504, 'deadline_exceeded', `${where} timed out`, { agent: ctx.agent, cause });
  }
  if (
    (err instanceof OpenAI.APIError || err instanceof Anthropic.APIError) &&
    typeof err.status === 'number'
  ) {
    const retryAfterSeconds = retryAfter(err.headers) ?? ctx.defaultRetryAfterSeconds;
    const type = errorType(err.error);
    if (err.status === 429) {
      return new ServiceError(429, 'rate_limited', `${where} was rate-limited by the provider`, {
        retryAfterSeconds,
        agent: ctx.agent,
        cause,
      });
    }
    const code = 'code' in err && typeof err.code === 'string' ? err.code : undefined;
    if (err.status === 404 && (code === 'model_not_found' || type === 'not_found_error')) {
      const servedBy = ctx.config ? ` (${ctx.config} / ${ctx.variation ?? 'unknown variation'})` : '';
      return new ServiceError(
        502,
        'model_not_found',
        `model ${ctx.model}${servedBy} is not served by ${ctx.provider}: 404 ${code ?? type}`,
        { agent: ctx.agent, cause },
      );
    }
    if (err.status === 529 || err.status === 503 || type === 'overloaded_error') {
      return new ServiceError(503, 'provider_overloaded', `${where}: the provider is overloaded`, {
        retryAfterSeconds,
        agent: ctx.agent,
        cause,
      });
    }
    return new ServiceError(502, 'upstream_error', `${where} failed: HTTP ${err.status}`, {
      agent: ctx.agent,
      cause,
    });
  }
  const kind = err instanceof Error ? err.name : typeof err;
  return new ServiceError(502, 'upstream_error', `${where} failed (${kind})`, { agent: ctx.agent, cause });
}

/** Seconds from `retry-after-ms` or `retry-after` (seconds or an HTTP date), rounded up; at least 1. */
function retryAfter(headers: Headers | undefined): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) {
    return Math.max(1, Math.ceil(ms / 1000));
  }
  const value = headers?.get('retry-after');
  if (!value) {
    return undefined;
  }
  const seconds = Number(value);
  if (Number.isFinite(seconds)) {
    return Math.max(1, Math.ceil(seconds));
  }
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(1, Math.ceil((date - Date.now()) / 1000));
}

function errorType(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) {
    return undefined;
  }
  const record = body as { type?: unknown; error?: { type?: unknown } };
  const type = record.error?.type ?? record.type;
  return typeof type === 'string' ? type : undefined;
}

/** Key-like tokens: `sk-…`/`sk-ant-…` keys, bearer credentials, and long opaque strings with digits (Mistral keys). */
const SECRET_LIKE = /\b(?:sk|rk|pk)-[\w*.-]{4,}|\bBearer\s+\S+|\b(?=[\w-]*\d)[A-Za-z0-9_-]{32,}\b/gi;

/** What the log keeps of a provider error: its name and first line, key-like tokens masked. */
function loggedCause(err: unknown): Error {
  const message = err instanceof Error ? err.message : String(err);
  const cause = new Error((message.split('\n')[0] ?? '').slice(0, 300).replace(SECRET_LIKE, '[redacted]'));
  cause.name = err instanceof Error ? err.name : 'Error';
  return cause;
}
