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
import type { InstalledTracing } from './telemetry.js';

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
