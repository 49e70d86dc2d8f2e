import {
  context,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import type { SpanExporter } from '@opentelemetry/sdk-trace-node';
import type { Telemetry } from 'bullmq';
import type { InstalledTracing } from './telemetry-sdk.js';
import { tracesUrl, type TelemetryEnv } from './telemetry-env.js';

export { SpanKind, type Attributes, type Span } from '@opentelemetry/api';

/** Tracing as one process component sees it; `close()` is safe to call twice. */
export interface TelemetryHandle {
  enabled: boolean;
  /** The `telemetry` option of a BullMQ `Queue` or `Worker`; undefined when tracing is off. */
  bullmq: Telemetry | undefined;
  /** Flushes and uninstalls the SDK once every component of the process that started it has closed. */
  close(): Promise<void>;
}

export interface StartTelemetryOptions {
  /** `service.name`, unless OTEL_SERVICE_NAME is set. */
  serviceName: string;
  /** The process's parsed configuration (OTEL_* variables, see `telemetry-env.ts`). */
  env: TelemetryEnv;
  /** Tests: collect spans here (e.g. the SDK's `InMemorySpanExporter`), synchronously, instead of OTLP. */
  exporter?: SpanExporter;
}

const DISABLED: TelemetryHandle = { enabled: false, bullmq: undefined, close: async () => {} };
const TRACER_NAME = 'loadgen';
/** A span that records nothing, handed to `withSpan` bodies when tracing is off. */
const NOOP_SPAN = trace.wrapSpanContext({ traceId: '0'.repeat(32), spanId: '0'.repeat(16), traceFlags: 0 });

let installed: InstalledTracing | undefined;
let installing: Promise<InstalledTracing> | undefined;
let users = 0;

/**
 * Turns tracing on for this process when OTEL_EXPORTER_OTLP_ENDPOINT (or ..._TRACES_ENDPOINT) is set, or an
 * exporter is given: loads the SDK, registers a global tracer provider (W3C `traceparent` propagation, async
 * context) and BullMQ's telemetry. Off, it loads nothing and every helper here is a plain call. Components of
 * one process (a worker and an agent service in a test) share the one provider; it shuts down (flushing spans)
 * when the last of them closes.
 */
export async function startTelemetry(options: StartTelemetryOptions): Promise<TelemetryHandle> {
  const url = tracesUrl(options.env);
  if (!installed && !installing && !url && !options.exporter) {
    return DISABLED;
  }
  installing ??= import('./telemetry-sdk.js').then((sdk) =>
    sdk.installTracing({
      serviceName: options.env.otelServiceName ?? options.serviceName,
      url,
      exporter: options.exporter,
    }),
  );
  const tracing = await installing;
  installed = tracing;
  users += 1;
  let closed = false;
  return {
    enabled: true,
    bullmq: tracing.bullmq,
    close: async () => {
      if (closed) {
        return;
      }
      closed = true;
      users -= 1;
      if (users === 0 && installed === tracing) {
        installed = undefined;
        installing = undefined;
        await tracing.shutdown();
      }
    },
  };
}

/** Whether this process traces (some component started telemetry with an endpoint or exporter). */
export function tracingEnabled(): boolean {
  return installed !== undefined;
}

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** Start a new trace instead of a child of the active span. */
  root?: boolean;
}

/**
 * Runs `body` in a span named `name` (a child of the active span), ended when it settles; a thrown error is
 * recorded on it and sets its status. With tracing off `body` runs directly with a span that records nothing.
 */
export async function withSpan<T>(
  name: string,
  options: SpanOptions,
  body: (span: Span) => Promise<T>,
): Promise<T> {
  if (!installed) {
    return body(NOOP_SPAN);
  }
  return trace.getTracer(TRACER_NAME).startActiveSpan(name, options, async (span) => {
    try {
      return await body(span);
    } catch (err) {
      markFailed(span, err);
      throw err;
    } finally {
      span.end();
    }
  });
}

/** Sets attributes on the active span (no-op when tracing is off or no span is active). */
export function annotateSpan(attributes: Attributes): void {
  if (installed) {
    trace.getActiveSpan()?.setAttributes(attributes);
  }
}

/** Adds the active trace context (`traceparent`, `tracestate`) to outgoing HTTP headers; no-op when off. */
export function injectTraceHeaders(headers: Record<string, string>): Record<string, string> {
  if (installed) {
    propagation.inject(context.active(), headers);
  }
  return headers;
}

/** The producer side of one trace per job: a root span per job and the context BullMQ stores in the job. */
export interface JobSpans {
  /** Per job, in order: the `opts.telemetry.metadata` that makes the worker's span a child of its job's span. */
  metadata: string[];
  end(error?: unknown): void;
}

/**
 * Starts one root span per job about to be enqueued (`enqueue <queue>`, kind PRODUCER), so each job gets a
 * trace of its own rather than sharing the batch's `addBulk` span. Undefined when tracing is off.
 */
export function startJobSpans(queue: string, jobs: readonly Attributes[]): JobSpans | undefined {
  const tracing = installed;
  if (!tracing) {
    return undefined;
  }
  const tracer = trace.getTracer(TRACER_NAME);
  const spans = jobs.map((attributes) =>
    tracer.startSpan(`enqueue ${queue}`, {
      kind: SpanKind.PRODUCER,
      root: true,
      attributes: { 'messaging.system': 'bullmq', 'messaging.destination.name': queue, ...attributes },
    }),
  );
  return {
    metadata: spans.map((span) =>
      tracing.bullmq.contextManager.getMetadata(trace.setSpan(context.active(), span)),
    ),
    end(error?: unknown) {
      for (const span of spans) {
        if (error !== undefined) {
          markFailed(span, error);
        }
        span.end();
      }
    },
  };
}

function markFailed(span: Span, err: unknown): void {
  const error = err instanceof Error ? err : new Error(String(err));
  span.recordException(error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}
