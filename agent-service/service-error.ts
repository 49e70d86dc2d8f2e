import type { ContentfulStatusCode } from 'hono/utils/http-status';

/** Machine-readable error codes of the agent service's JSON error body. */
export type ServiceErrorCode =
  | 'invalid_request'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'not_found'
  | 'rate_limited'
  | 'provider_overloaded'
  | 'upstream_error'
  | 'deadline_exceeded'
  | 'client_closed_request'
  | 'agent_disabled'
  | 'config_error'
  | 'model_not_found'
  | 'not_ready'
  | 'internal_error';

export interface ServiceErrorOptions {
  /** The request field at fault (4xx validation errors). */
  field?: string;
  /** Seconds for the `Retry-After` header (429, 503). */
  retryAfterSeconds?: number;
  /** The agent that was running when an upstream call failed. */
  agent?: string;
  cause?: unknown;
}

/**
 * An expected failure with its HTTP status. The app's one `onError` turns it into the JSON error body
 * (shared/chat.ts `ErrorBodySchema`) and a `Retry-After` header when one is set.
 */
export class ServiceError extends Error {
  override name = 'ServiceError';
  readonly field: string | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly agent: string | undefined;

  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: ServiceErrorCode,
    message: string,
    options: ServiceErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.field = options.field;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.agent = options.agent;
  }
}
