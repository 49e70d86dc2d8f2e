import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ErrorBody } from '../shared/chat.js';
import { CLIENT_CLOSED_REQUEST, clientClosed } from '../shared/http-server.js';
import type { Logger } from '../shared/logger.js';
import { ServiceError, type ServiceErrorCode } from './service-error.js';

/** The one JSON error response of the service (shared/chat.ts `ErrorBodySchema`), with `Retry-After` when set. */
export function errorResponse(c: Context, error: ServiceError): Response {
  const requestId = c.get('requestId') as string | undefined;
  const body: ErrorBody = {
    error: {
      code: error.code,
      message: error.message,
      ...(error.field !== undefined ? { field: error.field } : {}),
      ...(requestId !== undefined ? { requestId } : {}),
    },
  };
  if (error.retryAfterSeconds !== undefined) {
    c.header('Retry-After', String(error.retryAfterSeconds));
  }
  return c.json(body, error.status);
}

const HTTP_CODES: Partial<Record<number, ServiceErrorCode>> = {
  400: 'invalid_request',
  404: 'not_found',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
};

/**
 * The app's `onError`: expected failures keep their status and message; Hono's own (malformed JSON, body
 * limit) get the same shape; anything else is a 500 whose details go to the log, not to the client.
 */
export function onError(logger: Logger) {
  return (err: Error, c: Context): Response => {
    // A caller that hung up (mid-upload included) is no server error: a 499, logged at debug only.
    if (clientClosed(c.req.raw, err) && !(err instanceof ServiceError && err.status !== 400)) {
      logger.debug({ requestId: c.get('requestId') as string | undefined }, 'caller closed the request');
      return errorResponse(
        c,
        new ServiceError(
          CLIENT_CLOSED_REQUEST as ContentfulStatusCode,
          'client_closed_request',
          'the caller closed the request before it finished',
        ),
      );
    }
    if (err instanceof ServiceError) {
      if (err.status >= 500) {
        logger.warn(
          { err, requestId: c.get('requestId') as string | undefined, code: err.code },
          err.message,
        );
      }
      return errorResponse(c, err);
    }
    if (err instanceof HTTPException) {
      const status = err.status as ContentfulStatusCode;
      const code = HTTP_CODES[status] ?? (status >= 500 ? 'internal_error' : 'invalid_request');
      const message = status === 413 ? 'the request body is too large' : err.message || 'bad request';
      return errorResponse(c, new ServiceError(status, code, message));
    }
    logger.error({ err, requestId: c.get('requestId') as string | undefined }, 'unexpected error');
    return errorResponse(c, new ServiceError(500, 'internal_error', 'internal error; see the service log'));
  };
}
