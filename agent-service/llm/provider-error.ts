import type { Provider } from '../../shared/llm/index.js';
import { toLlmError } from '../../shared/llm/index.js';
import { ServiceError } from '../service-error.js';

export interface ProviderErrorContext {
  provider: Provider;
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
 * The service's HTTP answer to a failed model call (an `LlmError` from shared/llm, or anything an SDK threw,
 * mapped by `toLlmError`): 429 stays 429 (with the provider's `Retry-After`), overload becomes 503 with
 * `Retry-After`, a timeout or the request's deadline 504, a model the provider does not serve 502
 * `model_not_found` naming model, config, variation and provider, anything else 502. A `ServiceError` passes
 * through.
 *
 * The caller learns the agent, provider, model and status, never the provider's own text: it can quote the
 * API key. That text goes to the log only, as the `cause`, with key-like tokens masked.
 */
export function providerError(err: unknown, ctx: ProviderErrorContext): ServiceError {
  if (err instanceof ServiceError) {
    return err;
  }
  const llm = toLlmError(err, { provider: ctx.provider, model: ctx.model });
  const cause = llm.cause;
  const agent = ctx.agent;
  const where = `${agent} agent (${ctx.provider} ${ctx.model})`;
  if (ctx.deadline?.aborted) {
    return new ServiceError(504, 'deadline_exceeded', `the request deadline passed while the ${where} ran`, {
      agent,
      cause,
    });
  }
  const retryAfterSeconds =
    llm.retryAfterMs === undefined
      ? ctx.defaultRetryAfterSeconds
      : Math.max(1, Math.ceil(llm.retryAfterMs / 1000));
  switch (llm.kind) {
    case 'timeout':
      return new ServiceError(504, 'deadline_exceeded', `${where} timed out`, { agent, cause });
    case 'rate_limited':
      return new ServiceError(429, 'rate_limited', `${where} was rate-limited by the provider`, {
        retryAfterSeconds,
        agent,
        cause,
      });
    case 'model_not_found': {
      const servedBy = ctx.config ? ` (${ctx.config} / ${ctx.variation ?? 'unknown variation'})` : '';
      return new ServiceError(
        502,
        'model_not_found',
        `model ${ctx.model}${servedBy} is not served by ${ctx.provider}: 404 ${llm.code ?? ''}`,
        { agent, cause },
      );
    }
    case 'overloaded':
      return new ServiceError(503, 'provider_overloaded', `${where}: the provider is overloaded`, {
        retryAfterSeconds,
        agent,
        cause,
      });
    case 'http':
      return new ServiceError(502, 'upstream_error', `${where} failed: HTTP ${llm.status}`, { agent, cause });
    default:
      return new ServiceError(502, 'upstream_error', `${where} failed (${llm.errorName})`, { agent, cause });
  }
}
