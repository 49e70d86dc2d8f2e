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

/** The variables above as a process's parsed configuration has them (camelCase, `shared/config.ts` `parseEnv`). */
export type TelemetryEnv = {
  otelExporterOtlpEndpoint?: string | undefined;
  otelExporterOtlpTracesEndpoint?: string | undefined;
  otelServiceName?: string | undefined;
};

/** The OTLP traces URL of a parsed environment, or undefined when tracing is off. */
export function tracesUrl(env: TelemetryEnv): string | undefined {
  if (env.otelExporterOtlpTracesEndpoint) {
    return env.otelExporterOtlpTracesEndpoint;
  }
  const base = env.otelExporterOtlpEndpoint;
  return base ? `${base.replace(/\/+$/, '')}/v1/traces` : undefined;
}
