import { httpInstrumentationMiddleware } from '@hono/otel';
import { Hono, type Context } from 'hono';
import { requestId, type RequestIdVariables } from 'hono/request-id';
import { chatRoute } from './chat-route.js';
import { errorResponse, onError } from './error-response.js';
import type { AgentDeps } from './graph/agent-context.js';
import { buildChatGraph } from './graph/chat-graph.js';
import { ServiceMetrics } from './metrics.js';
import { ServiceError } from './service-error.js';

/** One readiness check: LaunchDarkly initialised, a provider reachable or keyed. */
export interface ReadinessCheck {
  name: string;
  ok: boolean;
  detail: string;
}

export interface AppDeps extends AgentDeps {
  /** Longest message accepted, in characters. */
  maxMessageChars: number;
  /** Largest body accepted, in bytes. */
  maxBodyBytes: number;
  /** Per-request deadline, ms (504 after it). */
  deadlineMs: number;
  /** What `GET /ready` reports; ready when every check is ok. */
  readiness(): Promise<ReadinessCheck[]>;
  /** Defaults to a fresh registry without Node's default metrics. */
  metrics?: ServiceMetrics;
  /** A server span per request (@hono/otel), child of the caller's `traceparent`; set when tracing is on. */
  tracing?: boolean;
}

/**
 * The agent service's Hono app: `POST /chat`, `GET /health`, `GET /ready`, `GET /metrics`. Every response
 * carries `X-Request-Id` (the caller's, when it sends a sane one); every error is the JSON error body.
 * Tests drive it with `app.request()`; `startAgentService` serves it.
 */
export function createApp(deps: AppDeps) {
  const metrics = deps.metrics ?? new ServiceMetrics();
  const graph = buildChatGraph(deps);
  const app = new Hono<{ Variables: RequestIdVariables }>();

  if (deps.tracing) {
    // Off by default: not even a no-op span per request when the process does not trace.
    app.use('*', httpInstrumentationMiddleware({ captureActiveRequests: false }));
  }
  // Hono keeps a caller's id of `[\w=-]` only; the worker sends its job id (`run.seq`), so `.` and `:` pass too.
  app.use('*', requestId({ limitLength: 128, generator: callerRequestId }));
  app.use('/chat', async (c, next) => {
    const started = performance.now();
    await next();
    metrics.observeRequest(c.res.status, (performance.now() - started) / 1000);
  });
  app.route(
    '/chat',
    chatRoute({
      deps,
      graph,
      metrics,
      maxMessageChars: deps.maxMessageChars,
      maxBodyBytes: deps.maxBodyBytes,
      deadlineMs: deps.deadlineMs,
    }),
  );

  app.get('/health', (c) => c.json({ status: 'ok' }));
  app.get('/ready', async (c) => {
    const checks = await deps.readiness();
    const ready = checks.every((check) => check.ok);
    return c.json({ status: ready ? 'ready' : 'not_ready', checks }, ready ? 200 : 503);
  });
  app.get('/metrics', async (c) => {
    c.header('Content-Type', metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });

  app.notFound((c) =>
    errorResponse(c, new ServiceError(404, 'not_found', `no route ${c.req.method} ${c.req.path}`)),
  );
  app.onError(onError(deps.logger));
  return app;
}

export type AgentServiceApp = ReturnType<typeof createApp>;

const REQUEST_ID = /^[\w.:=-]{1,128}$/;

/** Called when Hono refused the caller's `X-Request-Id`: keeps one that is still sane, else a new UUID. */
function callerRequestId(c: Context): string {
  const id = c.req.header('x-request-id');
  return id && REQUEST_ID.test(id) ? id : crypto.randomUUID();
}
