import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../shared/logger.js';

/** A LaunchDarkly REST API call that failed; the message never contains the access token. */
export class LaunchDarklyApiError extends Error {
  override name = 'LaunchDarklyApiError';
  constructor(
    readonly method: string,
    readonly path: string,
    readonly status: number,
    detail: string,
  ) {
    super(`LaunchDarkly API ${method} ${path} answered ${status}: ${detail}`);
  }
}

export interface RestClientOptions {
  /** e.g. https://app.launchdarkly.com */
  baseUrl: string;
  token: string;
  logger?: Logger | undefined;
  /** Retries after 429, 502/503/504, a network error or a timeout before giving up. */
  maxRetries?: number;
  /** Upper bound on one wait, whatever the server asks for. */
  maxWaitMs?: number;
  /** Time one attempt may take, answer body included (default 30 s); then it is retried like a network error. */
  timeoutMs?: number;
  /** Told about every retry, so a command can say why it is waiting. */
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  method: string;
  path: string;
  /** The status that is retried (`429`), or what went wrong without one (`timeout after 30 s`, `network error`). */
  reason: string;
  waitMs: number;
  attempt: number;
}

export interface CallOptions {
  /**
   * Send `LD-API-Version: beta`: the spec (v22.0.0) marks experiments as a beta resource, which needs it on
   * every call. Other calls, AI Configs included (no longer marked beta), send the stable `API_VERSION`.
   */
  beta?: boolean;
  /** `semantic` sends `domain-model=launchdarkly.semanticpatch`; `json` a JSON Patch array. */
  patch?: 'semantic' | 'json' | 'merge';
}

export interface Response<T> {
  status: number;
  body: T | undefined;
}

/**
 * The stable REST API version of the calls that are not beta (projects, segments, metrics), sent on each
 * call so the token's own default version cannot change the answers (20240415 paginates segment and metric
 * lists, which `list` follows).
 */
export const API_VERSION = '20240415';

/** Call options for a beta resource. */
export const BETA = { beta: true } as const;

/** Items per page requested from list endpoints. */
export const PAGE_SIZE = 20;

const RETRYABLE = new Set([429, 502, 503, 504]);

/**
 * A small client for the LaunchDarkly REST API (v2): token in the `Authorization` header only, a version
 * header on every call (beta where the resource is beta), 429 retried after `X-Ratelimit-Reset` /
 * `Retry-After`, a timeout on every attempt, and list endpoints followed through every page.
 */
export class LaunchDarklyRestClient {
  private readonly baseUrl: string;
  private readonly maxRetries: number;
  private readonly maxWaitMs: number;
  private readonly timeoutMs: number;

  constructor(private readonly options: RestClientOptions) {
    if (!options.token) {
      throw new Error('LaunchDarkly REST client needs an access token (LD_API_TOKEN)');
    }
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.maxRetries = options.maxRetries ?? 6;
    this.maxWaitMs = options.maxWaitMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /**
   * One call. 2xx comes back as a response, and so do a 404 on GET (the resource does not exist) and a 409
   * on POST (it exists already); anything else throws `LaunchDarklyApiError` with method, path and status.
   * A write that meets 404 throws too: its project, environment or parent is missing, and it did nothing;
   * so does a PATCH that meets 409 (a conflicting change), which did nothing either.
   */
  async request<T>(
    method: string,
    path: string,
    body?: unknown,
    call: CallOptions = {},
  ): Promise<Response<T>> {
    const headers: Record<string, string> = {
      Authorization: this.options.token,
      Accept: 'application/json',
      'User-Agent': 'loadgen-ld-bootstrap',
    };
    headers['LD-API-Version'] = call.beta ? 'beta' : API_VERSION;
    if (body !== undefined) {
      headers['Content-Type'] =
        call.patch === 'semantic'
          ? 'application/json; domain-model=launchdarkly.semanticpatch'
          : call.patch === 'merge'
            ? 'application/merge-patch+json'
            : 'application/json';
    }
    for (let attempt = 0; ; attempt++) {
      let res: globalThis.Response;
      let text: string;
      try {
        res = await fetch(`${this.baseUrl}${path}`, {
          method,
          headers,
          body: body === undefined ? undefined : JSON.stringify(body),
          signal: AbortSignal.timeout(this.timeoutMs),
        });
        text = await res.text();
      } catch (err) {
        // A retried write is safe: a create that did land meets 409 and becomes an update; patches repeat.
        const timedOut = err instanceof Error && err.name === 'TimeoutError';
        const reason = timedOut ? `timeout after ${this.timeoutMs / 1000} s` : 'network error';
        this.options.logger?.debug({ method, path, reason, attempt }, 'LaunchDarkly API call failed');
        if (attempt < this.maxRetries) {
          const waitMs = Math.min(500 * 2 ** attempt, this.maxWaitMs);
          this.options.onRetry?.({ method, path, reason, waitMs, attempt: attempt + 1 });
          await delay(waitMs);
          continue;
        }
        throw new Error(`LaunchDarkly API ${method} ${path}: ${reason}, ${attempt + 1} attempts`, {
          cause: err,
        });
      }
      this.options.logger?.debug({ method, path, status: res.status, attempt }, 'LaunchDarkly API call');
      if (RETRYABLE.has(res.status) && attempt < this.maxRetries) {
        const waitMs = this.waitFor(res, attempt);
        this.options.onRetry?.({ method, path, reason: String(res.status), waitMs, attempt: attempt + 1 });
        await delay(waitMs);
        continue;
      }
      const parsed = text ? safeJson(text) : undefined;
      const expected = (method === 'GET' && res.status === 404) || (method === 'POST' && res.status === 409);
      if (res.ok || expected) {
        return { status: res.status, body: parsed as T | undefined };
      }
      throw new LaunchDarklyApiError(method, path, res.status, this.scrub(errorDetail(parsed, text)));
    }
  }

  /** GET one resource; `undefined` when it does not exist. */
  async get<T>(path: string, call: CallOptions = {}): Promise<T | undefined> {
    const res = await this.request<T>('GET', path, undefined, call);
    return res.status === 404 ? undefined : res.body;
  }

  /**
   * Every item of a paginated list (`{ items, totalCount | total_count, _links.next }`), following `_links.next` when the
   * server gives it and `offset` otherwise. A missing collection (404) is an empty list.
   */
  async list<T>(path: string, call: CallOptions = {}): Promise<T[]> {
    const items: T[] = [];
    const sep = path.includes('?') ? '&' : '?';
    let next: string | undefined = `${path}${sep}limit=${PAGE_SIZE}&offset=0`;
    while (next) {
      const res: Response<Page<T>> = await this.request<Page<T>>('GET', next, undefined, call);
      if (res.status === 404 || res.body === undefined) {
        break;
      }
      const page = Array.isArray(res.body) ? res.body : (res.body.items ?? []);
      items.push(...page);
      if (Array.isArray(res.body)) {
        break;
      }
      const href = res.body._links?.next?.href;
      const total = res.body.totalCount ?? res.body.total_count;
      if (href) {
        next = href.startsWith('http') ? new URL(href).pathname + new URL(href).search : href;
      } else if (page.length === PAGE_SIZE && (total === undefined || items.length < total)) {
        next = `${path}${sep}limit=${PAGE_SIZE}&offset=${items.length}`;
      } else {
        next = undefined;
      }
      if (page.length === 0) {
        break;
      }
    }
    return items;
  }

  private waitFor(res: globalThis.Response, attempt: number): number {
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    const retryAfter = Number(res.headers.get('retry-after'));
    let waitMs: number;
    if (Number.isFinite(reset) && reset > 0) {
      // LaunchDarkly sends the end of the rate-limit window as epoch milliseconds.
      waitMs = reset - Date.now();
    } else if (res.headers.has('retry-after') && Number.isFinite(retryAfter)) {
      waitMs = retryAfter * 1000;
    } else {
      waitMs = 500 * 2 ** attempt;
    }
    return Math.min(Math.max(waitMs, 0), this.maxWaitMs);
  }

  /** Error bodies are shown to people; make sure the token is never among them. */
  private scrub(text: string): string {
    return text.split(this.options.token).join('[redacted]');
  }
}

interface Page<T> {
  items?: T[];
  totalCount?: number;
  /** The experiments list spells it so (ExperimentCollectionRep). */
  total_count?: number;
  _links?: { next?: { href?: string } };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function errorDetail(parsed: unknown, text: string): string {
  if (parsed && typeof parsed === 'object' && 'message' in parsed) {
    const { code, message } = parsed as { code?: string; message?: string };
    return code ? `${code}: ${message}` : String(message);
  }
  return text.slice(0, 500) || '(empty body)';
}
