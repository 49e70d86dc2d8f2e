import { ChatResponseSchema, ErrorBodySchema, type ChatRequest, type ChatResponse } from '../shared/chat.js';
import { fetchOverUndici } from '../shared/http-client.js';
import { describeZodError } from '../shared/errors.js';
import { injectTraceHeaders, SpanKind, withSpan, type Span } from '../shared/telemetry.js';
import { DEFAULT_RATE_LIMIT_PAUSE_MS, FATAL_AGENT_CODES, failureKind } from './retry-policy.js';
import { parseRetryAfter, StepError } from './step-error.js';

export interface ChatCallOptions {
  timeoutMs: number;
  /** Aborts the call, e.g. when the worker is force-closed. */
  signal?: AbortSignal | undefined;
  /** Sent as `X-Request-Id` (the job id): the agent service logs it, so both processes' logs join on it. */
  requestId?: string | undefined;
}

/**
 * Calls `POST {baseUrl}/chat` and returns the validated response. Failures are `StepError`s: 400/413 and
 * other 4xx (but 408) are fatal; 429, and 503 with `Retry-After`, are rate limits; 5xx, network errors, timeouts and
 * a 200 whose body breaks the contract are retryable; `agent_disabled` (503), `config_error` (500) and
 * `model_not_found` (502) are fatal.
 */
export async function postChat(
  baseUrl: string,
  request: ChatRequest,
  options: ChatCallOptions,
): Promise<ChatResponse> {
  const url = new URL('chat', baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
  const attributes = {
    'http.request.method': 'POST',
    // Without the URL's credentials, if it has any.
    'url.full': `${url.protocol}//${url.host}${url.pathname}`,
    'server.address': url.hostname,
  };
  return withSpan('POST /chat', { kind: SpanKind.CLIENT, attributes }, (span) =>
    sendChat(url, request, options, span),
  );
}

async function sendChat(
  url: URL,
  request: ChatRequest,
  options: ChatCallOptions,
  span: Span,
): Promise<ChatResponse> {
  const signals = [AbortSignal.timeout(options.timeoutMs)];
  if (options.signal) {
    signals.push(options.signal);
  }
  let response: Response;
  try {
    response = await fetchOverUndici(url, {
      method: 'POST',
      // `traceparent` makes the agent service's spans children of this job's trace (when tracing is on).
      headers: injectTraceHeaders({
        'content-type': 'application/json',
        ...(options.requestId ? { 'x-request-id': options.requestId } : {}),
      }),
      body: JSON.stringify(request),
      signal: AbortSignal.any(signals),
    });
  } catch (err) {
    const timedOut = (err as Error).name === 'TimeoutError';
    const reason = timedOut ? `no answer within ${options.timeoutMs} ms` : (err as Error).message;
    throw new StepError(`agent service: ${reason}`, 'retryable', {}, { cause: err });
  }
  span.setAttribute('http.response.status_code', response.status);
  let body: unknown;
  const text = await response.text().catch(() => '');
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (response.ok) {
    const parsed = ChatResponseSchema.safeParse(body);
    if (!parsed.success) {
      throw new StepError(
        `agent service: response ${response.status} breaks the chat contract: ${describeZodError(parsed.error)}`,
        'retryable',
        { status: response.status },
      );
    }
    return parsed.data;
  }
  throw httpError(response, body);
}

function httpError(response: Response, body: unknown): StepError {
  const status = response.status;
  const error = ErrorBodySchema.safeParse(body);
  const detail = error.success
    ? `${error.data.error.code}: ${error.data.error.message}`
    : response.statusText || 'no error body';
  const message = `agent service: HTTP ${status} (${detail})`;
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  const details: StepError['details'] = { status };
  if (error.success && error.data.error.field) {
    details.field = error.data.error.field;
  }
  const kind = failureKind(status, retryAfterMs);
  if (kind === 'rate-limited') {
    return new StepError(message, kind, {
      ...details,
      retryAfterMs: retryAfterMs ?? DEFAULT_RATE_LIMIT_PAUSE_MS,
    });
  }
  if (error.success && FATAL_AGENT_CODES.has(error.data.error.code)) {
    return new StepError(message, 'fatal', details);
  }
  return new StepError(message, kind, details);
}
