import { z } from 'zod';

const optionalUrl = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v))
  .pipe(z.url({ protocol: /^https?$/ }).optional());

/**
 * OpenTelemetry's standard variables, as every traced process (worker, agent service, producer) reads them.
 * Tracing is off unless an endpoint is set; then spans go there over OTLP/HTTP (JSON).
 */
export const telemetryEnv = {
  /** OTLP/HTTP base URL (e.g. http://127.0.0.1:4318); traces go to `/v1/traces` under it. Unset: no tracing. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optionalUrl,
  /** Full OTLP/HTTP URL for traces only; wins over OTEL_EXPORTER_OTLP_ENDPOINT. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: optionalUrl,
  /** `service.name` of the spans; defaults to loadgen-worker, loadgen-agent-service, loadgen-producer. */
  OTEL_SERVICE_NAME: z
    .string()
    .optional()
    .transform((v) => (v === '' ? undefined : v)),
};

export type TelemetryEnv = {
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?: string | undefined;
  OTEL_SERVICE_NAME?: string | undefined;
};

/** The OTLP traces URL of a parsed environment, or undefined when tracing is off. */
export function tracesUrl(env: TelemetryEnv): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) {
    return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  }
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}
