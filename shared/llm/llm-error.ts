import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import type { Provider } from './providers.js';

/**
 * What went wrong, provider-neutral: `timeout` (the SDK's request timeout), `connection` (no answer: network,
 * abort), `rate_limited` (429), `overloaded` (529, 503 or `overloaded_error`), `model_not_found` (404
 * `model_not_found` / `not_found_error`), `http` (any other status), `other` (not an SDK error).
 */
export type LlmErrorKind =
  'timeout' | 'connection' | 'rate_limited' | 'overloaded' | 'model_not_found' | 'http' | 'other';

export interface LlmErrorFields {
  provider: Provider;
  model: string;
  kind: LlmErrorKind;
  /** The provider's HTTP status; undefined when none came back. */
  status?: number | undefined;
  /** The provider's error code or type (`model_not_found`, `overloaded_error`, …). */
  code?: string | undefined;
  /** From `retry-after-ms` or `retry-after` (seconds or an HTTP date), ≥ 0; undefined when absent. */
  retryAfterMs?: number | undefined;
  /** The thrown value's name (`APIConnectionTimeoutError`, `TypeError`, …). */
  errorName: string;
  /** The provider's message: its first line, at most 300 characters, key-like tokens masked. */
  detail: string;
}

/**
 * A failed model call, mapped once from whatever the OpenAI or Anthropic SDK threw. It carries no provider
 * text that could quote a key: `detail` (also the message and the `cause`) is masked, and the SDK's error is
 * not kept. Callers turn it into their own policy: the agent service an HTTP answer, the judge a retry kind,
 * the producer a stop on 401/403.
 */
export class LlmError extends Error implements LlmErrorFields {
  override name = 'LlmError';
  readonly provider: Provider;
  readonly model: string;
  readonly kind: LlmErrorKind;
  readonly status: number | undefined;
  readonly code: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly errorName: string;
  readonly detail: string;

  constructor(fields: LlmErrorFields) {
    const masked = new Error(fields.detail);
    masked.name = fields.errorName;
    super(
      `${fields.provider} ${fields.model}: ${fields.status === undefined ? fields.errorName : `HTTP ${fields.status}`}: ${fields.detail}`,
      { cause: masked },
    );
    this.provider = fields.provider;
    this.model = fields.model;
    this.kind = fields.kind;
    this.status = fields.status;
    this.code = fields.code;
    this.retryAfterMs = fields.retryAfterMs;
    this.errorName = fields.errorName;
    this.detail = fields.detail;
  }
}

/** Maps what an SDK (or anything else in a model call) threw to an {@link LlmError}; an `LlmError` passes through. */
export function toLlmError(err: unknown, where: { provider: Provider; model: string }): LlmError {
  if (err instanceof LlmError) {
    return err;
  }
  const base = {
    ...where,
    errorName: err instanceof Error ? err.name : 'Error',
    detail: maskedDetail(err),
  };
  if (err instanceof OpenAI.APIConnectionTimeoutError || err instanceof Anthropic.APIConnectionTimeoutError) {
    return new LlmError({ ...base, kind: 'timeout' });
  }
  if (!(err instanceof OpenAI.APIError || err instanceof Anthropic.APIError)) {
    return new LlmError({ ...base, kind: 'other' });
  }
  const status = typeof err.status === 'number' ? err.status : undefined;
  if (status === undefined) {
    return new LlmError({ ...base, kind: 'connection' });
  }
  const type = errorType(err.error);
  const code = 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  const fields = { ...base, status, code: code ?? type, retryAfterMs: retryAfterMs(err.headers) };
  if (status === 429) {
    return new LlmError({ ...fields, kind: 'rate_limited' });
  }
  if (status === 404 && (code === 'model_not_found' || type === 'not_found_error')) {
    return new LlmError({ ...fields, kind: 'model_not_found' });
  }
  if (status === 529 || status === 503 || type === 'overloaded_error') {
    return new LlmError({ ...fields, kind: 'overloaded' });
  }
  return new LlmError({ ...fields, kind: 'http' });
}

/** Milliseconds from `retry-after-ms` or `retry-after` (delta seconds or an HTTP date), at least 0. */
function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | undefined {
  const ms = Number(headers?.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) {
    return ms;
  }
  const value = headers?.get('retry-after')?.trim();
  if (!value) {
    return undefined;
  }
  const seconds = Number(value);
  if (Number.isFinite(seconds)) {
    return Math.max(0, seconds * 1000);
  }
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
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

/** A provider message fit for logs and error texts: first line, 300 characters, key-like tokens masked. */
export function maskedDetail(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (message.split('\n')[0] ?? '').slice(0, 300).replace(SECRET_LIKE, '[redacted]');
}
