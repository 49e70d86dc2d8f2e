import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-node';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { BullMQOtel } from 'bullmq-otel';

/** What the SDK part (`telemetry-sdk.ts`, loaded only when tracing is on) installs once per process. */
export interface InstalledTracing {
  /** BullMQ's telemetry option (bullmq-otel): spans for add/process and the context carried in each job. */
  bullmq: Telemetry;
  shutdown(): Promise<void>;
}
import type { Telemetry } from 'bullmq';

/**
 * The OpenTelemetry SDK, loaded by `startTelemetry` only when tracing is on: a Node tracer provider registered
 * globally (AsyncLocalStorage context, W3C trace-context propagation), exporting over OTLP/HTTP in batches, or
 * to a given exporter span by span (tests).
 */
export function installTracing(options: {
  serviceName: string;
  url: string | undefined;
  exporter: SpanExporter | undefined;
}): InstalledTracing {
  const processor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter({ url: options.url }));
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    spanProcessors: [processor],
  });
  provider.register();
  return {
    bullmq: new BullMQOtel({ tracerName: 'bullmq' }),
    async shutdown() {
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        context.disable();
        propagation.disable();
      }
    },
  };
}
